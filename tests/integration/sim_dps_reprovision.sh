#!/usr/bin/env bash
# picohub sim --dps when the assigned hub disowns the device (issue 11 §3/§4). While the sim sends, `picohub device
# delete` removes its device at the hub: the hub closes the connection and refuses the next CONNECTs (not
# authorized). After device::dps_reprovision_refusals (2) refusals in a row, each after the refusal schedule's wait,
# the sim registers with DPS again; the local DPS creates the device again and the telemetry taken meanwhile is
# acknowledged. Asserts on the sim's lines and exit code, the hub's log and the telemetry the hub stored.
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-sim-reprov.XXXXXX)
chmod 0755 "$work"
export PICOHUB_DATA=$work/hub
cleanup() { "$picohub" hub stop >/dev/null 2>&1 || true; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(free_port)
"$picohub" hub start --port "$port" > "$work/start.txt" 2>&1 || { cat "$work/start.txt"; fail "hub start"; }
scope=$("$picohub" dps id-scope 2>/dev/null)
key=$("$picohub" dps enrollment create dev-reprov --json | json_field primaryKey)
count=16

started=$(date +%s)
timeout 90 "$picohub" sim --dps "$scope" --registration-id dev-reprov --key "$key" --dps-host "localhost:$port" \
  --ca "$PICOHUB_DATA/ca.crt" --count "$count" --interval 500ms > "$work/sim.txt" 2>&1 &
sim=$!
wait_for_line "$work/sim.txt" "acknowledged by the hub" 30
"$picohub" device delete dev-reprov > "$work/delete.txt" 2>&1 || { cat "$work/delete.txt"; fail "device delete"; }
set +e
wait "$sim"; rc=$?
set -e
elapsed=$(( $(date +%s) - started ))
show() { echo "--- sim ---"; cat "$work/sim.txt"; echo "--- hub log ---"; grep -E "dev-reprov" "$PICOHUB_DATA/mosquitto.log" || true; }
[[ $rc -eq 0 ]] || { show; fail "sim exit $rc"; }
pass "sim --dps ran through the device's deletion in ${elapsed} s (exit 0)"

refusals=$(grep -c "hub refused the credentials.*retrying in .* (refusal [0-9]* in a row)" "$work/sim.txt" || true)
[[ $refusals -eq 2 ]] || { show; fail "expected 2 refusals before registering again, saw $refusals"; }
grep -q "the hub refused this device twice in a row (deleted, disabled or moved?): registering with DPS again" \
  "$work/sim.txt" || { show; fail "no line saying why it registers again"; }
[[ $(grep -c "^DPS assigned registration dev-reprov to hub localhost:$port as device 'dev-reprov'" "$work/sim.txt") -eq 2 ]] \
  || { show; fail "expected two DPS assignments (start, after the refusals)"; }
grep -Eq "^Done: $count sent, $count acknowledged" "$work/sim.txt" || { show; fail "not all $count messages acknowledged"; }
grep -E "refus|DPS|Done" "$work/sim.txt" | sed 's/^/  | /'
pass "2 refusals (with waits), registered again with DPS, $count of $count messages acknowledged"

log=$PICOHUB_DATA/mosquitto.log
grep -q "device dev-reprov deleted" "$log" || { show; fail "hub log: no deletion"; }
hub_refusals=$(grep -c "refused dev-reprov" "$log" || true)
[[ $hub_refusals -ge 2 ]] || { show; fail "hub log: $hub_refusals refused CONNECTs, expected >= 2"; }
[[ $(grep -c "device dev-reprov created by registration dev-reprov" "$log") -eq 2 ]] \
  || { show; fail "hub log: the device should be created by both registrations"; }
[[ $(grep -c "registration dev-reprov assigned to" "$log") -eq 2 ]] || { show; fail "hub log: two assignments"; }
pass "hub log: deleted, $hub_refusals CONNECTs refused, created again by the second registration"

# The hub's data: every reading once, from before the deletion and after the second registration alike.
"$picohub" monitor --device dev-reprov --since 10m --count "$count" --timeout 10 > "$work/monitor.txt" 2>&1 || true
ids=$(grep -o '"messageId": [0-9]*' "$work/monitor.txt" | awk '{ print $2 }' | sort -n | uniq | tr '\n' ' ')
[[ "$ids" == "$(seq -s ' ' 1 "$count") " ]] || { cat "$work/monitor.txt"; show; fail "the hub recorded messageIds '$ids', expected 1..$count once each"; }
[[ $(grep -c '"messageId": ' "$work/monitor.txt") -eq $count ]] || { cat "$work/monitor.txt"; fail "duplicates in the hub's data"; }
pass "the hub recorded messageIds 1..$count once each, across the deletion and the new registration"
echo "4 passed, 0 failed"
