#!/usr/bin/env bash
# SAS renewal against the local hub (issue 11 "Prove it"): picohub sim with 70 s tokens (renewal due 10 s after each
# connect) sends 140 QoS 1 messages at 250 ms (35 s), so it renews at least 3 times mid-run. Every message must reach
# the hub's telemetry log exactly once: zero lost, zero duplicated across the switches, and the hub saw one CONNECT
# per token. Prints the counts.
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-sim-renewal.XXXXXX)
chmod 0755 "$work"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$work/hub
cleanup() { "$picohub" hub stop >/dev/null 2>&1 || true; jobs -p | xargs -r kill 2>/dev/null || true; [[ -n "${KEEP:-}" ]] || rm -rf "$work"; }
trap cleanup EXIT

count=140
port=$(free_port)
"$picohub" hub start --port "$port" > "$work/start.txt" 2>&1 || { cat "$work/start.txt"; fail "hub start"; }
"$picohub" device create renew1 >/dev/null
cs=$("$picohub" device connection-string renew1 --gateway)

rc=0
timeout 120 "$picohub" sim --connection-string "$cs" --ca "$PICOHUB_DATA/ca.crt" --count "$count" --interval 250ms \
  --qos 1 --sas-ttl 70 > "$work/sim.txt" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || { cat "$work/sim.txt"; fail "picohub sim exited with $rc"; }
renewals=$(grep -c 'SAS token renewal due: reconnecting with a fresh token' "$work/sim.txt" || true)
[[ $renewals -ge 3 ]] || { cat "$work/sim.txt"; fail "expected at least 3 renewals in a 35 s run of 70 s tokens, saw $renewals"; }
grep -q "Done: $count sent, $count acknowledged" "$work/sim.txt" || { tail -n 20 "$work/sim.txt"; fail "not every message acknowledged"; }
pass "sim renewed its token $renewals times and every one of $count messages was acknowledged"

connects=$(grep -c 'picohub: renew1 connected (token' "$PICOHUB_DATA/mosquitto.log" || true)
[[ $connects -eq $((renewals + 1)) ]] || { grep renew1 "$PICOHUB_DATA/mosquitto.log" | tail -n 20; fail "hub saw $connects CONNECTs for $renewals renewals"; }
"$picohub" monitor --device renew1 --since 1h --count "$count" --timeout 20 --json > "$work/log.txt" 2>&1 \
  || { tail -n 5 "$work/log.txt"; fail "the hub's log does not hold $count messages from renew1"; }
ids=$(grep -o '"messageId":[0-9]*' "$work/log.txt" | cut -d: -f2 | sort -n)
total=$(wc -l <<< "$ids")
unique=$(uniq <<< "$ids" | wc -l)
missing=$(comm -23 <(seq 1 "$count") <(uniq <<< "$ids") | wc -l)
echo "hub log: $total events, $unique distinct messageIds, $missing missing, $((total - unique)) duplicates, $connects CONNECTs"
[[ $missing -eq 0 && $total -eq $count && $unique -eq $count ]] || fail "lost or duplicated messages across the renewals"
pass "the hub logged messageIds 1..$count exactly once across $renewals renewals ($connects CONNECTs)"
