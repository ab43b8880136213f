#!/usr/bin/env bash
# The device's offline telemetry queue (issue 11 §4), against the local hub: picohub sim keeps making readings
# while a loopback proxy (tests/lib/fault_proxy.mjs) has cut the network, holds at most --queue of them, and
# drops the oldest when full, saying which. After the network is back the hub must hold exactly the readings the
# sim did not say it dropped — nothing lost silently — and in the order they were measured.
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"
command -v node >/dev/null || { echo "SKIP: node is not installed"; exit 0; }

work=$(mktemp -d /tmp/picohub-sim-queue.XXXXXX)
chmod 0755 "$work"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$work/hub
cleanup() {
  "$picohub" hub stop >/dev/null 2>&1 || true
  jobs -p | xargs -r kill 2>/dev/null || true
  [[ -n "${KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

count=60 queue=8
port=$(free_port)
proxy_port=$(free_port)
"$picohub" hub start --port "$port" > "$work/start.txt" 2>&1 || { cat "$work/start.txt"; fail "hub start"; }
"$picohub" device create q1 >/dev/null
cs=$("$picohub" device connection-string q1 --gateway)
cs=${cs/localhost:$port/localhost:$proxy_port}
acks() { grep -c 'acknowledged by the hub' "$work/sim.txt" 2>/dev/null || true; }

node "$(dirname "$0")/../lib/fault_proxy.mjs" "$proxy_port" "$port" --max-seconds 90 > "$work/proxy.txt" 2>&1 &
proxy=$!
wait_for_line "$work/proxy.txt" "proxy: listening" 10

timeout 80 "$picohub" sim --connection-string "$cs" --ca "$PICOHUB_DATA/ca.crt" --count "$count" --interval 100ms \
  --qos 1 --retries 100 --queue "$queue" > "$work/sim.txt" 2>&1 &
sim=$!
for _ in $(seq 1 200); do [[ $(acks) -ge 10 ]] && break; sleep 0.1; done
[[ $(acks) -ge 10 ]] || { tail -n 20 "$work/sim.txt"; fail "no 10 acknowledgements within 20 s"; }
kill -USR1 "$proxy"
wait_for_line "$work/proxy.txt" "proxy: cut" 5
sleep 4  # about 40 readings: the queue of 8 overflows
kill -USR2 "$proxy"
wait_for_line "$work/proxy.txt" "proxy: restored" 5

rc=0
wait "$sim" || rc=$?
[[ $rc -eq 0 ]] || { tail -n 30 "$work/sim.txt"; fail "picohub sim exited with $rc"; }
done_line=$(grep '^Done:' "$work/sim.txt") || { tail -n 20 "$work/sim.txt"; fail "no Done line"; }
said_dropped=$(sed -n 's/^  queue full ('"$queue"' readings): dropped message \([0-9]*\), the oldest.*/\1/p' "$work/sim.txt" | sort -n)
dropped=$(grep -c . <<< "$said_dropped" || true)
[[ $dropped -gt 0 ]] || fail "a 4 s cut at 10 readings/s should overflow a queue of $queue (no drop was reported)"
grep -q "Done: $count sent, $((count - dropped)) acknowledged, $dropped dropped (queue full)" <<< "$done_line" ||
  fail "the Done line does not add up: '$done_line' ($dropped drops were reported)"
grep -q '  connected again: sending [0-9]* queued reading' "$work/sim.txt" || fail "no line about sending the queued readings"

"$picohub" monitor --device q1 --since 1h --timeout 10 --json > "$work/log.txt" 2>&1 || true
order=$(grep -o '"messageId":[0-9]*' "$work/log.txt" | cut -d: -f2)
first_seen=$(awk '!seen[$0]++' <<< "$order")
stored=$(sort -n <<< "$first_seen")
expected=$(comm -23 <(seq 1 "$count" | sort) <(sort <<< "$said_dropped") | sort -n)
echo "sim: $count readings, $dropped dropped when the queue of $queue was full; hub: $(grep -c . <<< "$first_seen") distinct readings"
[[ "$stored" == "$expected" ]] || {
  diff <(echo "$expected") <(echo "$stored") | head -n 20
  fail "the hub's readings are not exactly the ones the sim did not drop"
}
[[ "$first_seen" == "$stored" ]] || fail "the hub received the readings out of measurement order"
pass "queue of $queue: $dropped oldest readings dropped and reported, the other $((count - dropped)) all reached the hub, in order"
