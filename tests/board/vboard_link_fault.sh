#!/usr/bin/env bash
# Link fault end to end (issue 7): the real firmware in the virtual board against the local hub; 5 s in, the
# Ethernet link drops for 10 s (PHY link bit clears, bridged TCP is reset at both ends), then comes back.
# The board must reconnect (the hub's mosquitto.log shows >= 2 CONNECTs of the device) and QoS 1 telemetry
# must go on with nothing lost: readings made while the link is down wait in the offline telemetry queue (16 by
# default; the board says so) and are delivered after the reconnect, in order. Every messageId the board sent is recorded by the hub
# (`picohub monitor --since`) exactly once and in order (except at most the one in flight when the run stopped),
# at least one of them was made during the outage, and acknowledgements continue after it. Bounded: --max-ms
# 25 s emulated (about 25 s wall once the board talks to the hub), --wall-ms 150 s.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/testlib.sh"
source "$here/board_hub_lib.sh"

start_hub
cs=$(device_connection_string vbfault)
board_uf2 "$cs" "$work/board.uf2" --interval 1s
since=$(date +%s)
set +e
run_board "$work/board.uf2" --max-ms 25000 --wall-ms 150000 --fault link-down@5s:10s
rc=$?
set -e
show_run
[[ $rc -eq 0 ]] || fail "the virtual board run ended with exit $rc"
grep -q 'fault: link down' "$work/vboard.txt" && grep -q 'fault: link up' "$work/vboard.txt" || fail "the link fault never ran"

connects=$(hub_connects vbfault)
[[ $connects -ge 2 ]] || fail "the hub saw $connects CONNECTs of vbfault; a reconnect needs >= 2"
# Made during the outage: "Sending message" between the loss and the next connection.
offline=$(awk '/^Ethernet link lost/ { down = 1 } down && /^connected to IoT Hub/ { down = 0 }
               down && /^Sending message [0-9]+:/ { c++ } END { print c + 0 }' "$work/console.txt")
[[ $offline -ge 1 ]] || fail "no telemetry was made while the link was down"
grep -q '^  not connected: [0-9]* queued (room for 16), sent in order once the hub is back' "$work/console.txt" ||
  fail "the board did not say it queues readings while the hub is away"
grep -q '^  connected again: sending [0-9]* queued reading' "$work/console.txt" ||
  fail "the board did not say it sends the queued readings"
! grep -q '^  queue full' "$work/console.txt" || fail "a 10 s outage at 1 s per reading overflowed a queue of 16"
# The line after the outage: acknowledgements must go on once the board is back.
after=$(awk '/^Ethernet link up/ { n++ } n >= 2 && /acknowledged by the hub/ { c++ } END { print c + 0 }' "$work/console.txt")
[[ $after -ge 3 ]] || fail "only $after acknowledgements after the link came back"

sent_message_ids > "$work/sent.txt"
recorded_message_ids vbfault "$since" > "$work/recorded.txt"
acked=$(grep -c 'acknowledged by the hub' "$work/console.txt" || true)
[[ $acked -ge 8 ]] || fail "only $acked messages acknowledged in the whole run"
check_sent_vs_recorded "$work/sent.txt" "$work/recorded.txt" "$acked"
sent=$(wc -l < "$work/sent.txt")
recorded=$(wc -l < "$work/recorded.txt")
pass "link down 10 s then up: $connects CONNECTs, $sent sent ($offline while the link was down), $recorded recorded once each in order, $after acks after the outage"
