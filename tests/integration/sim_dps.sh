#!/usr/bin/env bash
# picohub sim --dps against the local hub's Device Provisioning Service (issue 11 §3). The registration goes to a
# loopback proxy in front of the hub (the "DPS endpoint"), the device then connects straight to the hub port DPS
# assigned: the proxy sees the registration connection only, so the device really switched endpoints.
#   individual enrollment: registered, device created with the enrollment's key, telemetry lands as that device
#   wrong key: refused at CONNECT with a message that says what to check (exit 3), no device created
#   group enrollment: a device signing with the key derived from the group key registers; the hub created it with
#   that derived key (checked against an independent HMAC in Python)
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-sim-dps.XXXXXX)
chmod 0755 "$work"
export PICOHUB_DATA=$work/hub
cleanup() { "$picohub" hub stop >/dev/null 2>&1 || true; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(free_port)
"$picohub" hub start --port "$port" > "$work/start.txt" 2>&1 || { cat "$work/start.txt"; fail "hub start"; }
dps_port=$(free_port)
node "$(dirname "$0")/../lib/fault_proxy.mjs" "$dps_port" "$port" --max-seconds 120 > "$work/proxy.txt" 2>&1 &
wait_for_line "$work/proxy.txt" "listening" 10

scope=$("$picohub" dps id-scope 2>/dev/null)
[[ "$scope" =~ ^0ne[0-9A-F]{8}$ ]] || fail "id scope looks wrong: '$scope'"
"$picohub" dps enrollment create dev-dps-1 --json > "$work/enroll.json"
key=$(json_field primaryKey < "$work/enroll.json")
[[ $(json_field iotHub < "$work/enroll.json") == "localhost:$port" ]] || { cat "$work/enroll.json"; fail "default iotHub"; }
pass "id scope $scope; individual enrollment dev-dps-1 assigned to this hub (localhost:$port)"

# Individual enrollment: register through the proxy, then telemetry straight to the hub.
timeout 60 "$picohub" sim --dps "$scope" --registration-id dev-dps-1 --key "$key" --dps-host "localhost:$dps_port" \
  --ca "$PICOHUB_DATA/ca.crt" --count 3 --interval 100ms > "$work/sim1.txt" 2>&1 || { cat "$work/sim1.txt"; fail "sim --dps exit $?"; }
grep -q "DPS assigned registration dev-dps-1 to hub localhost:$port as device 'dev-dps-1'" "$work/sim1.txt" \
  || { cat "$work/sim1.txt"; fail "no assignment line"; }
grep -q "Connecting to localhost:$port as device 'dev-dps-1'" "$work/sim1.txt" || { cat "$work/sim1.txt"; fail "did not switch to the hub port"; }
grep -q "retry-after" "$work/sim1.txt" || { cat "$work/sim1.txt"; fail "no 202 / retry-after step"; }
[[ $(grep -c 'acknowledged by the hub' "$work/sim1.txt") -eq 3 ]] || { cat "$work/sim1.txt"; fail "3 PUBACKs"; }
[[ $(grep -c 'forwarded' "$work/proxy.txt") -eq 1 ]] || { cat "$work/proxy.txt"; fail "the proxy should carry the registration only"; }
timeout 20 "$picohub" monitor --device dev-dps-1 --since 10m --count 3 --timeout 15 > "$work/monitor1.txt" 2>&1 \
  || { cat "$work/monitor1.txt"; fail "monitor did not see 3 messages from dev-dps-1"; }
[[ $("$picohub" device show dev-dps-1 --json | json_field primaryKey) == "$key" ]] || fail "device key != enrollment key"
grep -E "DPS|Connecting" "$work/sim1.txt" | sed 's/^/  | /'
pass "sim --dps registered via the DPS endpoint, switched to the assigned hub and sent 3 messages as dev-dps-1"

# Wrong key: CONNACK refused, a clear message, exit 3, no device.
set +e
timeout 30 "$picohub" sim --dps "$scope" --registration-id dev-dps-1 --key AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= \
  --dps-host "localhost:$dps_port" --ca "$PICOHUB_DATA/ca.crt" --count 1 > "$work/wrong.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 3 ]] && grep -q "DPS refused the registration" "$work/wrong.txt" && grep -q "group" "$work/wrong.txt" \
  || { cat "$work/wrong.txt"; fail "wrong key: exit $rc"; }
grep -q "refused registration dev-dps-1" "$PICOHUB_DATA/mosquitto.log" 2>/dev/null || true
pass "a wrong key is refused (exit 3) with what to check"

# Group enrollment: the device signs with the derived key.
"$picohub" dps enrollment create factory-line-2 --group --json > "$work/group.json"
group_key=$(json_field primaryKey < "$work/group.json")
timeout 60 "$picohub" sim --dps "$scope" --registration-id sensor-0042 --key "$group_key" --group \
  --dps-host "localhost:$dps_port" --ca "$PICOHUB_DATA/ca.crt" --count 2 --interval 100ms > "$work/sim2.txt" 2>&1 \
  || { cat "$work/sim2.txt"; fail "group sim exit $?"; }
[[ $(grep -c 'acknowledged by the hub' "$work/sim2.txt") -eq 2 ]] || { cat "$work/sim2.txt"; fail "group: 2 PUBACKs"; }
derived=$(python3 -c "import base64,hashlib,hmac,sys; print(base64.b64encode(hmac.new(base64.b64decode(sys.argv[1]), b'sensor-0042', hashlib.sha256).digest()).decode())" "$group_key")
[[ $("$picohub" device show sensor-0042 --json | json_field primaryKey) == "$derived" ]] || fail "group device key != derived key"
set +e
timeout 30 "$picohub" sim --dps "$scope" --registration-id sensor-0043 --key "$group_key" \
  --dps-host "localhost:$dps_port" --ca "$PICOHUB_DATA/ca.crt" --count 1 > "$work/nogroup.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 3 ]] || { cat "$work/nogroup.txt"; fail "the group key itself (no --group) must be refused: exit $rc"; }
pass "group enrollment: derived key registers sensor-0042 (key checked independently); the raw group key is refused"

"$picohub" dps enrollment list > "$work/list.txt"
grep -q "dev-dps-1" "$work/list.txt" && grep -q "factory-line-2" "$work/list.txt" || { cat "$work/list.txt"; fail "list"; }
"$picohub" dps enrollment delete dev-dps-1 >/dev/null
set +e
timeout 30 "$picohub" sim --dps "$scope" --registration-id dev-dps-1 --key "$key" --dps-host "localhost:$dps_port" \
  --ca "$PICOHUB_DATA/ca.crt" --count 1 > "$work/deleted.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 3 ]] || { cat "$work/deleted.txt"; fail "deleted enrollment: exit $rc"; }
pass "enrollment list shows both; a deleted enrollment no longer registers"
echo "5 passed, 0 failed"
