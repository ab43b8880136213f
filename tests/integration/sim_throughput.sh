#!/usr/bin/env bash
# picohub sim --interval 0 (throughput mode) against a real mosquitto over TLS: every message of a burst larger
# than the in-flight window (16) reaches a second client exactly once and in order, each PUBACK is printed, and
# the run ends with its "Throughput:" line; QoS 0 delivers every message too (written before the link closes).
# No timing is asserted (the bench measures speed: scripts/bench.sh, bench 1).
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-sim-throughput.XXXXXX)
cleanup() { stop_pid_file "$work/mosquitto.pid"; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

make_test_ca "$work"
port=$(free_port)
start_plain_mosquitto "$work" "$port"
key=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
cs="HostName=localhost;DeviceId=dev1;SharedAccessKey=$key;GatewayHostName=localhost:$port"

burst() {  # qos count
  local qos=$1 count=$2
  timeout 60 mosquitto_sub -h 127.0.0.1 -p "$port" --cafile "$work/ca.crt" -V mqttv311 -i "watcher$qos" -q 1 \
    -t 'devices/dev1/messages/events/#' -C "$count" -W 55 > "$work/seen$qos.txt" 2>&1 &
  local watcher=$!
  sleep 0.5
  timeout 60 "$picohub" sim --connection-string "$cs" --ca "$work/ca.crt" --count "$count" --interval 0 --qos "$qos" \
    > "$work/sim$qos.txt" 2>&1 || { cat "$work/sim$qos.txt"; fail "QoS $qos: picohub sim exited with $?"; }
  wait "$watcher" || { tail -n 5 "$work/seen$qos.txt"; fail "QoS $qos: the watcher did not see $count messages"; }
  sed -n 's/.*"messageId":\([0-9]*\),.*/\1/p' "$work/seen$qos.txt" > "$work/ids$qos.txt"
  seq 1 "$count" | cmp -s - "$work/ids$qos.txt" || { head -n 20 "$work/ids$qos.txt"; fail "QoS $qos: ids are not 1..$count in order"; }
}

burst 1 500
grep -q '^Done: 500 sent, 500 acknowledged' "$work/sim1.txt" || { tail -n 5 "$work/sim1.txt"; fail "QoS 1: not every message acknowledged"; }
[[ $(grep -c 'acknowledged by the hub' "$work/sim1.txt") -eq 500 ]] || fail "QoS 1: expected 500 PUBACK lines"
grep -Eq '^Throughput: 500 messages acknowledged in [0-9.]+ s \([0-9]+ msg/s\)$' "$work/sim1.txt" ||
  { tail -n 5 "$work/sim1.txt"; fail "QoS 1: no Throughput line"; }
pass "QoS 1 burst of 500 (window 16): every message delivered once, in order, and acknowledged"

burst 0 300
grep -q '^Done: 300 sent' "$work/sim0.txt" && grep -q '^Throughput: 300 messages sent' "$work/sim0.txt" ||
  { tail -n 5 "$work/sim0.txt"; fail "QoS 0: summary lines missing"; }
pass "QoS 0 burst of 300: every message delivered once, in order"
echo "2 passed, 0 failed"
