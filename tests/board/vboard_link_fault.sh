#!/usr/bin/env bash
# Link fault end to end (issue 7): the real firmware in the virtual board against the local hub; 5 s in, the
# Ethernet link drops for 10 s (PHY link bit clears, bridged TCP is reset at both ends), then comes back.
# The board must reconnect (the hub's mosquitto.log shows >= 2 CONNECTs of the device) and QoS 1 telemetry
# must resume with nothing lost: every messageId the board printed as acknowledged (PUBACK) is one the hub
# recorded (`picohub monitor --since`), and acknowledgements continue after the outage. Bounded: --max-ms
# 25 s emulated (about 25 s wall once the board talks to the hub), --wall-ms 150 s.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
vboard="$here/../../tools/vboard"
source "$here/../lib/testlib.sh"
[[ -f "$firmware" ]] || { echo "SKIP: no board firmware at $firmware yet: run ./run build board"; exit 77; }
[[ -d "$vboard/node_modules/rp2040js" ]] || { echo "SKIP: rp2040js is not installed: run scripts/vboard-setup.sh"; exit 77; }
[[ -x "$picohub" ]] || { echo "SKIP: no picohub CLI at $picohub"; exit 77; }

work=$(mktemp -d /tmp/picohub-vboard-link.XXXXXX)
chmod 0755 "$work"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$work/hub
cleanup() {
  "$picohub" hub stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port)
"$picohub" hub start --port "$port" > "$work/start.txt" 2>&1 || { cat "$work/start.txt"; fail "hub start"; }
"$picohub" device create vbfault >/dev/null
cs=$("$picohub" device connection-string vbfault 2>/dev/null | head -n 1)
"$picohub" board uf2 --connection-string "$cs;GatewayHostName=localhost:8883" --ca "$PICOHUB_DATA/ca.crt" \
  --firmware "$firmware" --interval 1s -o "$work/board.uf2" > "$work/uf2.txt" 2>&1 || { cat "$work/uf2.txt"; fail "board uf2"; }

since=$(date +%s)
set +e
"$node" "$vboard/run.mjs" --uf2 "$work/board.uf2" --max-ms 25000 --wall-ms 150000 --fail-on-watchdog \
  --host localhost=192.0.2.20 --bridge "192.0.2.20:8883=127.0.0.1:$port" --fault link-down@5s:10s \
  --forbid '/hardfault|panic/i' > "$work/console.txt" 2> "$work/vboard.txt"
rc=$?
set -e
cat "$work/console.txt"
grep -v 'rp2040js:' "$work/vboard.txt" >&2 || true
[[ $rc -eq 0 ]] || fail "the virtual board run ended with exit $rc"
grep -q 'fault: link down' "$work/vboard.txt" && grep -q 'fault: link up' "$work/vboard.txt" || fail "the link fault never ran"

connects=$(grep -c "New client connected .* as vbfault " "$PICOHUB_DATA/mosquitto.log" || true)
[[ $connects -ge 2 ]] || fail "the hub saw $connects CONNECTs of vbfault; a reconnect needs >= 2"

# messageIds the board saw acknowledged: a "Sending message N" followed by an ack before the next send.
awk '/^Sending message [0-9]+:/ { sub(":", "", $3); id = $3; next }
     /acknowledged by the hub/ { if (id != "") print id; id = "" }' "$work/console.txt" | sort -n -u > "$work/acked.txt"
# The line after the outage: acknowledgements must go on once the board is back.
after=$(awk '/^Ethernet link up/ { n++ } n >= 2 && /acknowledged by the hub/ { c++ } END { print c + 0 }' "$work/console.txt")
[[ $after -ge 3 ]] || fail "only $after acknowledgements after the link came back"
"$picohub" monitor --device vbfault --since "$since" --timeout 3 > "$work/monitor.txt" 2>&1 || true
grep -o '"messageId": [0-9]*' "$work/monitor.txt" | awk '{ print $2 }' | sort -n -u > "$work/recorded.txt"
lost=$(comm -23 "$work/acked.txt" "$work/recorded.txt" | tr '\n' ' ')
[[ -z "$lost" ]] || fail "acknowledged by the hub but not recorded by it: messageIds $lost"
acked=$(wc -l < "$work/acked.txt")
recorded=$(wc -l < "$work/recorded.txt")
[[ $acked -ge 8 ]] || fail "only $acked messages acknowledged in the whole run"
pass "link down 10 s then up: $connects CONNECTs, $acked messageIds acknowledged, all $acked recorded by the hub ($recorded recorded, $after acks after the outage)"
