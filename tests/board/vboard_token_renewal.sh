#!/usr/bin/env bash
# SAS token renewal end to end (issue 7): the firmware provisioned with `picohub board uf2 --sas-ttl 30s` signs
# 30-second tokens and renews them at 80 % of their life (iothub::SasRenewal: a life of 60 s or less has no room
# for the 60 s margin) by a polite DISCONNECT and a new CONNECT with a fresh token. Over 30 s emulated (about as much wall time: the
# board talks to the real-time hub throughout) the board must renew at least once (console line, the hub sees
# >= 2 CONNECTs) and QoS 1 telemetry must go on: every messageId the board sent is recorded by `picohub monitor`
# exactly once and in order, except at most the one still in flight when the run stopped.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/testlib.sh"
source "$here/board_hub_lib.sh"

start_hub
cs=$(device_connection_string vbrenew)
board_uf2 "$cs" "$work/board.uf2" --interval 1s --sas-ttl 30s
grep -q 'SAS token  30 s lifetime, renewed at 24 s' "$work/uf2.txt" || { cat "$work/uf2.txt"; fail "board uf2 did not take --sas-ttl"; }
since=$(date +%s)
set +e
run_board "$work/board.uf2" --timestamps --max-ms 30000 --wall-ms 150000
rc=$?
set -e
show_run
[[ $rc -eq 0 ]] || fail "the virtual board run ended with exit $rc"
grep -q '\] config: device vbrenew .* SAS token 30 s' "$work/console.txt" || fail "the board did not read the token lifetime"
renewals=$(grep -c '\] SAS token renewal due: reconnecting with a fresh token' "$work/console.txt" || true)
connected=$(grep -c '\] connected to IoT Hub as vbrenew' "$work/console.txt" || true)
[[ $renewals -ge 1 && $connected -ge 2 ]] || fail "$renewals renewals and $connected connections; want >= 1 and >= 2"
connects=$(hub_connects vbrenew)
[[ $connects -ge 2 ]] || fail "the hub saw $connects CONNECTs of vbrenew; a renewal needs >= 2"
# The token is renewed at 24 s of its life (up to 1 s early: its expiry is in whole unix seconds), then a
# reconnect of about 0.5 s: the second connection comes 23-25 s after the first.
awk '/\] connected to IoT Hub/ { t[++n] = substr($0, 2, index($0, " s]") - 2) + 0 }
     END { g = t[2] - t[1]; printf "renewal: reconnected %.1f s after the first connection\n", g; exit !(g >= 22.5 && g <= 27) }' \
  "$work/console.txt" || fail "the renewal did not come at 80 % of the token's life"
after=$(awk '/\] connected to IoT Hub/ { n++ } n >= 2 && /acknowledged by the hub/ { c++ } END { print c + 0 }' "$work/console.txt")
[[ $after -ge 3 ]] || fail "only $after acknowledgements after the renewal"

sent_message_ids > "$work/sent.txt"
recorded_message_ids vbrenew "$since" > "$work/recorded.txt"
acked=$(grep -c 'acknowledged by the hub' "$work/console.txt" || true)
check_sent_vs_recorded "$work/sent.txt" "$work/recorded.txt" "$acked"
pass "token renewal with a 30 s TTL: $renewals renewals, $connects CONNECTs, $(wc -l < "$work/sent.txt") sent, $(wc -l < "$work/recorded.txt") recorded once each in order, $after acks after the renewal"
