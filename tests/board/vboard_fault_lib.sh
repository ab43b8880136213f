# Shared by the fault end-to-end scripts (vboard_*faults*.sh, vboard_watchdog_hub_restart.sh): a local hub in a
# temp data dir on a free loopback port, a device, the firmware provisioned for it, the virtual board in the
# background with its console in a file, bounded waits on that console, and the "nothing acknowledged was
# lost" check. Source after setting picohub, node, firmware.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../lib/testlib.sh"
source "$here/board_hub_lib.sh"  # skip rules, $work, cleanup, start_hub, device_connection_string, board_uf2, show_run

# start_hub_device DEVICE: hub on a free port ($port), DEVICE created, $work/board.uf2 sending every second.
start_hub_device() {
  device=$1
  start_hub
  port=$hub_port
  board_uf2 "$(device_connection_string "$device")" "$work/board.uf2" --interval 1s
}

# start_board RUN.MJS-ARGS...: the board in the background against the hub, console in $work/console.txt.
start_board() {
  "$node" "$vboard/run.mjs" --uf2 "$work/board.uf2" --host localhost=192.0.2.20 \
    --bridge "192.0.2.20:8883=127.0.0.1:$port" --forbid '/hardfault|panic/i' "$@" \
    > "$work/console.txt" 2> "$work/vboard.txt" &
  board_pid=$!
}

# wait_console AWK-CONDITION SECONDS WHAT: until the awk program (run over the console, printing "yes" when
# satisfied) says yes; fails naming WHAT if the board run ends first or SECONDS pass.
wait_console() {
  local condition=$1 seconds=$2 what=$3
  for _ in $(seq 1 $((seconds * 5))); do
    [[ $(awk "$condition" "$work/console.txt" 2>/dev/null) == yes ]] && return 0
    kill -0 "$board_pid" 2>/dev/null || { show_run; fail "the board run ended before: $what"; }
    sleep 0.2
  done
  show_run
  fail "not within ${seconds}s: $what"
}

# stop_board: SIGTERM ends the run with its summary; the exit code must be 0 (no fault, no forbidden line).
stop_board() {
  kill -TERM "$board_pid" 2>/dev/null || true
  local rc=0
  wait "$board_pid" || rc=$?
  board_pid=
  show_run
  [[ $rc -eq 0 ]] || fail "the virtual board run ended with exit $rc"
}

# count_lines REGEX: console lines matching (grep -E).
count_lines() { grep -Ec -- "$1" "$work/console.txt" || true; }

# acks_after REGEX: acknowledgements after the last console line matching REGEX.
acks_after() {
  awk -v re="$1" '$0 ~ re { n = 0; seen = 1; next } seen && /acknowledged by the hub/ { n++ } END { print n + 0 }' "$work/console.txt"
}

# check_nothing_lost SINCE FROM-REGEX: every messageId the board had acknowledged (PUBACK) after the last line
# matching FROM-REGEX was recorded by the hub since unix time SINCE. Prints "acked recorded".
# A PUBACK line names a packet id, not a messageId, and readings queued while offline are sent later, so the
# acknowledgements are matched to readings by order: QoS 1 telemetry is acknowledged in the order it was taken
# (in-flight retransmits first after a reconnect, then the offline queue, oldest first), and a reading the full
# queue dropped ("dropped message N") is never sent. Counting restarts at each boot (ids restart at 1).
check_nothing_lost() {
  local since=$1 from=$2
  awk -v re="$from" '
    /^picohub firmware / { n = 0; head = 0; counting = 0; split("", ids); split("", dropped); split("", acked) }
    $0 ~ re { counting = 1; split("", acked) }
    /^Sending message [0-9]+:/ { sub(":", "", $3); ids[n++] = $3 }
    /dropped message [0-9]+/ { match($0, /dropped message [0-9]+/); dropped[substr($0, RSTART + 16, RLENGTH - 16)] = 1 }
    /acknowledged by the hub/ {
      while (head < n && (ids[head] in dropped)) head++
      if (head < n) { if (counting) acked[ids[head]] = 1; head++ }
    }
    END { for (i in acked) print i }' "$work/console.txt" | sort -u > "$work/acked.txt"  # comm needs text order
  "$picohub" monitor --device "$device" --since "$since" --timeout 3 > "$work/monitor.txt" 2>&1 || true
  grep -o '"messageId": [0-9]*' "$work/monitor.txt" | awk '{ print $2 }' | sort -u > "$work/recorded.txt"
  local lost; lost=$(comm -23 "$work/acked.txt" "$work/recorded.txt" | tr '\n' ' ')
  [[ -z "$lost" ]] || fail "acknowledged by the hub but not recorded by it: messageIds $lost"
  echo "$(wc -l < "$work/acked.txt") $(wc -l < "$work/recorded.txt")"
}
