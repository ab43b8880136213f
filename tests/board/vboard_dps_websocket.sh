#!/usr/bin/env bash
# DPS over WebSockets on the board (issue 11 §3 + §5): the real firmware, provisioned with `picohub board uf2
# --dps-* --websocket`, registers with the local hub's DPS and then connects to the hub DPS assigned, both over
# wss://localhost:443/$iothub/websocket. The virtual LAN's only route is 443 -> the gateway's HTTPS port: there is no
# bridge to any MQTT port, so the board cannot reach DPS or the hub but through WebSockets.
#   1. the UF2 summary and `picohub board inspect` say DPS and hub go over WebSockets on 443 (config record 13)
#   2. the board upgrades, registers (202 + poll after retry-after), upgrades again to the assigned hub, connects as
#      the assigned device id; its PUBACKs arrive and the hub records messageIds 1..N in order; the broker saw one
#      CONNECT as the registration id and one as the device, both from the gateway's bridge (gateway.log)
# Bounded: one board run with --max-ms / --wall-ms; about 30 s wall.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/testlib.sh"
source "$here/board_hub_lib.sh"

start_hub_with_gateway
scope=$("$picohub" dps id-scope 2>/dev/null)
"$picohub" dps enrollment create vb-wsreg-1 --device-id vb-wsdps-dev --json > "$work/enroll.json" \
  || fail "dps enrollment create"
key=$(json_field primaryKey < "$work/enroll.json")

# 1. The UF2: DPS and hub over WebSockets on 443, said by the summary and by inspect.
board_dps_uf2 vb-wsreg-1 "$work/board.uf2" --dps-key "$key" --websocket --interval 2s
transport='transport  MQTT over WebSockets, DPS and hub: wss://localhost:443/\$iothub/websocket, then the assigned hub'
grep -q "DPS        registration vb-wsreg-1 in scope $scope at localhost:443, individual" "$work/uf2.txt" \
  && grep -q "$transport" "$work/uf2.txt" || { cat "$work/uf2.txt"; fail "uf2 summary"; }
"$picohub" board inspect "$work/board.uf2" > "$work/inspect.txt" 2>&1 || { cat "$work/inspect.txt"; fail "inspect"; }
grep -q "$transport" "$work/inspect.txt" || { cat "$work/inspect.txt"; fail "board inspect does not show DPS over WebSockets"; }
pass "uf2 --dps-* --websocket: the summary and board inspect say DPS and hub go over wss on 443"

# 2. Register and send, through the gateway only.
since=$(date +%s)
connecting='^connecting to localhost:443 \(192\.0\.2\.20\), TLS 1\.2, MQTT over WebSockets$'
set +e
"$node" "$vboard/run.mjs" --uf2 "$work/board.uf2" --host localhost=192.0.2.20 \
  --bridge "192.0.2.20:443=127.0.0.1:$service_port" --max-ms 90000 --wall-ms 45000 \
  --fail-on-watchdog --forbid '/hardfault|panic/i' \
  --expect "^config: DPS registration vb-wsreg-1 in scope $scope at localhost:443 \(individual enrollment\)" \
  --expect "$connecting" --expect '^WebSocket: upgraded at /\$iothub/websocket$' \
  --expect '^DPS: connected; sending the registration request' \
  --expect '^DPS: assigning \(request 1\); next request in [0-9]+ s \(retry-after\)' \
  --expect "^DPS: assigned to hub localhost:$hub_port as device vb-wsdps-dev \(2 requests\)" \
  --expect "$connecting" --expect '^WebSocket: upgraded at /\$iothub/websocket$' \
  --expect '^connected to IoT Hub as vb-wsdps-dev' \
  --expect 'acknowledged by the hub' --expect 'acknowledged by the hub' --expect 'acknowledged by the hub' \
  > "$work/console.txt" 2> "$work/vboard.txt"
rc=$?
set -e
show_run | grep -E 'DPS|connecting to|connected to|WebSocket|acknowledged|config' | sed 's/^/  | /'
[[ $rc -eq 0 ]] || { show_run; fail "the virtual board run ended with exit $rc"; }
[[ $(grep -c 'picohub firmware ' "$work/console.txt") -eq 1 ]] || fail "the board rebooted"
acked=$(grep -c 'acknowledged by the hub' "$work/console.txt" || true)
sent_message_ids > "$work/sent.txt"
recorded_message_ids vb-wsdps-dev "$since" > "$work/recorded.txt"
check_sent_vs_recorded "$work/sent.txt" "$work/recorded.txt" "$acked"
recorded=$(wc -l < "$work/recorded.txt")
[[ $recorded -ge 3 ]] || { cat "$work/monitor.txt"; fail "the hub recorded $recorded messages from vb-wsdps-dev"; }
[[ $(json_field primaryKey < <("$picohub" device show vb-wsdps-dev --json)) == "$key" ]] \
  || fail "the device DPS created does not have the enrollment's key"

# One CONNECT as the registration id (DPS) and one as the device (hub), each from a port the gateway bridged.
mapfile -t broker_ports < <(sed -nE 's/.*New client connected from [^ ]*:([0-9]+) as (vb-wsreg-1|vb-wsdps-dev) .*/\2 \1/p' \
  "$PICOHUB_DATA/mosquitto.log")
[[ ${#broker_ports[@]} -eq 2 && ${broker_ports[0]} == "vb-wsreg-1 "* && ${broker_ports[1]} == "vb-wsdps-dev "* ]] \
  || { cat "$PICOHUB_DATA/mosquitto.log"; fail "broker CONNECTs: ${broker_ports[*]} (one as vb-wsreg-1, then one as vb-wsdps-dev expected)"; }
for entry in "${broker_ports[@]}"; do
  grep -q "bridged to the broker from [^ ]*:${entry#* }\$" "$PICOHUB_DATA/gateway.log" \
    || { cat "$PICOHUB_DATA/gateway.log"; fail "the broker connection of ${entry% *} was not bridged by the gateway"; }
done
pass "over WebSockets only: registered vb-wsreg-1, connected as vb-wsdps-dev; $acked PUBACKs, $recorded messageIds recorded (1..$recorded in order); both broker CONNECTs bridged"
echo "2 passed, 0 failed"
