#!/usr/bin/env bash
# A wrong clock end to end (issue 11 "Prove it"): the virtual LAN's SNTP server answers 2 h behind for the first
# 40 s (vboard fault sntp-behind). The board signs a token that the hub finds already expired and refuses
# (CONNACK 5); the board says so in words, naming the clock, asks SNTP again before retrying (board policy:
# refused -> resync the time, wait 1 min), gets the right time and connects, without a reboot. --fast-idle lets
# the minute's wait pass in seconds of wall time.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/testlib.sh"
source "$here/board_hub_lib.sh"

start_hub
cs=$(device_connection_string vbclock)
board_uf2 "$cs" "$work/board.uf2" --interval 2s

set +e
run_board "$work/board.uf2" --timestamps --fast-idle --fault sntp-behind@0s:40s --max-ms 300000 --wall-ms 150000 \
  --expect 'hub refused the credentials \(CONNACK 5\)' --expect 'asking SNTP for the time again' \
  --expect '^connected to IoT Hub as vbclock' --expect 'acknowledged by the hub'
rc=$?
set -e
show_run
[[ $rc -eq 0 ]] || fail "the virtual board run ended with exit $rc"
banners=$(grep -c '\] picohub firmware ' "$work/console.txt" || true)
[[ $banners -eq 1 ]] || fail "$banners boot banners: the board rebooted"
grep -q 'and the clock (SAS expiry)' "$work/console.txt" || fail "the refusal did not point at the clock"
grep -q 'picohub: refused vbclock: token expired' "$PICOHUB_DATA/mosquitto.log" \
  || fail "the hub did not refuse the first token as expired: $(grep vbclock "$PICOHUB_DATA/mosquitto.log" | head -n 5)"
first_time=$(grep -m1 '\] SNTP: time is ' "$work/console.txt" | sed 's/.*SNTP: time is \([^ ]*\).*/\1/')
last_time=$(grep '\] SNTP: time is ' "$work/console.txt" | tail -n 1 | sed 's/.*SNTP: time is \([^ ]*\).*/\1/')
refusals=$(grep -c 'picohub: refused vbclock' "$PICOHUB_DATA/mosquitto.log" || true)
pass "clock 2 h behind: $refusals refusal(s) (token expired), SNTP asked again ($first_time -> $last_time), then connected and sent, one boot"
