#!/usr/bin/env bash
# Twin and direct methods on the board, end to end (issue 11, parts 1-2): the real firmware in the virtual board
# against the local hub. After connecting it GETs the twin and reports telemetryInterval; `picohub method invoke`
# getStatus answers with the board's address on 192.0.2.0/24; blink flashes the LED (the vboard's LED trace shows
# the changes); a desired telemetryInterval of 2 s shows in the emulated timestamps of the telemetry and in the
# reported properties; a 3000-byte desired property is larger than the board's 2 KiB receive buffer: the patch is
# dropped with a console line and the board keeps sending; reboot answers 200, the board restarts (boot report:
# software restart, code 1101), reconnects, and its twin GET (now too large) is one console line, not a loop.
# Bounded: --max-ms 100 s emulated, --wall-ms 110 s; about 50 s wall.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
source "$(cd "$(dirname "$0")" && pwd)/vboard_fault_lib.sh"

start_hub_device vbtwin
start_board --max-ms 100000 --wall-ms 110000 --timestamps --led-trace
plain() { sed -E 's/^\[ *[0-9.]+ s\] //' "$work/console.txt"; }
wait_console '/reported properties stored/ { print "yes"; exit }' 40 "the reported telemetryInterval after connect"
jq -e '.properties.reported.telemetryInterval == 1' <("$picohub" twin show vbtwin) >/dev/null || fail "reported interval 1"

"$picohub" method invoke vbtwin getStatus --timeout 10 --json > "$work/status.json" || fail "getStatus invoke"
jq -e '.status == 200 and (.payload.ip | startswith("192.0.2.")) and .payload.hubUp == true
       and .payload.tlsArenaBytes > 0 and (.payload.uptimeS | type) == "number"' "$work/status.json" >/dev/null \
  || { cat "$work/status.json"; fail "getStatus"; }
pass "getStatus: $(jq -c .payload "$work/status.json")"

leds_before=$(grep -c 'LED o[nf]* at' "$work/vboard.txt" || true)
"$picohub" method invoke vbtwin blink --payload '{"times":3}' --timeout 10 --json > "$work/blink.json" || fail "blink invoke"
jq -e '.status == 200 and .payload.blinking == 3' "$work/blink.json" >/dev/null || { cat "$work/blink.json"; fail "blink"; }
wait_console '/LED: blinking 3 times/ { print "yes"; exit }' 10 "the blink console line"
sleep 1.5
leds_after=$(grep -c 'LED o[nf]* at' "$work/vboard.txt" || true)
[[ $((leds_after - leds_before)) -ge 6 ]] || fail "blink 3: $((leds_after - leds_before)) LED changes, expected >= 6"
pass "blink 3: 200, $((leds_after - leds_before)) LED changes in the vboard's trace"

"$picohub" twin update vbtwin --desired '{"telemetryInterval":2}' >/dev/null || fail "twin update"
wait_console '/Desired telemetryInterval 2 .*sending every 2 s/ { d = 1 } d && /Sending message/ { n++ } END { print (n >= 4 ? "yes" : "no") }' \
  30 "four messages after telemetryInterval 2"
gaps=$(awk '/Desired telemetryInterval 2 / { d = 1; next } d && /Sending message/ { gsub(/[\[\]s]/, "", $1); t = $1 + 0; if (n++ >= 1) printf "%.2f ", t - p; p = t }' \
  <(sed -E 's/^\[ *([0-9.]+) s\] /\1 /' "$work/console.txt"))
for g in $gaps; do awk -v g="$g" 'BEGIN { exit !(g > 1.8 && g < 2.3) }' || fail "telemetry gap $g s after the change (gaps: $gaps)"; done
for _ in $(seq 1 30); do
  jq -e '.properties.reported.telemetryInterval == 2' <("$picohub" twin show vbtwin) >/dev/null && break
  sleep 0.2
done
jq -e '.properties.reported.telemetryInterval == 2' <("$picohub" twin show vbtwin) >/dev/null || fail "reported interval 2"
pass "telemetryInterval 2: gaps ${gaps}s (emulated timestamps); reported 2"

blob=$(head -c 3000 /dev/zero | tr '\0' 'x')
"$picohub" twin update vbtwin --desired "{\"blob\":\"$blob\"}" >/dev/null || fail "twin update (3000 bytes)"
wait_console '/Dropped a message from the hub of [0-9]+ bytes/ { d = 1 } d && /acknowledged by the hub/ { a++ } END { print (a >= 2 ? "yes" : "no") }' \
  20 "the large patch dropped and two PUBACKs after it"
pass "desired patch of 3000+ bytes: $(plain | grep -m1 'Dropped a message from the hub')"

"$picohub" method invoke vbtwin reboot --timeout 10 --json > "$work/reboot.json" || fail "reboot invoke"
jq -e '.status == 200' "$work/reboot.json" >/dev/null || { cat "$work/reboot.json"; fail "reboot answer"; }
wait_console '/reset reason: software restart \(code 1101\)/ { r = 1 } r && /^(\[ *[0-9.]+ s\] )?connected to IoT Hub/ { c = 1 } c && /Twin document of [0-9]+ bytes does not fit/ { t = 1 } t && /acknowledged by the hub/ { a++ }
  END { print (a >= 2 ? "yes" : "no") }' 40 "reboot, reconnect, the too-large twin line and two PUBACKs"
stop_board
connects=$(hub_connects vbtwin)
[[ $connects -ge 2 ]] || fail "the hub saw $connects CONNECTs of vbtwin; expected >= 2 (boot, after the reboot)"
too_large=$(plain | grep -c 'Twin document of [0-9]* bytes does not fit' || true)
[[ $too_large -eq 1 ]] || fail "$too_large too-large twin lines: expected exactly one (no GET loop)"
pass "reboot: 200, software restart (code 1101), $connects CONNECTs; $(plain | grep -m1 'Twin document of')"
echo "5 passed, 0 failed"
