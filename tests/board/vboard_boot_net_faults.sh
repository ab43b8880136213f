#!/usr/bin/env bash
# Network faults at boot, end to end (issue 7): the real firmware in the virtual board against the local hub,
# with the virtual LAN's SNTP server silent for the first 3 s, its DNS server answering SERVFAIL for the first
# 6 s and nothing at all for the 8 s after (emulated time: before the first bridged connection, waits pass in
# milliseconds). The board must say what failed (a clear console line for each), retry per its policy without
# rebooting, and then connect and get telemetry acknowledged. Bounded: --max-ms 60 s emulated, --wall-ms 90 s.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
source "$(cd "$(dirname "$0")" && pwd)/vboard_fault_lib.sh"

start_hub_device vbboot
since=$(date +%s)
start_board --max-ms 60000 --wall-ms 90000 --fail-on-watchdog --fault sntp-silent@0:3s --fault dns-fail@0:6s \
  --fault dns-silent@6s:8s \
  --forbid '^reset reason: watchdog'
wait_console '/^connected to IoT Hub/ { c = 1 } c && /acknowledged by the hub/ { a++ } END { print (a >= 2 ? "yes" : "no") }' \
  90 "connected and two PUBACKs"
stop_board

sntp=$(count_lines '^SNTP: no usable answer')
dns=$(count_lines "^hub connection: the hub's name did not resolve \(DNS\) \(SERVFAIL")
dns_silent=$(count_lines "^hub connection: the hub's name did not resolve \(DNS\) \(no answer from the DNS server")
[[ $sntp -ge 1 ]] || fail "no console line about the silent SNTP server"
[[ $dns -ge 1 ]] || fail "no console line about the DNS server answering SERVFAIL"
[[ $dns_silent -ge 1 ]] || fail "no console line about the DNS server not answering"
grep -q '^SNTP: time is ' "$work/console.txt" || fail "SNTP never succeeded after the silence"
grep -q 'retrying in .* (attempt 1)' "$work/console.txt" || fail "no retry announced after the DNS failure"
boots=$(count_lines '^picohub firmware ')
[[ $boots -eq 1 ]] || fail "the board booted $boots times: a fault at boot must not make it reboot"
read -r acked recorded < <(check_nothing_lost "$since" '^picohub firmware ')
pass "SNTP silent 3 s, DNS SERVFAIL 6 s then silent 8 s at boot: $sntp SNTP retry line(s), $dns SERVFAIL and $dns_silent DNS timeout line(s), one boot, then connected; $acked acknowledged messageIds all recorded by the hub"
