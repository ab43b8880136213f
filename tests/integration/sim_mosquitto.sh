#!/usr/bin/env bash
# picohub sim against a real mosquitto over TLS (issue 2):
#   10 telemetry messages reach a second client; a C2D message reaches the sim with its properties;
#   a wrong CA fails with a TLS message (exit 4); a broker that refuses the credentials gives exit 3, and so
#   does an expired SharedAccessSignature in the connection string.
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-sim-test.XXXXXX)
cleanup() { stop_pid_file "$work/mosquitto.pid"; stop_pid_file "$work/refuse/mosquitto.pid"; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

make_test_ca "$work"
port=$(free_port)
start_plain_mosquitto "$work" "$port"

key=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
cs="HostName=localhost;DeviceId=dev1;SharedAccessKey=$key;GatewayHostName=localhost:$port"

# A second client watching the device's telemetry topic.
timeout 60 mosquitto_sub -h 127.0.0.1 -p "$port" --cafile "$work/ca.crt" -V mqttv311 -i watcher \
  -t 'devices/dev1/messages/events/#' -C 10 -W 55 -v > "$work/seen.txt" 2>&1 &
watcher=$!
sleep 0.5

timeout 90 "$picohub" sim --connection-string "$cs" --ca "$work/ca.crt" --count 10 --interval 100ms --qos 1 \
  --wait-c2d 1 --c2d-timeout 30 > "$work/sim.txt" 2>&1 &
sim=$!
wait_for_line "$work/sim.txt" "Waiting for cloud-to-device" 30
mosquitto_pub -h 127.0.0.1 -p "$port" --cafile "$work/ca.crt" -V mqttv311 -i cloud -q 1 \
  -t 'devices/dev1/messages/devicebound/%24.mid=m-42&%24.to=%2Fdevices%2Fdev1%2Fmessages%2FdeviceBound&color=deep%20blue&flag' \
  -m 'message from IoT Hub'
wait "$sim" || { cat "$work/sim.txt"; fail "picohub sim exited with $?"; }
wait "$watcher" || { cat "$work/seen.txt"; fail "watcher did not see 10 messages"; }

[[ $(grep -c '^devices/dev1/messages/events/' "$work/seen.txt") -eq 10 ]] || { cat "$work/seen.txt"; fail "expected 10 telemetry messages"; }
grep -q '%24.ct=application%2Fjson' "$work/seen.txt" || fail "telemetry topic lacks \$.ct"
grep -q '%24.ce=utf-8' "$work/seen.txt" || fail "telemetry topic lacks \$.ce"
grep -Eq '"messageId":10,"temperature":[0-9.]+,"humidity":[0-9.]+' "$work/seen.txt" || fail "telemetry body is not the tutorial's JSON"
pass "10 telemetry messages seen by a second client"
[[ $(grep -c 'acknowledged by the hub' "$work/sim.txt") -eq 10 ]] || { cat "$work/sim.txt"; fail "sim did not print 10 PUBACKs"; }
pass "10 PUBACKs printed"
grep -q 'Received message' "$work/sim.txt" && grep -q 'message from IoT Hub' "$work/sim.txt" || { cat "$work/sim.txt"; fail "C2D not printed"; }
grep -q 'color: deep blue' "$work/sim.txt" && grep -q 'message-id: m-42' "$work/sim.txt" || { cat "$work/sim.txt"; fail "C2D properties not decoded"; }
pass "C2D received with properties"

# Wrong CA: our own trust store only (no --ca) must refuse the test CA's certificate.
set +e
timeout 30 "$picohub" sim --connection-string "$cs" --count 1 > "$work/wrongca.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 4 ]] || { cat "$work/wrongca.txt"; fail "wrong CA: expected exit 4, got $rc"; }
grep -qi 'certificate' "$work/wrongca.txt" || { cat "$work/wrongca.txt"; fail "wrong CA: no certificate message"; }
pass "wrong CA refused with a TLS message (exit 4)"

# A broker that refuses the credentials (no anonymous, password file without dev1).
mkdir -p "$work/refuse"; cp "$work"/ca.* "$work"/server.* "$work/refuse/"
mosquitto_passwd -c -b "$work/refuse/passwd" someone not-the-device-token >/dev/null
chmod 0644 "$work/refuse/passwd"; chmod 0755 "$work/refuse"
port2=$(free_port)
start_plain_mosquitto "$work/refuse" "$port2" "allow_anonymous false
password_file $work/refuse/passwd"
cs2="HostName=localhost;DeviceId=dev1;SharedAccessKey=$key;GatewayHostName=localhost:$port2"
set +e
timeout 30 "$picohub" sim --connection-string "$cs2" --ca "$work/ca.crt" --count 1 > "$work/refused.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 3 ]] || { cat "$work/refused.txt"; fail "refused: expected exit 3, got $rc"; }
grep -qi 'refused' "$work/refused.txt" && grep -qi 'SharedAccessKey' "$work/refused.txt" || { cat "$work/refused.txt"; fail "refused: message is not actionable"; }
pass "refused credentials give exit 3 with an actionable message"

# An expired SharedAccessSignature in the connection string: credentials refused (exit 3) with the reason, not a
# network failure (exit 4). The broker is reachable; the token is what is wrong.
expired="SharedAccessSignature sr=localhost%2Fdevices%2Fdev1&sig=AAAA&se=1000000000"
cs3="HostName=localhost;DeviceId=dev1;SharedAccessSignature=$expired;GatewayHostName=localhost:$port"
set +e
timeout 30 "$picohub" sim --connection-string "$cs3" --ca "$work/ca.crt" --count 1 > "$work/expired.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 3 ]] && grep -q "connection string's SharedAccessSignature has expired" "$work/expired.txt" ||
  { cat "$work/expired.txt"; fail "expired SAS: expected exit 3 with the reason, got $rc"; }
pass "an expired SharedAccessSignature gives exit 3 and says so"

# Malformed connection string: usage error naming the problem.
set +e
"$picohub" sim --connection-string "DeviceId=dev1;SharedAccessKey=$key" --count 1 > "$work/bad.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q 'HostName' "$work/bad.txt" || { cat "$work/bad.txt"; fail "malformed connection string: expected exit 2 naming HostName, got $rc"; }
pass "malformed connection string named"
echo "7 passed, 0 failed"
