#!/usr/bin/env bash
# DPS on the board (issue 11 §3): the real firmware, provisioned with `picohub board uf2 --dps-*` and no connection
# string, registers with the local hub's Device Provisioning Service and then connects to the hub DPS assigned.
# The board reaches DPS as localhost:8883 and the assigned hub as localhost:<hub port> (two bridges on the virtual
# LAN), so the second connection only works if the firmware really switched to the assignment; the enrollment
# assigns a device id other than the registration id, so telemetry under that id proves the board took it.
#   1. individual enrollment: registered (202 + poll honouring retry-after), the hub created the device, the
#      board connected as the assigned device id and the hub recorded its telemetry (picohub monitor)
#   2. group enrollment: the UF2 holds the key derived from the group key; the board registers sensor id and
#      the hub records telemetry from the device DPS created with that derived key
#   3. wrong key: DPS refuses the CONNECT; the board says so in words and backs off (no reboot, no loop)
#   4. disabled enrollment: DPS answers "disabled"; the board prints it and waits on the refusal schedule (>= 60 s)
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/testlib.sh"
source "$here/board_hub_lib.sh"

start_hub
scope=$("$picohub" dps id-scope 2>/dev/null)
"$picohub" dps enrollment create vb-reg-1 --device-id vb-dps-dev --iot-hub "localhost:$hub_port" --json \
  > "$work/enroll.json" || fail "dps enrollment create"
key=$(json_field primaryKey < "$work/enroll.json")
! "$picohub" device show vb-dps-dev >/dev/null 2>&1 || fail "the device exists before the board registered"

dps_uf2() { board_dps_uf2 vb-reg-1 "$2" --dps-key "$1" --interval 2s; }
bridges=(--host localhost=192.0.2.20 --bridge "192.0.2.20:8883=127.0.0.1:$hub_port"
         --bridge "192.0.2.20:$hub_port=127.0.0.1:$hub_port")

# 1. Register, switch, send.
dps_uf2 "$key" "$work/board.uf2"
grep -q "DPS        registration vb-reg-1 in scope $scope at localhost:8883, individual" "$work/uf2.txt" \
  || { cat "$work/uf2.txt"; fail "uf2 summary"; }
since=$(date +%s)
set +e
"$node" "$vboard/run.mjs" --uf2 "$work/board.uf2" "${bridges[@]}" --max-ms 120000 --wall-ms 240000 \
  --fail-on-watchdog --forbid '/hardfault|panic/i' \
  --expect "^config: DPS registration vb-reg-1 in scope $scope at localhost:8883 \(individual enrollment\)" \
  --expect '^DPS: connected; sending the registration request' \
  --expect '^DPS: assigning \(request 1\); next request in [0-9]+ s \(retry-after\)' \
  --expect "^DPS: assigned to hub localhost:$hub_port as device vb-dps-dev \(2 requests\)" \
  --expect "^connecting to localhost:$hub_port " \
  --expect '^connected to IoT Hub as vb-dps-dev' \
  --expect 'acknowledged by the hub' --expect 'acknowledged by the hub' --expect 'acknowledged by the hub' \
  > "$work/console.txt" 2> "$work/vboard.txt"
rc=$?
set -e
show_run | grep -E 'DPS|connecting to|connected to|TLS:|acknowledged|config' | sed 's/^/  | /'
[[ $rc -eq 0 ]] || { show_run; fail "the virtual board run ended with exit $rc"; }
[[ $(grep -c 'picohub firmware ' "$work/console.txt") -eq 1 ]] || fail "the board rebooted"
"$picohub" device show vb-dps-dev --json > "$work/device.json" || fail "DPS did not create vb-dps-dev"
[[ $(json_field primaryKey < "$work/device.json") == "$key" ]] || fail "the device's key is not the enrollment's"
dps_connects=$(grep -c "New client connected .* as vb-reg-1 " "$PICOHUB_DATA/mosquitto.log" || true)
hub_connects=$(hub_connects vb-dps-dev)
[[ $dps_connects -eq 1 && $hub_connects -eq 1 ]] \
  || fail "the hub saw $dps_connects DPS CONNECTs (as vb-reg-1) and $hub_connects hub CONNECTs (as vb-dps-dev); 1 each expected"
recorded_message_ids vb-dps-dev "$since" > "$work/recorded.txt"
recorded=$(wc -l < "$work/recorded.txt")
[[ $recorded -ge 3 && $(head -n 1 "$work/recorded.txt") == 1 ]] \
  || { cat "$work/monitor.txt"; fail "the hub recorded $recorded messages from vb-dps-dev (3 or more from messageId 1 expected)"; }
pass "board registered vb-reg-1 with DPS (1 CONNECT as vb-reg-1), switched to localhost:$hub_port, connected as vb-dps-dev (1 CONNECT); the hub recorded $recorded messages from it"

# 2. Group enrollment: picohub board uf2 derives the device key; DPS creates the device with it.
"$picohub" dps enrollment create vb-line --group --iot-hub "localhost:$hub_port" --json > "$work/group.json" \
  || fail "dps enrollment create --group"
group_key=$(json_field primaryKey < "$work/group.json")
board_dps_uf2 vb-sensor-7 "$work/group.uf2" --dps-group-key "$group_key" --interval 2s
since=$(date +%s)
set +e
"$node" "$vboard/run.mjs" --uf2 "$work/group.uf2" "${bridges[@]}" --max-ms 120000 --wall-ms 240000 \
  --fail-on-watchdog --forbid '/hardfault|panic/i' --expect '\(group enrollment\)$' \
  --expect "^DPS: assigned to hub localhost:$hub_port as device vb-sensor-7 " \
  --expect '^connected to IoT Hub as vb-sensor-7' --expect 'acknowledged by the hub' --expect 'acknowledged by the hub' \
  > "$work/console.txt" 2> "$work/vboard.txt"
rc=$?
set -e
[[ $rc -eq 0 ]] || { show_run; fail "group enrollment: the virtual board run ended with exit $rc"; }
derived=$(python3 -c "import base64,hashlib,hmac,sys; print(base64.b64encode(hmac.new(base64.b64decode(sys.argv[1]), b'vb-sensor-7', hashlib.sha256).digest()).decode())" "$group_key")
[[ $("$picohub" device show vb-sensor-7 --json | json_field primaryKey) == "$derived" ]] \
  || fail "group enrollment: vb-sensor-7's key is not HMAC-SHA256(group key, registration id)"
recorded_message_ids vb-sensor-7 "$since" > "$work/recorded.txt"
group_recorded=$(wc -l < "$work/recorded.txt")
[[ $group_recorded -ge 2 ]] || { cat "$work/monitor.txt"; fail "group enrollment: the hub recorded $group_recorded messages"; }
pass "group enrollment: the board registered vb-sensor-7 with the derived key (checked independently); the hub recorded $group_recorded messages from it"

# 3. Wrong key: refused by DPS, said in words, backed off per the board's refusal policy, no reboot.
wrong_key=$(head -c 32 /dev/urandom | base64)
dps_uf2 "$wrong_key" "$work/wrong.uf2"
set +e
"$node" "$vboard/run.mjs" --uf2 "$work/wrong.uf2" "${bridges[@]}" --timestamps --fast-idle --max-ms 200000 \
  --wall-ms 120000 --fail-on-watchdog --forbid '/hardfault|panic/i' --forbid 'connected to IoT Hub' \
  --expect 'DPS refused the registration \(CONNACK 4/5\): check id scope, registration id, key' \
  --expect '\(refusal 2;' > "$work/console.txt" 2> "$work/vboard.txt"
rc=$?
set -e
show_run | grep -E 'DPS|refus|retrying' | sed 's/^/  | /'
[[ $rc -eq 0 ]] || { show_run; fail "wrong key: the virtual board run ended with exit $rc"; }
[[ $(grep -c '\] picohub firmware ' "$work/console.txt") -eq 1 ]] || fail "wrong key: the board rebooted"
refusals=$(grep -c 'retrying in [0-9.]* s (refusal ' "$work/console.txt" || true)
first_wait=$(sed -n 's/.*retrying in \([0-9]*\)\.[0-9] s (refusal 1;.*/\1/p' "$work/console.txt")
[[ $refusals -eq 2 && ${first_wait:-0} -ge 60 ]] \
  || fail "wrong key: $refusals refusals, first wait ${first_wait:-?} s (2 refusals, the first wait >= 60 s expected)"
attempts=$(grep -c "picohub: dps: refused registration vb-reg-1" "$PICOHUB_DATA/mosquitto.log" || true)
[[ $attempts -eq 2 ]] || fail "the hub's DPS refused $attempts registrations of vb-reg-1 (2 expected)"
pass "wrong key: the hub's DPS refused 2 CONNECTs (its log), the board printed why and waited ${first_wait} s (board refusal policy), one boot"

# 4. Disabled enrollment: DPS says no after the CONNECT; the refusal schedule, not a 1 s back-off.
"$picohub" dps enrollment create vb-off --disabled --iot-hub "localhost:$hub_port" --json > "$work/off.json" \
  || fail "dps enrollment create --disabled"
board_dps_uf2 vb-off "$work/off.uf2" --dps-key "$(json_field primaryKey < "$work/off.json")"
set +e
"$node" "$vboard/run.mjs" --uf2 "$work/off.uf2" "${bridges[@]}" --timestamps --fast-idle --max-ms 100000 \
  --wall-ms 90000 --fail-on-watchdog --forbid '/hardfault|panic/i' --forbid 'connected to IoT Hub' \
  --expect 'DPS registration failed: DPS did not assign the device' --expect '\(refusal 1;' \
  > "$work/console.txt" 2> "$work/vboard.txt"
rc=$?
set -e
show_run | grep -E 'DPS|refus|retrying' | sed 's/^/  | /'
[[ $rc -eq 0 ]] || { show_run; fail "disabled enrollment: the virtual board run ended with exit $rc"; }
off_wait=$(sed -n 's/.*retrying in \([0-9]*\)\.[0-9] s (refusal 1;.*/\1/p' "$work/console.txt")
[[ ${off_wait:-0} -ge 60 ]] || fail "disabled enrollment: waited ${off_wait:-?} s, the refusal schedule starts at 60 s"
! "$picohub" device show vb-off >/dev/null 2>&1 || fail "a disabled enrollment created a device"
pass "disabled enrollment: the board printed DPS's answer and waits ${off_wait} s (refusal schedule); no device created"
