#!/usr/bin/env bash
# picohub sim against the local hub (issue 3): telemetry seen by `picohub monitor`, a C2D message sent with
# `picohub c2d send` reaches the sim with its properties, a disabled device is refused with exit 3, and C2D queued
# while the device was offline is delivered when it next connects.
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-sim-hub.XXXXXX)
chmod 0755 "$work"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$work/hub
cleanup() { "$picohub" hub stop >/dev/null 2>&1 || true; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(free_port)
"$picohub" hub start --port "$port" > "$work/start.txt" 2>&1 || { cat "$work/start.txt"; fail "hub start"; }
"$picohub" device create sim1 >/dev/null
cs=$("$picohub" device connection-string sim1 --gateway)
[[ "$cs" == *"GatewayHostName=localhost:$port"* ]] || fail "connection string lacks the gateway: $cs"

timeout 90 "$picohub" monitor --device sim1 --count 10 --timeout 80 --props --json > "$work/monitor.txt" 2>&1 &
monitor=$!
sleep 1
timeout 90 "$picohub" sim --connection-string "$cs" --ca "$PICOHUB_DATA/ca.crt" --count 10 --interval 100ms \
  --wait-c2d 1 --c2d-timeout 40 > "$work/sim.txt" 2>&1 &
sim=$!
wait_for_line "$work/sim.txt" "Waiting for cloud-to-device" 40
"$picohub" c2d send sim1 --data "message from IoT Hub" --prop color=red --mid m-7 >/dev/null
wait "$sim" || { cat "$work/sim.txt"; fail "sim exited with $?"; }
wait "$monitor" || { cat "$work/monitor.txt"; fail "monitor did not see 10 messages"; }

[[ $(grep -c 'acknowledged by the hub' "$work/sim.txt") -eq 10 ]] || { cat "$work/sim.txt"; fail "10 PUBACKs"; }
[[ $(grep -c '"deviceId":"sim1"' "$work/monitor.txt") -eq 10 ]] || { cat "$work/monitor.txt"; fail "monitor saw != 10"; }
grep -q '"content-type":"application/json"' "$work/monitor.txt" || { cat "$work/monitor.txt"; fail "content type not recorded"; }
grep -q '"messageId":10' "$work/monitor.txt" || { cat "$work/monitor.txt"; fail "message 10 body"; }
pass "10 telemetry messages from the sim seen by picohub monitor with their properties"
grep -q 'Received message: message from IoT Hub' "$work/sim.txt" && grep -q 'message-id: m-7' "$work/sim.txt" \
  && grep -q 'color: red' "$work/sim.txt" || { cat "$work/sim.txt"; fail "C2D not received with properties"; }
pass "C2D from picohub c2d send received by the sim with its properties"
grep -q '"dt-dataschema":"dtmi:picohub:TutorialDevice;1"' "$work/monitor.txt" || { cat "$work/monitor.txt"; fail "events lack dt-dataschema"; }
"$picohub" twin show sim1 > "$work/twin.txt"
grep -q '"modelId": *"dtmi:picohub:TutorialDevice;1"' "$work/twin.txt" || { cat "$work/twin.txt"; fail "twin lacks modelId"; }
pass "Plug and Play: the sim announces the tutorial's model; events carry dt-dataschema, the twin shows modelId"

# Offline delivery: queue while no device is connected, then connect.
"$picohub" c2d send sim1 --data "queued while offline" >/dev/null
timeout 60 "$picohub" sim --connection-string "$cs" --ca "$PICOHUB_DATA/ca.crt" --count 0 --wait-c2d 1 --c2d-timeout 30 \
  > "$work/offline.txt" 2>&1 || { cat "$work/offline.txt"; fail "offline C2D not delivered"; }
grep -q 'Received message: queued while offline' "$work/offline.txt" || { cat "$work/offline.txt"; fail "offline C2D text"; }
pass "C2D queued while offline delivered on the next connect"

# Disabled device: refused with exit 3 and a message that says what to check.
"$picohub" device disable sim1 >/dev/null
set +e
timeout 30 "$picohub" sim --connection-string "$cs" --ca "$PICOHUB_DATA/ca.crt" --count 1 > "$work/disabled.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 3 ]] && grep -q 'enabled' "$work/disabled.txt" || { cat "$work/disabled.txt"; fail "disabled: exit $rc"; }
pass "disabled device refused (exit 3)"

# Wrong key: refused with exit 3.
"$picohub" device enable sim1 >/dev/null
bad_cs=$(sed 's/SharedAccessKey=[^;]*/SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=/' <<<"$cs")
set +e
timeout 30 "$picohub" sim --connection-string "$bad_cs" --ca "$PICOHUB_DATA/ca.crt" --count 1 > "$work/wrongkey.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 3 ]] || { cat "$work/wrongkey.txt"; fail "wrong key: exit $rc"; }
pass "wrong key refused (exit 3)"
echo "5 passed, 0 failed"
