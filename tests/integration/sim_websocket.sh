#!/usr/bin/env bash
# picohub sim --websocket against the local hub (issue 11 §5): MQTT over WebSockets through picohub-gateway's
# HTTPS port (a free port here, 443 by default): QoS 1 telemetry all arrives (picohub monitor), a C2D from
# `picohub c2d send` reaches the sim, and pointing --websocket at a port that is not the gateway's fails with
# words that say so; hub stop ends a bridged connection.
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-sim-ws.XXXXXX)
chmod 0755 "$work"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$work/hub
cleanup() { "$picohub" hub stop >/dev/null 2>&1 || true; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start_hub_with_gateway
grep -q "wss://localhost:$service_port/\$iothub/websocket" "$work/start.txt" || { cat "$work/start.txt"; fail "hub start does not show the WebSocket URL"; }
pass "hub start names the WebSocket URL"
"$picohub" device create ws1 >/dev/null
cs=$("$picohub" device connection-string ws1 --gateway)
count=20

timeout 90 "$picohub" monitor --device ws1 --count "$count" --timeout 60 --json > "$work/monitor.txt" 2>&1 &
monitor=$!
sleep 1
started=$(date +%s.%N)
timeout 90 "$picohub" sim --connection-string "$cs" --ca "$PICOHUB_DATA/ca.crt" --websocket --port "$service_port" \
  --count "$count" --interval 20ms --qos 1 --wait-c2d 1 --c2d-timeout 40 > "$work/sim.txt" 2>&1 &
sim=$!
wait_for_line "$work/sim.txt" "Waiting for cloud-to-device" 40
sent_in=$(echo "$(date +%s.%N) - $started" | bc)
"$picohub" c2d send ws1 --data "over websockets" --prop via=wss >/dev/null
wait "$sim" || { cat "$work/sim.txt"; fail "sim exited with $?"; }
wait "$monitor" || { cat "$work/monitor.txt"; fail "monitor did not see $count messages"; }

grep -q 'MQTT 3.1.1 over WebSockets' "$work/sim.txt" || { cat "$work/sim.txt"; fail "sim did not say WebSockets"; }
acked=$(grep -c 'acknowledged by the hub' "$work/sim.txt" || true)
seen=$(grep -c '"deviceId":"ws1"' "$work/monitor.txt" || true)
[[ $acked -eq $count ]] || { cat "$work/sim.txt"; fail "$acked of $count PUBACKs over WebSockets"; }
[[ $seen -eq $count ]] || { cat "$work/monitor.txt"; fail "monitor saw $seen of $count"; }
pass "$count QoS 1 messages over WebSockets: $acked acknowledged, $seen seen by picohub monitor (sent in ${sent_in}s)"
grep -q 'Received message: over websockets' "$work/sim.txt" && grep -q 'via: wss' "$work/sim.txt" \
  || { cat "$work/sim.txt"; fail "C2D not received over WebSockets"; }
pass "C2D from picohub c2d send received by the sim over WebSockets"

# The MQTT port is not an HTTPS port: the upgrade fails and the sim says where to look.
set +e
timeout 30 "$picohub" sim --connection-string "$cs" --ca "$PICOHUB_DATA/ca.crt" --websocket --port "$hub_port" \
  --count 1 --retries 0 > "$work/wrong.txt" 2>&1; rc=$?
set -e
[[ $rc -ne 0 ]] && grep -q "WebSocket upgrade" "$work/wrong.txt" || { cat "$work/wrong.txt"; fail "wrong port: exit $rc"; }
pass "--websocket against the MQTT port fails (exit $rc) and names the WebSocket upgrade"

# hub stop (gateway and broker) ends a bridged connection at once: the sim sees the loss within seconds.
timeout 60 "$picohub" sim --connection-string "$cs" --ca "$PICOHUB_DATA/ca.crt" --websocket --port "$service_port" \
  --count 0 --wait-c2d 1 --c2d-timeout 30 --retries 1 > "$work/held.txt" 2>&1 &
wait_for_line "$work/held.txt" "Waiting for cloud-to-device" 20
"$picohub" hub stop >/dev/null
wait_for_line "$work/held.txt" "lost|closed|reconnecting" 5
pass "hub stop ends the bridged WebSocket connection (the sim saw it within 5 s)"
echo "5 passed, 0 failed"
