#!/usr/bin/env bash
# End to end (issue 7): the real firmware UF2 in the virtual board against the local hub. The hub runs on a
# loopback port; the board sees it as localhost:8883 at 192.0.2.20 on the virtual LAN (the hub certificate
# names DNS:localhost, which the virtual DNS maps there) and the bridge carries that TCP to the hub's port.
# Expected on the console: DHCP address, SNTP time, TLS, "connected to IoT Hub", two PUBACKs, then a C2D
# sent with `picohub c2d send` arrives as "Received message". Every run is bounded (--max-ms / --wall-ms).
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
vboard="$here/../../tools/vboard"
source "$here/../lib/testlib.sh"
if [[ ! -f "$firmware" ]]; then
  echo "SKIP: no board firmware at $firmware yet: run ./run build board"; exit 77
fi
if [[ ! -d "$vboard/node_modules/rp2040js" ]]; then
  echo "SKIP: rp2040js is not installed: run scripts/vboard-setup.sh (./run setup does)"; exit 77
fi
if [[ ! -x "$picohub" ]]; then
  echo "SKIP: no picohub CLI at $picohub"; exit 77
fi

work=$(mktemp -d /tmp/picohub-vboard-hub.XXXXXX)
chmod 0755 "$work"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$work/hub
board_pid=
cleanup() {
  [[ -n "$board_pid" ]] && kill "$board_pid" 2>/dev/null || true
  "$picohub" hub stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port)
"$picohub" hub start --data-dir "$PICOHUB_DATA" --port "$port" > "$work/start.txt" 2>&1 || { cat "$work/start.txt"; fail "hub start"; }
"$picohub" device create vboard1 >/dev/null
cs=$("$picohub" device connection-string vboard1 2>/dev/null | head -n 1)
[[ "$cs" == HostName=*";DeviceId=vboard1;SharedAccessKey="* ]] || fail "unexpected connection string: $cs"
"$picohub" board uf2 --connection-string "$cs;GatewayHostName=localhost:8883" --ca "$PICOHUB_DATA/ca.crt" \
  --firmware "$firmware" --interval 2s -o "$work/board.uf2" > "$work/uf2.txt" 2>&1 \
  || { cat "$work/uf2.txt"; fail "board uf2"; }

"$node" "$vboard/run.mjs" --uf2 "$work/board.uf2" --max-ms 90000 --wall-ms 240000 --fail-on-watchdog \
  --host localhost=192.0.2.20 --bridge "192.0.2.20:8883=127.0.0.1:$port" \
  --expect '^DHCP: 192\.0\.2\.10/24' --expect '^SNTP: time is ' --expect '^TLS: ' \
  --expect '^connected to IoT Hub as vboard1' \
  --expect 'acknowledged by the hub' --expect 'acknowledged by the hub' \
  --expect '^Received message: message from IoT Hub' \
  --forbid '/hardfault|panic/i' > "$work/console.txt" 2> "$work/vboard.txt" &
board_pid=$!

# The C2D goes once the board has shown it is up (two PUBACKs); stop waiting if the board run ends first.
for _ in $(seq 1 1200); do
  [[ $(grep -c 'acknowledged by the hub' "$work/console.txt" 2>/dev/null) -ge 2 ]] && break
  kill -0 "$board_pid" 2>/dev/null || break
  sleep 0.2
done
"$picohub" c2d send vboard1 --data "message from IoT Hub" >/dev/null || fail "c2d send"
set +e
wait "$board_pid"; rc=$?
set -e
board_pid=
cat "$work/console.txt"
grep -v 'rp2040js:' "$work/vboard.txt" >&2 || true
[[ $rc -eq 0 ]] || fail "the virtual board run ended with exit $rc"
tls=$(grep '^TLS: ' "$work/console.txt" | head -n 1)
stack=$(sed -n 's/.*stack peak \([0-9]*\) bytes.*/\1/p' "$work/vboard.txt")
pass "virtual board: DHCP, SNTP, TLS, CONNECT, 2 PUBACKs and a C2D against the local hub"
"$picohub" monitor --device vboard1 --since 1h --count 1 --timeout 10 --props --json > "$work/events.txt" 2>&1 \
  || { cat "$work/events.txt"; fail "monitor --since could not read the board's telemetry"; }
grep -q '"dt-dataschema":"dtmi:picohub:TutorialDevice;1"' "$work/events.txt" \
  || { cat "$work/events.txt"; fail "the board's events lack dt-dataschema (its Plug and Play model)"; }
pass "Plug and Play: the board announces the tutorial's model (dt-dataschema on its events)"
echo "TLS line: $tls"
echo "stack peak: $stack bytes"
