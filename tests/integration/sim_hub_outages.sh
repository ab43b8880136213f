#!/usr/bin/env bash
# Outages against the local hub (issue 11 "Prove it"): picohub sim sends QoS 1 telemetry through a loopback proxy
# (tests/lib/fault_proxy.mjs) while (1) the network is cut for 30 s, every connection reset (RST) and new ones
# refused, and (2) the hub's broker is killed with SIGKILL and restarted. The sim must reconnect by itself each
# time (the hub sees a new CONNECT), and every message it had acknowledged, and every later one, must be in the
# hub's telemetry log: zero lost. At-least-once allows a duplicate for a message whose PUBACK the cut swallowed;
# the count is printed.
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"
command -v node >/dev/null || { echo "SKIP: node is not installed"; exit 0; }

work=$(mktemp -d /tmp/picohub-sim-outages.XXXXXX)
chmod 0755 "$work"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$work/hub
cleanup() {
  "$picohub" hub stop >/dev/null 2>&1 || true
  jobs -p | xargs -r kill 2>/dev/null || true
  [[ -n "${KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

count=240  # 60 s of readings: the 30 s cut falls inside them, and the kill after it
port=$(free_port)
proxy_port=$(free_port)
"$picohub" hub start --port "$port" > "$work/start.txt" 2>&1 || { cat "$work/start.txt"; fail "hub start"; }
"$picohub" device create out1 >/dev/null
cs=$("$picohub" device connection-string out1 --gateway)
cs=${cs/localhost:$port/localhost:$proxy_port}
connects() { grep -c 'picohub: out1 connected (token' "$PICOHUB_DATA/mosquitto.log" 2>/dev/null || true; }
acks() { grep -c 'acknowledged by the hub' "$work/sim.txt" 2>/dev/null || true; }
wait_acks() {  # until the sim has N acknowledgements, at most S seconds
  for _ in $(seq 1 $(($2 * 10))); do [[ $(acks) -ge $1 ]] && return 0; sleep 0.1; done
  tail -n 20 "$work/sim.txt"; fail "the sim did not reach $1 acknowledgements within $2 s"
}

node "$(dirname "$0")/../lib/fault_proxy.mjs" "$proxy_port" "$port" --max-seconds 200 > "$work/proxy.txt" 2>&1 &
proxy=$!
wait_for_line "$work/proxy.txt" "proxy: listening" 10

timeout 170 "$picohub" sim --connection-string "$cs" --ca "$PICOHUB_DATA/ca.crt" --count "$count" --interval 250ms \
  --qos 1 --retries 30 > "$work/sim.txt" 2>&1 &
sim=$!

# (1) The network goes away for 30 s: open connections are reset, new ones refused.
wait_acks 20 30
before_cut=$(connects)
kill -USR1 "$proxy"
wait_for_line "$work/proxy.txt" "proxy: cut: 1 connection" 5
sleep 30
kill -USR2 "$proxy"
wait_for_line "$work/proxy.txt" "proxy: restored" 5
for _ in $(seq 1 300); do [[ $(connects) -gt $before_cut ]] && break; sleep 0.1; done
[[ $(connects) -gt $before_cut ]] || { tail -n 20 "$work/sim.txt"; fail "no new CONNECT within 30 s of the network coming back"; }
refused=$(grep -c 'reset (network is cut)' "$work/proxy.txt" || true)
grep -q '  not connected: .* queued (room for 256), sent in order once the hub is back' "$work/sim.txt" ||
  fail "the sim did not say that it queues readings while the hub is away"
pass "network cut for 30 s (RST; $refused attempts refused meanwhile): the sim reconnected by itself"

# (2) The broker is killed mid-run and started again on the same port.
acked=$(acks)
wait_acks $((acked + 10)) 30
before_kill=$(connects)
kill -9 "$(cat "$PICOHUB_DATA/mosquitto.pid")"
sleep 1
"$picohub" hub start --port "$port" > "$work/restart.txt" 2>&1 || { cat "$work/restart.txt"; fail "hub start after the kill"; }
for _ in $(seq 1 300); do [[ $(connects) -gt $before_kill ]] && break; sleep 0.1; done
[[ $(connects) -gt $before_kill ]] || { tail -n 20 "$work/sim.txt"; fail "no new CONNECT within 30 s of the hub restarting"; }
pass "hub killed (SIGKILL) and restarted: the sim reconnected by itself"

rc=0
wait "$sim" || rc=$?
[[ $rc -eq 0 ]] || { tail -n 30 "$work/sim.txt"; fail "picohub sim exited with $rc"; }
grep -q "Done: $count sent, $count acknowledged" "$work/sim.txt" || { tail -n 20 "$work/sim.txt"; fail "not every message acknowledged"; }
"$picohub" monitor --device out1 --since 1h --timeout 10 --json > "$work/log.txt" 2>&1 || true
ids=$(grep -o '"messageId":[0-9]*' "$work/log.txt" | cut -d: -f2 | sort -n)
total=$(grep -c . <<< "$ids" || true)
missing=$(comm -23 <(seq 1 "$count") <(uniq <<< "$ids") | wc -l)
duplicates=$((total - $(uniq <<< "$ids" | grep -c . || true)))
echo "hub log: $total events for $count messages, $missing missing, $duplicates duplicates; CONNECTs seen by the hub: $(connects)"
[[ $missing -eq 0 ]] || fail "$missing acknowledged messages are missing from the hub's log"
pass "every one of $count messages is in the hub's log after a 30 s cut and a hub kill ($duplicates duplicates, allowed by QoS 1)"
