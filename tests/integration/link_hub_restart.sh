#!/usr/bin/env bash
# The hub goes away mid-run and comes back on the same port: picohub sim sends 20 QoS 1 messages at 200 ms,
# mosquitto is killed (SIGKILL) after 5 PUBACKs and restarted ~1.5 s later (persistence false: no session
# survives). The sim reconnects by itself, every message is acknowledged, and the subscriber from before the
# kill plus one on the restarted broker saw every messageId 1..20 at least once (duplicates allowed).
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-link-restart.XXXXXX)
cleanup() { stop_pid_file "$work/mosquitto.pid"; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Waits until FILE has at least N lines matching PATTERN, at most SECONDS.
wait_for_count() {
  local file=$1 pattern=$2 n=$3 seconds=$4
  for _ in $(seq 1 $((seconds * 10))); do
    [[ $(grep -Ec -- "$pattern" "$file" 2>/dev/null || true) -ge $n ]] && return 0
    sleep 0.1
  done
  echo "--- $file ---" >&2; cat "$file" >&2 || true
  fail "fewer than $n lines match '$pattern' in $file after ${seconds}s"
}

make_test_ca "$work"
# mosquitto started as root writes its log as the mosquitto user.
touch "$work/mosquitto.log"; chmod 0666 "$work/mosquitto.log"
port=$(free_port)
start_plain_mosquitto "$work" "$port" "allow_anonymous true
log_type all"

key=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
cs="HostName=localhost;DeviceId=dev1;SharedAccessKey=$key;GatewayHostName=localhost:$port"
watch() {  # subscriber NAME: QoS 1, topic + payload lines, line-buffered; the broker's log shows its SUBACK
  timeout 90 stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$port" --cafile "$work/ca.crt" -V mqttv311 -i "$1" -q 1 \
    -t 'devices/dev1/messages/events/#' -v > "$work/$1.txt" 2>&1 &
}
watch before
wait_for_line "$work/mosquitto.log" "Sending SUBACK to before" 10

timeout 120 "$picohub" sim --connection-string "$cs" --ca "$work/ca.crt" --count 20 --interval 200ms --qos 1 \
  > "$work/sim.txt" 2>&1 &
sim=$!
wait_for_count "$work/sim.txt" 'acknowledged by the hub' 5 30

old_pid=$(cat "$work/mosquitto.pid")
# Freeze the broker first so that the next message leaves the sim but is never acknowledged: it is in flight
# at the kill and must be retransmitted (DUP set) to the restarted broker.
kill -STOP "$old_pid"
sent_before=$(grep -c '^Sending message' "$work/sim.txt" || true)
wait_for_count "$work/sim.txt" '^Sending message' $((sent_before + 1)) 10
# ...and wait until its bytes sit unread in the frozen broker's receive queue (bounded).
queued() { ss -Htn state established "( sport = :$port )" | awk '{q += $1} END {print q + 0}'; }
for _ in $(seq 1 50); do [[ $(queued) -gt 0 ]] && break; sleep 0.1; done
[[ $(queued) -gt 0 ]] || fail "the message sent to the frozen broker never reached its socket"
kill -9 "$old_pid"
for _ in $(seq 1 50); do kill -0 "$old_pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$old_pid" 2>/dev/null || fail "mosquitto survived SIGKILL"
acked_at_kill=$(grep -c 'acknowledged by the hub' "$work/sim.txt" || true)

# Restart while the sim waits out its third back-off (2 s): time enough for a subscriber to be in place
# before the retransmissions arrive. This is ~1.5 s after the kill (500 ms + 1000 ms of back-off).
wait_for_line "$work/sim.txt" 'attempt 3 of' 30
cp "$work/mosquitto.log" "$work/mosquitto-before.log"
start_plain_mosquitto "$work" "$port" "allow_anonymous true
log_type all"
watch after
wait_for_line "$work/mosquitto.log" "Sending SUBACK to after" 10

rc=0; wait "$sim" || rc=$?
[[ $rc -eq 0 ]] || { cat "$work/sim.txt"; fail "picohub sim exited with $rc (124 = still running after 120 s)"; }
pass "sim finished by itself (exit 0) after the hub came back; $acked_at_kill PUBACKs before the kill"

grep -q 'connection lost' "$work/sim.txt" && grep -q 'reconnecting in' "$work/sim.txt" ||
  { cat "$work/sim.txt"; fail "sim printed no connection-lost / reconnect notice"; }
pass "sim printed a reconnect notice"

[[ $(grep -c 'acknowledged by the hub' "$work/sim.txt") -ge 20 ]] || { cat "$work/sim.txt"; fail "fewer than 20 PUBACKs printed"; }
grep -q 'Done: 20 sent, 20 acknowledged' "$work/sim.txt" || { cat "$work/sim.txt"; fail "sim did not report 20 of 20 acknowledged"; }
pass "all 20 messages acknowledged"

# Let the subscribers take the last deliveries, then stop them.
sleep 1
jobs -p | xargs -r kill 2>/dev/null || true
wait 2>/dev/null || true
seen=$(cat "$work/before.txt" "$work/after.txt" | grep -o '"messageId":[0-9]*' | cut -d: -f2 | sort -n -u | tr '\n' ' ')
expected=$(seq 1 20 | tr '\n' ' ')
[[ "$seen" == "$expected" ]] || { echo "seen: $seen"; cat "$work/before.txt" "$work/after.txt"; fail "messageIds 1..20 were not all seen"; }
pass "subscribers before the kill and after the restart saw messageIds 1..20 (at least once)"

# What went to the restarted broker: the messages unacknowledged at the kill, then the rest.
after_ids=$(grep -o '"messageId":[0-9]*' "$work/after.txt" | cut -d: -f2 | sort -n -u | tr '\n' ' ')
[[ -n "$after_ids" ]] || fail "the restarted broker received nothing from the sim"
echo "restarted broker saw messageIds: $after_ids"
# The log holds both brokers' lines; the restarted broker's start after the copy taken before the restart.
dups=$(tail -n +$(($(wc -l < "$work/mosquitto-before.log") + 1)) "$work/mosquitto.log" |
  grep -c 'Received PUBLISH from dev1 (d1, q1' || true)
[[ $dups -ge 1 ]] || { grep 'PUBLISH from dev1' "$work/mosquitto.log"; fail "no retransmission with DUP reached the restarted broker"; }
pass "the message in flight at the kill was retransmitted with DUP ($dups PUBLISH with d1) and acknowledged"
echo "4 passed, 0 failed"
