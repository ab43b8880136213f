#!/usr/bin/env bash
# The hub goes away for good: picohub sim gives up after its bounded reconnect attempts (5, back-off growing from
# 0.5 s towards 10 s, with jitter) with exit 4 and a message that says what to do; it does not hang (bounded by
# timeout). --retries changes the number of attempts.
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-link-gone.XXXXXX)
cleanup() { stop_pid_file "$work/mosquitto.pid"; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

make_test_ca "$work"
port=$(free_port)
start_plain_mosquitto "$work" "$port"
key=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
cs="HostName=localhost;DeviceId=dev1;SharedAccessKey=$key;GatewayHostName=localhost:$port"

timeout 90 "$picohub" sim --connection-string "$cs" --ca "$work/ca.crt" --count 20 --interval 200ms --qos 1 \
  > "$work/sim.txt" 2>&1 &
sim=$!
for _ in $(seq 1 300); do
  [[ $(grep -c 'acknowledged by the hub' "$work/sim.txt" || true) -ge 3 ]] && break
  sleep 0.1
done
[[ $(grep -c 'acknowledged by the hub' "$work/sim.txt" || true) -ge 3 ]] || { cat "$work/sim.txt"; fail "no 3 PUBACKs within 30 s"; }
kill -9 "$(cat "$work/mosquitto.pid")"

rc=0; wait "$sim" || rc=$?
[[ $rc -ne 124 ]] || { cat "$work/sim.txt"; fail "picohub sim was still running after 90 s (it must give up by itself)"; }
[[ $rc -eq 4 ]] || { cat "$work/sim.txt"; fail "expected exit 4 (network), got $rc"; }
pass "sim gave up by itself with exit 4"

[[ $(grep -c 'attempt [0-9] of 5' "$work/sim.txt") -eq 5 ]] || { cat "$work/sim.txt"; fail "expected exactly 5 reconnect attempts"; }
# Jittered back-off: attempt 1 waits 500..625 ms, attempt 5 waits 6.0..10.0 s (step 8 s, -1/4 .. +1/4, capped).
grep -Eq 'reconnecting in (5[0-9][0-9]|6[01][0-9]|62[0-5]) ms: .* \(attempt 1 of 5\)' "$work/sim.txt" &&
  grep -Eq 'reconnecting in ([6-9]\.[0-9]|10\.0) s: .* \(attempt 5 of 5\)' "$work/sim.txt" ||
  { cat "$work/sim.txt"; fail "back-off did not grow from ~0.5 s to ~8 s"; }
pass "5 attempts with a growing, jittered back-off (~0.5 s .. ~8 s), each with its reason"

grep -q 'gave up reconnecting to the hub: check that it is running and reachable' "$work/sim.txt" ||
  { cat "$work/sim.txt"; fail "no actionable give-up message"; }
! grep -q '^Done:' "$work/sim.txt" || { cat "$work/sim.txt"; fail "sim claimed to be done"; }
pass "give-up message says what to check"

# --retries sets the number of attempts: 2 here.
port=$(free_port)
start_plain_mosquitto "$work" "$port"
cs="HostName=localhost;DeviceId=dev1;SharedAccessKey=$key;GatewayHostName=localhost:$port"
timeout 60 "$picohub" sim --connection-string "$cs" --ca "$work/ca.crt" --count 20 --interval 200ms --qos 1 \
  --retries 2 > "$work/sim2.txt" 2>&1 &
sim=$!
for _ in $(seq 1 300); do
  [[ $(grep -c 'acknowledged by the hub' "$work/sim2.txt" || true) -ge 1 ]] && break
  sleep 0.1
done
kill -9 "$(cat "$work/mosquitto.pid")"
rc=0; wait "$sim" || rc=$?
[[ $rc -eq 4 ]] && [[ $(grep -c 'attempt [0-9] of 2' "$work/sim2.txt") -eq 2 ]] ||
  { cat "$work/sim2.txt"; fail "--retries 2: expected exit 4 after exactly 2 attempts, got $rc"; }
pass "--retries 2 gives up after 2 attempts"
echo "4 passed, 0 failed"
