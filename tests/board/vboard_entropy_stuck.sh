#!/usr/bin/env bash
# Entropy stuck end to end (issue 7): the ROSC's RANDOMBIT stuck at 1 (`--rosc stuck`). The start-up health test
# must fail and say so, TLS must be refused with a clear line, and nothing else breaks: the network stages still
# run (DHCP, SNTP), the board never opens a connection to the hub, never faults and is not rebooted by the
# watchdog (one boot banner over 15 s emulated, three watchdog periods).
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/testlib.sh"
source "$here/board_hub_lib.sh"

start_hub
cs=$(device_connection_string vbrosc)
board_uf2 "$cs" "$work/board.uf2" --interval 2s
set +e
run_board "$work/board.uf2" --rosc stuck --max-ms 15000 --wall-ms 60000
rc=$?
set -e
show_run
[[ $rc -eq 0 ]] || fail "the virtual board run ended with exit $rc"
banners=$(grep -c '^picohub firmware ' "$work/console.txt" || true)
[[ $banners -eq 1 ]] || fail "$banners boot banners in 15 s emulated: the board rebooted"
grep -Eq '^entropy: ROSC start-up health test .*: FAILED .*; TLS is blocked' "$work/console.txt" \
  || fail "the boot report does not say the entropy health test failed"
grep -Eq '^TLS blocked: the entropy source .*will not connect with predictable keys' "$work/console.txt" \
  || fail "no clear line that TLS is refused"
grep -q '^not connecting to the hub: TLS is blocked' "$work/console.txt" || fail "no line that the board will not connect"
grep -q '^DHCP: 192\.0\.2\.10/24' "$work/console.txt" || fail "the network stages stopped too"
! grep -Eq '^(connecting to|TLS: )' "$work/console.txt" || fail "the board tried TLS with a failed entropy source"
[[ $(hub_connects vbrosc) -eq 0 ]] || fail "the hub saw a CONNECT"
pass "entropy stuck: health test failed, TLS refused with a clear line, network up, no connection, one boot in 15 s"
