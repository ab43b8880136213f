#!/usr/bin/env bash
# picohub sim --dps --websocket against the local hub (issue 11 §3 + §5): the registration AND the hub connection go
# over MQTT over WebSockets through picohub-gateway's HTTPS port (a free one here), through the same DpsClient and
# Pump as over 8883.
#   1. registered (202 + retry-after, then assigned), switched to the assigned hub, 5 QoS 1 messages acknowledged
#      and recorded by the hub (picohub monitor)
#   2. no TCP connection from the sim to the MQTT port: each of the broker's connections of this client id
#      (mosquitto.log: the registration's and the hub's) comes from a local port the gateway logged as a bridge
#   3. --dps-host naming the MQTT port with --websocket (no --port) fails at the WebSocket upgrade and says so
# Bounded: every command has a timeout; about 10 s wall.
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-sim-dps-ws.XXXXXX)
chmod 0755 "$work"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$work/hub
cleanup() { "$picohub" hub stop >/dev/null 2>&1 || true; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start_hub_with_gateway
scope=$("$picohub" dps id-scope 2>/dev/null)
"$picohub" dps enrollment create ws-dps-1 --json > "$work/enroll.json"
key=$(json_field primaryKey < "$work/enroll.json")
count=5

timeout 60 "$picohub" monitor --device ws-dps-1 --count "$count" --timeout 45 --json > "$work/monitor.txt" 2>&1 &
monitor=$!
sleep 1
timeout 60 "$picohub" sim --dps "$scope" --registration-id ws-dps-1 --key "$key" --dps-host localhost --websocket \
  --port "$service_port" --ca "$PICOHUB_DATA/ca.crt" --count "$count" --interval 100ms --qos 1 > "$work/sim.txt" 2>&1 \
  || { cat "$work/sim.txt"; fail "sim --dps --websocket exit $?"; }
wait "$monitor" || { cat "$work/monitor.txt"; fail "monitor did not see $count messages from ws-dps-1"; }

expect_line() {  # expect_line PATTERN WHAT
  grep -qE "$1" "$work/sim.txt" || { cat "$work/sim.txt"; fail "$2"; }
}
expect_line "^Registering with DPS at localhost:$service_port .*MQTT over WebSockets at /\\\$iothub/websocket" \
  "the registration did not go to the gateway's port over WebSockets"
expect_line 'retry-after' "no 202 / retry-after step"
expect_line "DPS assigned registration ws-dps-1 to hub localhost:$hub_port as device 'ws-dps-1'" "no assignment line"
expect_line "^Connecting to localhost:$service_port as device 'ws-dps-1' \\(MQTT 3.1.1 over WebSockets" \
  "the hub connection did not go to the gateway's port over WebSockets"
acked=$(grep -c 'acknowledged by the hub' "$work/sim.txt" || true)
seen=$(grep -c '"deviceId":"ws-dps-1"' "$work/monitor.txt" || true)
[[ $acked -eq $count && $seen -eq $count ]] || { cat "$work/sim.txt" "$work/monitor.txt"; fail "$acked acked, $seen seen"; }
grep -E "DPS|Connecting" "$work/sim.txt" | sed 's/^/  | /'
pass "registered and assigned over WebSockets; $acked of $count QoS 1 messages acknowledged, $seen recorded by the hub"

# The broker's connections of ws-dps-1 (registration + hub) all came through the gateway's bridge.
mapfile -t broker_ports < <(sed -nE 's/.*New client connected from [^ ]*:([0-9]+) as ws-dps-1 .*/\1/p' \
  "$PICOHUB_DATA/mosquitto.log")
mapfile -t bridged < <(sed -nE 's/.*bridged to the broker from [^ ]*:([0-9]+)$/\1/p' "$PICOHUB_DATA/gateway.log")
[[ ${#broker_ports[@]} -eq 2 ]] || { cat "$PICOHUB_DATA/mosquitto.log"; fail "${#broker_ports[@]} broker connections of ws-dps-1, expected 2"; }
for p in "${broker_ports[@]}"; do
  printf '%s\n' "${bridged[@]}" | grep -qx "$p" \
    || { cat "$PICOHUB_DATA/gateway.log" "$PICOHUB_DATA/mosquitto.log"; fail "broker connection from port $p was not bridged"; }
done
pass "both broker connections of ws-dps-1 (ports ${broker_ports[*]}) came from the gateway's bridge: none to the MQTT port"

# The MQTT port is not an HTTPS port: with --websocket the registration's upgrade fails and says so.
set +e
timeout 30 "$picohub" sim --dps "$scope" --registration-id ws-dps-1 --key "$key" --dps-host "localhost:$hub_port" \
  --websocket --ca "$PICOHUB_DATA/ca.crt" --count 1 > "$work/wrong.txt" 2>&1; rc=$?
set -e
[[ $rc -ne 0 ]] && grep -q "WebSocket upgrade" "$work/wrong.txt" || { cat "$work/wrong.txt"; fail "wrong port: exit $rc"; }
pass "--dps-host naming the MQTT port with --websocket fails (exit $rc) at the WebSocket upgrade"
echo "3 passed, 0 failed"
