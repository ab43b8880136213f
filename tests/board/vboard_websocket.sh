#!/usr/bin/env bash
# MQTT over WebSockets on the board (issue 11 §5): the real firmware, provisioned with `picohub board uf2
# --websocket`, reaches the local hub only through its HTTPS gateway (wss://localhost:443/$iothub/websocket on the
# virtual LAN, bridged to the hub's --service-port; no bridge to the MQTT port at all).
#   1. the UF2 summary and `picohub board inspect` name the WebSocket transport; --websocket-port without
#      --websocket and port 0 are refused with exit 2 (DPS over WebSockets: vboard_dps_websocket.sh)
#   2. the board says "MQTT over WebSockets" when connecting, upgrades, connects; its telemetry is acknowledged and
#      recorded by the hub (picohub monitor: messageIds 1..N, each once, in order); a C2D from `picohub c2d send`
#      reaches it
#   3. pointed at the hub's MQTT port instead (--websocket-port 8883), every attempt fails with a line naming the
#      WebSocket upgrade and backs off: no reboot, no watchdog, a bounded number of attempts
# Bounded: each board run has --max-ms / --wall-ms; about 40 s wall in all.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/testlib.sh"
source "$here/board_hub_lib.sh"

start_hub_with_gateway
cs=$(device_connection_string wsb1)

# 1. Provisioning: the record, the summary, inspect, and the refusals.
board_uf2 "$cs" "$work/board.uf2" --websocket --interval 2s
grep -q 'transport  MQTT over WebSockets: wss://localhost:443/\$iothub/websocket, subprotocol mqtt' "$work/uf2.txt" \
  || { cat "$work/uf2.txt"; fail "the uf2 summary does not name the WebSocket transport"; }
"$picohub" board inspect "$work/board.uf2" > "$work/inspect.txt" 2>&1 || { cat "$work/inspect.txt"; fail "inspect"; }
grep -q 'transport  MQTT over WebSockets: wss://localhost:443/' "$work/inspect.txt" \
  || { cat "$work/inspect.txt"; fail "board inspect does not show the WebSocket record"; }
refused() {  # refused PATTERN ARGS...: picohub board uf2 ARGS exits 2 and says PATTERN
  local pattern=$1 rc=0
  shift
  "$picohub" board uf2 --firmware "$firmware" -o "$work/refused.uf2" "$@" > "$work/refused.txt" 2>&1 || rc=$?
  [[ $rc -eq 2 ]] && grep -q -- "$pattern" "$work/refused.txt" \
    || { cat "$work/refused.txt"; fail "expected exit 2 and '$pattern', got exit $rc"; }
}
refused '--websocket-port needs --websocket' --connection-string "$cs" --websocket-port 8443
refused '--websocket-port is a number from 1 to 65535' --connection-string "$cs" --websocket --websocket-port 0
pass "uf2 --websocket: record shown by the summary and board inspect; 2 bad combinations refused with exit 2"

# 2. Telemetry and a C2D over WebSockets, through the gateway only.
since=$(date +%s)
ws_bridge=(--host localhost=192.0.2.20 --bridge "192.0.2.20:443=127.0.0.1:$service_port")
"$node" "$vboard/run.mjs" --uf2 "$work/board.uf2" "${ws_bridge[@]}" --max-ms 90000 --wall-ms 180000 \
  --fail-on-watchdog --forbid '/hardfault|panic/i' \
  --expect '^connecting to localhost:443 \(192\.0\.2\.20\), TLS 1\.2, MQTT over WebSockets$' --expect '^TLS: ' \
  --expect '^WebSocket: upgraded at /\$iothub/websocket$' --expect '^connected to IoT Hub as wsb1' \
  --expect 'acknowledged by the hub' --expect 'acknowledged by the hub' --expect 'acknowledged by the hub' \
  --expect '^Received message: over websockets' > "$work/console.txt" 2> "$work/vboard.txt" &
board_pid=$!
for _ in $(seq 1 900); do  # the C2D goes once the board is up (two PUBACKs); stop waiting if the run ended
  [[ $(grep -c 'acknowledged by the hub' "$work/console.txt" 2>/dev/null) -ge 2 ]] && break
  kill -0 "$board_pid" 2>/dev/null || break
  sleep 0.2
done
"$picohub" c2d send wsb1 --data "over websockets" >/dev/null || fail "c2d send"
set +e
wait "$board_pid"; rc=$?
set -e
board_pid=
[[ $rc -eq 0 ]] || { show_run; fail "the virtual board run over WebSockets ended with exit $rc"; }
acked=$(grep -c 'acknowledged by the hub' "$work/console.txt" || true)
sent_message_ids > "$work/sent.txt"
recorded_message_ids wsb1 "$since" > "$work/recorded.txt"
check_sent_vs_recorded "$work/sent.txt" "$work/recorded.txt" "$acked"
recorded=$(wc -l < "$work/recorded.txt")
[[ $recorded -ge 3 ]] || { cat "$work/monitor.txt"; fail "the hub recorded $recorded messages from wsb1"; }
[[ $(hub_connects wsb1) -eq 1 ]] || fail "the hub saw $(hub_connects wsb1) CONNECTs of wsb1; expected 1"
pass "over WebSockets only: $acked PUBACKs, $recorded messageIds recorded by the hub (1..$recorded in order), C2D received"

# 3. The MQTT port is not an HTTPS port: the upgrade fails, is named, and the board backs off.
board_uf2 "$cs" "$work/wrong.uf2" --websocket --websocket-port 8883 --interval 2s
set +e
"$node" "$vboard/run.mjs" --uf2 "$work/wrong.uf2" --host localhost=192.0.2.20 \
  --bridge "192.0.2.20:8883=127.0.0.1:$hub_port" --max-ms 20000 --wall-ms 90000 --fail-on-watchdog \
  --forbid '/hardfault|panic|^connected to IoT Hub/i' > "$work/console.txt" 2> "$work/vboard.txt"
rc=$?
set -e
[[ $rc -eq 0 ]] || { show_run; fail "the wrong-port run ended with exit $rc"; }
failed=$(grep -c '^WebSocket upgrade to /\$iothub/websocket failed: the server closed the connection during the WebSocket upgrade' \
  "$work/console.txt" || true)
retries=$(grep -c '^hub connection: .*(WebSocket upgrade); retrying in ' "$work/console.txt" || true)
boots=$(grep -c 'picohub firmware ' "$work/console.txt" || true)
[[ $failed -ge 2 && $retries -eq $failed ]] || { show_run; fail "$failed upgrade failures, $retries retry lines"; }
[[ $failed -le 8 && $boots -eq 1 ]] || { show_run; fail "$failed attempts in 20 s, $boots boots: not backing off"; }
pass "MQTT port instead of HTTPS: $failed upgrade failures named on the console in 20 s, backing off, 1 boot"
echo "3 passed, 0 failed"
