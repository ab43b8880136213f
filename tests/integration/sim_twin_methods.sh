#!/usr/bin/env bash
# picohub sim's twin and direct methods against the local hub (issue 11, parts 1-2): the reported
# telemetryInterval after connect, `picohub method invoke` getStatus / blink / reboot (501 on the host) / an
# unknown name (404), `picohub twin update --desired '{"telemetryInterval":2}'` moving the send period (measured
# between the sim's "Sending message" lines), the reported value seen with `picohub twin show`, and an out-of-range
# value refused with the period unchanged. About 25 s.
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-sim-twin.XXXXXX)
chmod 0755 "$work"
export PICOHUB_DATA=$work/hub
sim_pid=
cleanup() {
  [[ -n $sim_pid ]] && kill "$sim_pid" 2>/dev/null
  "$picohub" hub stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(free_port)
"$picohub" hub start --port "$port" > "$work/start.txt" 2>&1 || { cat "$work/start.txt"; fail "hub start"; }
"$picohub" device create twin1 >/dev/null
cs=$("$picohub" device connection-string twin1 --gateway)

# Each line stamped with the wall clock when it arrived (the sim flushes every line).
stamp() { while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done; }
timeout 120 "$picohub" sim --connection-string "$cs" --ca "$PICOHUB_DATA/ca.crt" --count 100 --interval 1s \
  > >(stamp > "$work/sim.txt") 2>&1 &
sim_pid=$!
wait_for_line "$work/sim.txt" 'reported properties stored' 30
grep -q 'Twin received (desired version 1)' "$work/sim.txt" || { cat "$work/sim.txt"; fail "no twin document"; }
"$picohub" twin show twin1 > "$work/twin0.json"
jq -e '.properties.reported.telemetryInterval == 1' "$work/twin0.json" >/dev/null \
  || { cat "$work/twin0.json"; fail "the sim did not report its interval on connect"; }
pass "twin GET after connect; reported telemetryInterval=1 visible in picohub twin show"

"$picohub" method invoke twin1 getStatus --timeout 10 --json > "$work/status.json"
jq -e '.status == 200 and .payload.platform == "picohub sim" and (.payload.uptimeS | type) == "number"
       and .payload.telemetryIntervalS == 1 and .payload.hubConnections == 1' "$work/status.json" >/dev/null \
  || { cat "$work/status.json"; fail "getStatus"; }
"$picohub" method invoke twin1 blink --payload '{"times":2}' --timeout 10 --json > "$work/blink.json"
jq -e '.status == 200 and .payload.blinking == 2' "$work/blink.json" >/dev/null || { cat "$work/blink.json"; fail "blink"; }
wait_for_line "$work/sim.txt" 'LED: blinking 2 times \(simulated\)' 5
"$picohub" method invoke twin1 reboot --timeout 10 --json > "$work/reboot.json"
jq -e '.status == 501' "$work/reboot.json" >/dev/null || { cat "$work/reboot.json"; fail "reboot on the host"; }
"$picohub" method invoke twin1 warpDrive --timeout 10 --json > "$work/unknown.json"
jq -e '.status == 404 and (.payload.message | test("warpDrive"))' "$work/unknown.json" >/dev/null \
  || { cat "$work/unknown.json"; fail "unknown method"; }
pass "methods: getStatus 200 $(jq -c .payload "$work/status.json"); blink 200; reboot 501; unknown 404"

"$picohub" twin update twin1 --desired '{"telemetryInterval":2}' >/dev/null
wait_for_line "$work/sim.txt" 'Desired telemetryInterval 2 \(twin version 2\): sending every 2 s' 10
changed_at=$(grep -m1 'Desired telemetryInterval 2' "$work/sim.txt" | cut -d' ' -f1)
for _ in $(seq 1 100); do
  after=$(awk -v t="$changed_at" '$1 > t && /Sending message/' "$work/sim.txt" | wc -l)
  [[ $after -ge 4 ]] && break
  sleep 0.1
done
[[ $after -ge 4 ]] || { cat "$work/sim.txt"; fail "fewer than 4 messages after the change"; }
# Gaps between the 2nd..4th messages after the change (the 1st may come early: due one new interval after the last).
gaps=$(awk -v t="$changed_at" '$1 > t && /Sending message/ { if (n++) printf "%.2f ", $1 - prev; prev = $1 }' "$work/sim.txt")
before=$(awk -v t="$changed_at" '$1 < t && /Sending message/ { if (n++) g = $1 - prev; prev = $1 } END { printf "%.2f", g }' "$work/sim.txt")
for g in $gaps; do
  awk -v g="$g" 'BEGIN { exit !(g > 1.7 && g < 2.6) }' || { cat "$work/sim.txt"; fail "gap $g s after the change (gaps: $gaps)"; }
done
"$picohub" twin show twin1 > "$work/twin1.json"
jq -e '.properties.reported.telemetryInterval == 2 and (.properties.reported | has("telemetryIntervalError") | not)' \
  "$work/twin1.json" >/dev/null || { cat "$work/twin1.json"; fail "reported telemetryInterval after the change"; }
pass "desired telemetryInterval 2: period ${before} s before, gaps ${gaps}s after; reported 2 in picohub twin show"

"$picohub" twin update twin1 --desired '{"telemetryInterval":99999}' >/dev/null
wait_for_line "$work/sim.txt" 'Desired telemetryInterval 99999 .*refused, not an integer in 1..3600 s; telemetry stays every 2 s' 10
for _ in $(seq 1 50); do
  "$picohub" twin show twin1 > "$work/twin2.json"
  jq -e '.properties.reported.telemetryIntervalError.asked == 99999' "$work/twin2.json" >/dev/null && break
  sleep 0.1
done
jq -e '.properties.reported.telemetryInterval == 2 and .properties.reported.telemetryIntervalError.asked == 99999' \
  "$work/twin2.json" >/dev/null || { cat "$work/twin2.json"; fail "out-of-range value not reported as an error"; }
pass "desired telemetryInterval 99999 refused: interval stays 2, reported with telemetryIntervalError"

kill "$sim_pid" 2>/dev/null || true
wait "$sim_pid" 2>/dev/null || true
sim_pid=
grep -q 'Done:' "$work/sim.txt" || { cat "$work/sim.txt"; fail "the sim did not stop cleanly"; }
echo "4 passed, 0 failed"
