#!/usr/bin/env bash
# C2D larger than the board's receive buffer end to end (issue 7): the firmware's MQTT receive buffer is 2 KiB
# (BoardClientMemory). A 3000-byte C2D must be acknowledged (so the hub does not redeliver it forever),
# dropped, and counted on the console; the next, normal C2D is still printed. The board runs on for 2 s after
# that (its PUBACKs go out), then the hub must hold no undelivered message for the device, and the drop line
# appeared exactly once (no redelivery).
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/testlib.sh"
source "$here/board_hub_lib.sh"

start_hub
cs=$(device_connection_string vbc2d)
board_uf2 "$cs" "$work/board.uf2" --interval 2s
# Not through run_board: $! must be node itself, so SIGTERM ends the run (with its summary) once the test has seen
# enough. --max-ms / --wall-ms still bound it.
"$node" "$vboard/run.mjs" --uf2 "$work/board.uf2" --host localhost=192.0.2.20 \
  --bridge "192.0.2.20:8883=127.0.0.1:$hub_port" --fail-on-watchdog --forbid '/hardfault|panic/i' \
  --max-ms 60000 --wall-ms 120000 > "$work/console.txt" 2> "$work/vboard.txt" &
board_pid=$!
wait_for_line "$work/console.txt" '^connected to IoT Hub as vbc2d' 90
big=$(head -c 3000 /dev/zero | tr '\0' 'x')
"$picohub" c2d send vbc2d --data "$big" >/dev/null || fail "c2d send (3000 bytes)"
"$picohub" c2d send vbc2d --data "the next one" >/dev/null || fail "c2d send"
wait_for_line "$work/console.txt" '^Received message: the next one$' 60
sleep 2
kill -TERM "$board_pid" 2>/dev/null || true
set +e
wait "$board_pid"
rc=$?
set -e
board_pid=
show_run
[[ $rc -eq 0 ]] || fail "the virtual board run ended with exit $rc"
grep -Eq '^Dropped a cloud-to-device message of [0-9]+ bytes \(receive buffer: 2048 bytes\); acknowledged so the hub does not resend it; 1 dropped so far$' \
  "$work/console.txt" || fail "no drop line with the counter"
drops=$(grep -c '^Dropped a cloud-to-device message' "$work/console.txt" || true)
[[ $drops -eq 1 ]] || fail "$drops drop lines: the hub redelivered the large message"
depth=
for _ in $(seq 1 20); do
  depth=$("$picohub" device show vbc2d | awk '/^c2dQueueDepth/ { print $2 }')
  [[ "$depth" == 0 ]] && break
  sleep 0.2
done
[[ "$depth" == 0 ]] || fail "the hub still holds $depth C2D messages for vbc2d: the large one was not acknowledged"
line=$(grep '^Dropped a cloud-to-device' "$work/console.txt")
pass "C2D of 3000 bytes: acknowledged, dropped and counted ($line); the next C2D printed; the hub's queue is empty"
