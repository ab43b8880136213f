#!/usr/bin/env bash
# SAS renewal: renewal is due at 80 % of the token's life but at least 60 s before expiry (SasRenewal), so
# --sas-ttl 70 renews 10 s after connecting (60 would renew at once, on every connect). The sim sends 30 QoS 1
# messages at 500 ms; mosquitto's log (log_type all) shows CONNECT from the same client id twice with a clean
# DISCONNECT between; the sim reports a fresh token with a later expiry and every message is acknowledged.
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-link-sas.XXXXXX)
cleanup() { stop_pid_file "$work/mosquitto.pid"; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

make_test_ca "$work"
touch "$work/mosquitto.log"; chmod 0666 "$work/mosquitto.log"  # written by the mosquitto user when run as root
port=$(free_port)
start_plain_mosquitto "$work" "$port" "allow_anonymous true
log_type all"
key=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
cs="HostName=localhost;DeviceId=dev1;SharedAccessKey=$key;GatewayHostName=localhost:$port"

timeout 60 stdbuf -oL mosquitto_sub -h 127.0.0.1 -p "$port" --cafile "$work/ca.crt" -V mqttv311 -i watcher -q 1 \
  -t 'devices/dev1/messages/events/#' -v > "$work/seen.txt" 2>&1 &
wait_for_line "$work/mosquitto.log" "Sending SUBACK to watcher" 10

rc=0
timeout 90 "$picohub" sim --connection-string "$cs" --ca "$work/ca.crt" --count 30 --interval 500ms --qos 1 \
  --sas-ttl 70 > "$work/sim.txt" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || { cat "$work/sim.txt"; fail "picohub sim exited with $rc"; }
pass "sim sent across the renewal and finished (exit 0)"

grep -q 'SAS token renewal due: reconnecting with a fresh token' "$work/sim.txt" ||
  { cat "$work/sim.txt"; fail "no renewal notice within 15 s of a 70 s token"; }
connects=$(grep -c 'New client connected from .* as dev1 ' "$work/mosquitto.log" || true)
[[ $connects -eq 2 ]] || { grep 'dev1' "$work/mosquitto.log"; fail "expected 2 CONNECTs as dev1 (first + renewal), saw $connects"; }
grep -q 'Received DISCONNECT from dev1' "$work/mosquitto.log" &&
  [[ $(grep -n 'Received DISCONNECT from dev1' "$work/mosquitto.log" | head -1 | cut -d: -f1) -lt \
     $(grep -n 'New client connected from .* as dev1 ' "$work/mosquitto.log" | tail -1 | cut -d: -f1) ]] ||
  { grep 'dev1' "$work/mosquitto.log"; fail "the renewal did not DISCONNECT before reconnecting"; }
pass "mosquitto saw dev1 DISCONNECT and CONNECT again"

first_expiry=$(date -u -d "$(sed -n 's/.*SAS token valid until \([0-9TZ:-]*\);.*/\1/p' "$work/sim.txt")" +%s)
renewed_expiry=$(sed -n 's/.*fresh SAS token (expires at unix \([0-9]*\)).*/\1/p' "$work/sim.txt" | head -1)
[[ -n "$renewed_expiry" && $renewed_expiry -gt $first_expiry ]] ||
  { cat "$work/sim.txt"; fail "the renewed token does not expire later than the first ($first_expiry / $renewed_expiry)"; }
pass "reconnected with a fresh token (expiry $first_expiry -> $renewed_expiry)"

grep -q 'Done: 30 sent, 30 acknowledged' "$work/sim.txt" || { cat "$work/sim.txt"; fail "not all 30 messages acknowledged"; }
before=$(awk '/SAS token renewal due/{exit} /acknowledged by the hub/{n++} END{print n+0}' "$work/sim.txt")
[[ $before -ge 1 && $before -lt 30 ]] || { cat "$work/sim.txt"; fail "the renewal did not happen mid-run ($before acks before it)"; }
sleep 0.5
seen=$(grep -o '"messageId":[0-9]*' "$work/seen.txt" | cut -d: -f2 | sort -n -u | tr '\n' ' ')
[[ "$seen" == "$(seq 1 30 | tr '\n' ' ')" ]] || { echo "seen: $seen"; fail "the watcher did not see messageIds 1..30"; }
pass "all 30 messages acknowledged ($before before the renewal) and seen by a subscriber"
# --sas-ttl 60 would be due for renewal the moment it connects: refused up front as a usage error.
rc=0; timeout 10 "$picohub" sim --connection-string "$cs" --ca "$work/ca.crt" --count 1 --sas-ttl 60 > "$work/ttl60.txt" 2>&1 || rc=$?
[[ $rc -eq 2 ]] && grep -q 'more than 60 s' "$work/ttl60.txt" || { cat "$work/ttl60.txt"; fail "--sas-ttl 60: expected exit 2 with an explanation, got $rc"; }
pass "--sas-ttl 60 is refused with an explanation (exit 2)"
echo "5 passed, 0 failed"
