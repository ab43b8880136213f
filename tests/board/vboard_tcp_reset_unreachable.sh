#!/usr/bin/env bash
# TCP reset and hub unreachable, end to end (issue 7): the real firmware in the virtual board against the local
# hub. 4 s in (emulated time, which follows the wall clock once the board talks to the hub) every bridged TCP
# connection is reset at both ends while the link stays up; 7 s in the hub becomes unreachable for 10 s (the
# bridge answers every SYN with RST, the open connection is reset). The board must reconnect after the reset,
# back off visibly while the hub is unreachable (attempts 2, 3, ... with growing delays), connect when it is
# back (the hub's log shows >= 3 CONNECTs) and QoS 1 telemetry must resume with nothing acknowledged lost.
# Bounded: --max-ms 60 s emulated, --wall-ms 120 s, the wait 110 s.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
source "$(cd "$(dirname "$0")" && pwd)/vboard_fault_lib.sh"

start_hub_device vbreset
since=$(date +%s)
start_board --max-ms 60000 --wall-ms 120000 --fail-on-watchdog --fault tcp-reset@4s --fault hub-unreachable@7s:10s
wait_console '/^connected to IoT Hub/ { c++; a = 0 } /acknowledged by the hub/ { a++ }
  END { print (c >= 3 && a >= 2 ? "yes" : "no") }' 110 "three connects and two PUBACKs after the last"
stop_board

grep -q 'fault: tcp reset' "$work/vboard.txt" && grep -q 'fault: hub reachable again' "$work/vboard.txt" \
  || fail "the faults never ran"
resets=$(count_lines '^hub connection: .*reset or closed.*; retrying in ')
[[ $resets -ge 2 ]] || fail "$resets console lines about a reset connection; expected one per fault"
refused=$(count_lines '^hub connection: TCP connection failed \(TCP connect refused')
[[ $refused -ge 2 ]] || fail "only $refused refused attempts while the hub was unreachable"
backoff=$(grep -Eo 'refused.*retrying in [0-9.]+ s \(attempt [0-9]+\)' "$work/console.txt" | sed -E 's/.*retrying in ([0-9.]+) s \(attempt ([0-9]+)\)/\2:\1/' | tr '\n' ' ')
awk -v list="$backoff" 'BEGIN { n = split(list, a, " "); for (i = 2; i <= n; i++) { split(a[i-1], p, ":"); split(a[i], q, ":");
  if (q[1] != p[1] + 1 || q[2] + 0 <= p[2] + 0) exit 1 } }' || fail "attempts do not back off: $backoff"
connects=$(grep -c "New client connected .* as vbreset " "$PICOHUB_DATA/mosquitto.log" || true)
[[ $connects -ge 3 ]] || fail "the hub saw $connects CONNECTs of vbreset; expected >= 3"
boots=$(count_lines '^picohub firmware ')
[[ $boots -eq 1 ]] || fail "the board booted $boots times: no fault here may reboot it"
read -r acked recorded < <(check_nothing_lost "$since" '^picohub firmware ')
pass "TCP reset then hub unreachable 10 s: $connects CONNECTs, $refused refused attempts backing off (attempt:delay $backoff), $acked acknowledged messageIds all recorded by the hub ($recorded recorded)"
