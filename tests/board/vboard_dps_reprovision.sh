#!/usr/bin/env bash
# DPS re-registration on the board (issue 11 §3/§4): the real firmware, provisioned through DPS, sends telemetry;
# then `picohub device delete` removes its device at the hub. The hub closes the connection and refuses the next
# CONNECTs (not authorized); after two refusals in a row (the board's refusal schedule: ~1 min, then ~2 min, which
# --fast-idle runs without wall time since nothing is open meanwhile) the board says why and registers with the
# local DPS again, which creates the device again, and its telemetry is acknowledged again. Asserts on the console,
# the hub's log (deletion, refused CONNECTs, two registrations) and the telemetry the hub recorded afterwards.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/testlib.sh"
source "$here/board_hub_lib.sh"

start_hub
"$picohub" dps enrollment create vb-reprov --iot-hub "localhost:$hub_port" --json > "$work/enroll.json" \
  || fail "dps enrollment create"
board_dps_uf2 vb-reprov "$work/board.uf2" --dps-key "$(json_field primaryKey < "$work/enroll.json")" --interval 2s

started=$(date +%s)
"$node" "$vboard/run.mjs" --uf2 "$work/board.uf2" --host localhost=192.0.2.20 \
  --bridge "192.0.2.20:8883=127.0.0.1:$hub_port" --bridge "192.0.2.20:$hub_port=127.0.0.1:$hub_port" \
  --timestamps --fast-idle --max-ms 400000 --wall-ms 150000 --fail-on-watchdog --forbid '/hardfault|panic/i' \
  --expect '^DPS: assigned to hub' --expect '^connected to IoT Hub as vb-reprov' \
  --expect 'the hub refused this device twice in a row \(deleted, disabled or moved\?\): registering with DPS again' \
  --expect '^DPS: assigned to hub' --expect '^connected to IoT Hub as vb-reprov' \
  --expect 'acknowledged by the hub' --expect 'acknowledged by the hub' --expect 'acknowledged by the hub' \
  > "$work/console.txt" 2> "$work/vboard.txt" &
board_pid=$!
wait_for_line "$work/console.txt" "acknowledged by the hub" 90
"$picohub" device delete vb-reprov > "$work/delete.txt" 2>&1 || { cat "$work/delete.txt"; fail "device delete"; }
deleted=$(date +%s)
set +e
wait "$board_pid"; rc=$?
set -e
board_pid=
elapsed=$(( $(date +%s) - started ))
show_run | grep -E 'DPS|refus|retrying|connected to|hub connection|acknowledged' | sed 's/^/  | /'
[[ $rc -eq 0 ]] || { show_run; fail "the virtual board run ended with exit $rc"; }
[[ $(grep -c '\] picohub firmware ' "$work/console.txt") -eq 1 ]] || fail "the board rebooted"
refusals=$(grep -c 'retrying in [0-9.]* s (refusal ' "$work/console.txt" || true)
first_wait=$(sed -n 's/.*retrying in \([0-9]*\)\.[0-9] s (refusal 1;.*/\1/p' "$work/console.txt")
[[ $refusals -eq 2 && ${first_wait:-0} -ge 60 ]] \
  || fail "$refusals refusals, first wait ${first_wait:-?} s (2 refusals on the board's schedule, >= 60 s, expected)"
pass "device deleted: refused twice (first wait ${first_wait} s board time), registered with DPS again, connected; ${elapsed} s wall"

log=$PICOHUB_DATA/mosquitto.log
grep -q "device vb-reprov deleted" "$log" || fail "hub log: no deletion"
hub_refusals=$(grep -c "refused vb-reprov" "$log" || true)
registrations=$(grep -c "registration vb-reprov assigned to localhost:$hub_port" "$log" || true)
created=$(grep -c "device vb-reprov created by registration vb-reprov" "$log" || true)
[[ $hub_refusals -eq 2 && $registrations -eq 2 && $created -eq 2 ]] \
  || { grep vb-reprov "$log"; fail "hub log: $hub_refusals refused CONNECTs, $registrations assignments, $created creations (2 each expected)"; }
recorded_message_ids vb-reprov "$deleted" > "$work/recorded.txt"
recorded=$(wc -l < "$work/recorded.txt")
[[ $recorded -ge 3 ]] || { cat "$work/monitor.txt"; fail "the hub recorded $recorded messages from vb-reprov after it came back (3 expected)"; }
pass "hub log: deleted, 2 CONNECTs refused, created again by the second registration; $recorded messages recorded since"
echo "2 passed, 0 failed"
