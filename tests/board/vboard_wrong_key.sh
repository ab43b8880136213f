#!/usr/bin/env bash
# Wrong key end to end (issue 7): the real firmware provisioned with a SharedAccessKey the hub does not hold. The
# board must print the hub's refusal (the CONNACK code in words, with what to check), never reboot, and back off
# per the board policy (device::board_policy(): refused -> 1 min, doubling up to 30 min, each wait spread +-25 %
# and never under 1 min). Four refusals give three waits: each announced wait lies in its policy window, the next
# attempt starts that long after the refusal (measured with emulated timestamps), and the waits grow. The board
# sleeps through the waits with no bridged connection open, and `--fast-idle` lets emulated time run ahead of the
# wall clock there: up to 9 min emulated take seconds of wall time.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/testlib.sh"
source "$here/board_hub_lib.sh"

start_hub
cs=$(device_connection_string vbkey)
wrong_key=$(head -c 32 /dev/urandom | base64)
board_uf2 "$(sed -E "s|SharedAccessKey=[^;]*|SharedAccessKey=$wrong_key|" <<< "$cs")" "$work/board.uf2" --interval 2s

set +e
run_board "$work/board.uf2" --timestamps --fast-idle --max-ms 600000 --wall-ms 150000 --expect '\(refusal 4;'
rc=$?
set -e
show_run
[[ $rc -eq 0 ]] || fail "the virtual board run ended with exit $rc"
banners=$(grep -c '\] picohub firmware ' "$work/console.txt" || true)
[[ $banners -eq 1 ]] || fail "$banners boot banners: the board rebooted"
grep -q '\] hub refused the credentials (CONNACK 5): check SharedAccessKey' "$work/console.txt" \
  || fail "the CONNACK 5 refusal was not printed in words"
! grep -q '\] connected to IoT Hub' "$work/console.txt" || fail "the hub accepted a wrong key"

# t(connecting n), and per refusal n: its time and the announced wait.
awk 'function t() { return substr($0, 2, index($0, " s]") - 2) + 0 }
     /\] connecting to / { print "connect", t() }
     /\(refusal [0-9]+;/ { match($0, /retrying in [0-9.]+ s/); print "refused", t(), substr($0, RSTART + 12, RLENGTH - 14) }' \
  "$work/console.txt" > "$work/times.txt"
# Policy window for refusal n (ms): step = 60 s * 2^(n-1) capped at 30 min; [max(60 s, 3/4 step), min(30 min, 5/4 step)].
awk 'function lo(n,  s) { s = 60000 * 2 ^ (n - 1); if (s > 1800000) s = 1800000; return (s * 3 / 4 < 60000) ? 60000 : s * 3 / 4 }
     function hi(n,  s) { s = 60000 * 2 ^ (n - 1); if (s > 1800000) s = 1800000; return (s * 5 / 4 > 1800000) ? 1800000 : s * 5 / 4 }
     $1 == "connect" { c[++nc] = $2 * 1000 }
     $1 == "refused" { r[++nr] = $2 * 1000; w[nr] = $3 * 1000 }
     END {
       if (nr < 4 || nc < 4) { print "FAIL: " nr " refusals and " nc " attempts; 4 of each expected"; exit 1 }
       for (n = 1; n <= 3; n++) {
         if (w[n] < lo(n) - 100 || w[n] > hi(n) + 100) { printf "FAIL: refusal %d announced %.1f s, outside [%.0f, %.0f] s\n", n, w[n] / 1000, lo(n) / 1000, hi(n) / 1000; exit 1 }
         gap = c[n + 1] - r[n]
         # the next attempt: after the wait, plus the SNTP resync and DNS (well under 5 s)
         if (gap < w[n] - 100 || gap > w[n] + 5000) { printf "FAIL: attempt %d began %.1f s after refusal %d, which announced %.1f s\n", n + 1, gap / 1000, n, w[n] / 1000; exit 1 }
         if (n > 1 && c[n + 1] - c[n] <= c[n] - c[n - 1]) { print "FAIL: the gaps between attempts did not grow"; exit 1 }
         printf "refusal %d: waited %.1f s (policy %.0f..%.0f s); attempt %d began %.1f s later\n", n, w[n] / 1000, lo(n) / 1000, hi(n) / 1000, n + 1, gap / 1000
       }
     }' "$work/times.txt" | tee "$work/gaps.txt"
! grep -q '^FAIL' "$work/gaps.txt" || fail "$(grep '^FAIL' "$work/gaps.txt")"
refused=$(grep -c 'picohub: refused vbkey' "$PICOHUB_DATA/mosquitto.log" || true)
[[ $refused -eq 4 ]] || fail "the hub refused vbkey $refused times; the board reported 4"
emulated=$(sed -n 's/.*ran \([0-9]*\)\.[0-9]* ms emulated.*/\1/p' "$work/vboard.txt")
pass "wrong key: the hub refused 4 CONNECTs (CONNACK 5, printed in words), the waits grew per the board policy, one boot in $((emulated / 1000)) s emulated"
