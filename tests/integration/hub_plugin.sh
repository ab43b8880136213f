#!/usr/bin/env bash
# The local hub end to end: mosquitto 2.0.11 (picohub's patched build, $2) + picohub_hub.so on a free loopback
# port, TLS with a throwaway CA.
#   right token → connected, telemetry recorded in state.db and streamed live to the service;
#   wrong key / expired / unknown / disabled → CONNACK 5; a QoS 2 subscription is granted QoS 1;
#   QoS 2 publish and >256 KB publish close the connection; an expiring token is closed from TICK;
#   device A publishing to B's topic is disconnected; kill -9 + restart keeps registry, twin and queued C2D,
#   which is then delivered.
# File modes follow the project rule (docs/control-protocol.md "Running as root"): as root the broker runs as
# `user mosquitto`, the data dir is 0770 and the key files 0640, group mosquitto; otherwise 0700/0600.
plugin=$1
broker=${2:-$(dirname "$0")/../../.deps/mosquitto/sbin/mosquitto}  # 2.0.11 + picohub's PUBACK/Will patch
source "$(dirname "$0")/../lib/testlib.sh"
[[ -x $broker ]] || fail "the hub's patched broker $broker is missing: run ./run setup (scripts/mosquitto.sh)"

work=$(mktemp -d /tmp/picohub-hub-test.XXXXXX)
cleanup() {
  stop_pid_file "$work/mosquitto.pid"; stop_pid_file "$work/broker.pid"
  jobs -p | xargs -r kill 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

key=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
owner_key=$(head -c 32 /dev/urandom | base64)
port=$(free_port)

# --- data dir, as `picohub hub start` lays it out ---------------------------------------------------------
make_test_ca "$work"
cat > "$work/hub.json" <<JSON
{"hostName":"localhost","port":$port,"insecurePort":null,
 "policies":{"iothubowner":{"primaryKey":"$owner_key","secondaryKey":"$(head -c 32 /dev/urandom | base64)"}}}
JSON
user_line=""
if [[ $(id -u) -eq 0 ]] && ! user_can_read mosquitto "$plugin"; then
  echo "note: user mosquitto cannot read $plugin (the tree is under a private directory): the broker runs as root"
  user_line="user root"  # mosquitto started as root drops to user mosquitto unless told otherwise
  chmod 0700 "$work"; chmod 0600 "$work/hub.json" "$work/server.key" "$work/ca.key"
elif [[ $(id -u) -eq 0 ]]; then
  user_line="user mosquitto"
  chgrp mosquitto "$work" "$work/hub.json" "$work/server.key"
  chmod 0770 "$work"; chmod 0640 "$work/hub.json" "$work/server.key"; chmod 0600 "$work/ca.key"
else
  chmod 0700 "$work"; chmod 0600 "$work/hub.json" "$work/server.key" "$work/ca.key"
fi
chmod 0644 "$work/ca.crt" "$work/server.crt"
cat > "$work/mosquitto.conf" <<CONF
per_listener_settings false
$user_line
plugin $plugin
plugin_opt_data_dir $work
allow_anonymous false
max_packet_size 327687
max_keepalive 1177
persistence false
max_queued_messages 1000
pid_file $work/mosquitto.pid
log_dest file $work/mosquitto.log
log_type error
log_type warning
log_type notice
log_type information
log_type debug
listener $port 127.0.0.1
cafile $work/ca.crt
certfile $work/server.crt
keyfile $work/server.key
tls_version tlsv1.2
max_qos 1
CONF

start_broker() {
  "$broker" -c "$work/mosquitto.conf" >>"$work/mosquitto.out" 2>&1 &
  echo $! > "$work/broker.pid"
  wait_port 127.0.0.1 "$port" 10
}
start_broker
wait_for_line "$work/mosquitto.log" "picohub: plugin .* loaded for hub localhost" 10

sas() {  # sas RESOURCE KEY TTL [SKN]
  python3 - "$@" <<'PY'
import base64, hashlib, hmac, sys, time, urllib.parse
res, key, ttl = sys.argv[1], sys.argv[2], int(sys.argv[3])
se = str(int(time.time()) + ttl)
sr = urllib.parse.quote(res, safe='')
sig = base64.b64encode(hmac.new(base64.b64decode(key), (sr + "\n" + se).encode(), hashlib.sha256).digest()).decode()
tok = "SharedAccessSignature sr=%s&sig=%s&se=%s" % (sr, urllib.parse.quote(sig, safe=''), se)
print(tok + ("&skn=" + sys.argv[4] if len(sys.argv) > 4 else ""))
PY
}
tls=(-h localhost -p "$port" --cafile "$work/ca.crt")
service_token=$(sas localhost "$owner_key" 3600 iothubowner)

control() {  # control JSON → prints the response
  timeout 10 mosquitto_rr "${tls[@]}" -i "picohub-service-$$-$RANDOM" -u iothubowner -P "$service_token" -q 1 \
    -t '$CONTROL/picohub/v1' -e '$picohub/v1/response' -W 8 -m "$1"
}
json_get() {  # json_get JSON python-expression-on-r
  python3 -c "import json,sys; r=json.loads(sys.argv[1]); print($2)" "$1"
}
device_pub() {  # device_pub ID TOKEN TOPIC MESSAGE [extra args] → mosquitto_pub's exit code, stderr in $work/pub.err
  local id=$1 token=$2 topic=$3 message=$4; shift 4
  timeout 10 mosquitto_pub "${tls[@]}" -V mqttv311 -i "$id" -u "localhost/$id/?api-version=2021-04-12" -P "$token" \
    -q 1 -t "$topic" -m "$message" "$@" 2>"$work/pub.err"
}

# --- registry through the control channel -----------------------------------------------------------------
r=$(control '{"op":"device.create","correlationId":"c1","deviceId":"dev1","primaryKey":"'$key'"}')
[[ $(json_get "$r" 'r["status"]') == 200 ]] || fail "device.create dev1: $r"
control '{"op":"device.create","correlationId":"c2","deviceId":"dev2","primaryKey":"'$key'"}' >/dev/null
control '{"op":"device.create","correlationId":"c3","deviceId":"off1","primaryKey":"'$key'","status":"disabled"}' >/dev/null
r=$(control '{"op":"device.create","correlationId":"c4","deviceId":"dev1"}')
[[ $(json_get "$r" 'r["body"]["errorCode"]') == 409001 ]] || fail "duplicate create: $r"
pass "devices created through \$CONTROL/picohub/v1 (duplicate → 409001)"

# --- telemetry: accepted, recorded, streamed --------------------------------------------------------------
timeout 20 mosquitto_sub "${tls[@]}" -V mqttv311 -i "picohub-service-$$-mon" -u iothubowner -P "$service_token" \
  -t '$picohub/v1/telemetry/#' -C 1 -W 15 > "$work/live.txt" 2>&1 &
monitor=$!
wait_for_line "$work/mosquitto.log" "picohub-service-$$-mon" 10
sleep 0.3
dev1_token=$(sas localhost/devices/dev1 "$key" 3600)
device_pub dev1 "$dev1_token" 'devices/dev1/messages/events/%24.ct=application%2Fjson&alert=high%20temp' '{"temp":21.5}' \
  || fail "dev1 telemetry publish failed: $(cat "$work/pub.err")"
wait "$monitor" || fail "no live telemetry event: $(cat "$work/live.txt")"
[[ $(json_get "$(cat "$work/live.txt")" 'r["deviceId"], r["properties"]["alert"], r["body"]') == "dev1 high temp {\"temp\":21.5}" ]] \
  || fail "live event: $(cat "$work/live.txt")"
rows=$(sqlite3 "$work/state.db" "SELECT COUNT(*) FROM telemetry WHERE device_id='dev1'")
[[ $rows == 1 ]] || fail "telemetry rows for dev1 in state.db: $rows"
pass "right token → connected; telemetry recorded in state.db and streamed to the service"

# --- refused connections: CONNACK 5 -----------------------------------------------------------------------
expect_refused() {  # expect_refused WHAT ID TOKEN
  if device_pub "$2" "$3" "devices/$2/messages/events/" x; then fail "$1 was accepted"; fi
  grep -q "not authori[sz]ed" "$work/pub.err" || fail "$1: expected 'not authorised', got: $(cat "$work/pub.err")"
  pass "$1 → CONNACK 5 (not authorised)"
}
expect_refused "wrong key" dev1 "$(sas localhost/devices/dev1 "$(head -c 32 /dev/urandom | base64)" 3600)"
expect_refused "expired token" dev1 "$(sas localhost/devices/dev1 "$key" -400)"
expect_refused "unknown device" ghost "$(sas localhost/devices/ghost "$key" 3600)"
expect_refused "disabled device" off1 "$(sas localhost/devices/off1 "$key" 3600)"
wait_for_line "$work/mosquitto.log" "picohub: refused dev1: signature does not match either key" 5

# --- QoS 2 subscription is granted QoS 1 -------------------------------------------------------------------
timeout 10 mosquitto_sub "${tls[@]}" -V mqttv311 -i dev2 -u "localhost/dev2/?api-version=2021-04-12" \
  -P "$(sas localhost/devices/dev2 "$key" 3600)" -q 2 -t 'devices/dev2/messages/devicebound/#' -d -W 2 \
  > "$work/sub2.txt" 2>&1 || true
grep -q "Subscribed (mid: 1): 1" "$work/sub2.txt" || fail "QoS 2 subscription not downgraded: $(cat "$work/sub2.txt")"
pass "SUBSCRIBE QoS 2 → SUBACK grants QoS 1"

# --- device A publishing to device B's topic is disconnected ---------------------------------------------
(echo first; sleep 3; echo second) | timeout 10 mosquitto_pub "${tls[@]}" -V mqttv311 -i dev1 \
  -u "localhost/dev1/?api-version=2021-04-12" -P "$dev1_token" -q 1 -t 'devices/dev2/messages/events/' -l \
  > "$work/trespass.txt" 2>&1 || true
wait_for_line "$work/mosquitto.log" "picohub: disconnecting dev1: publish to a topic it may not use" 5
wait_for_line "$work/mosquitto.log" "picohub: dev1 disconnected" 5
rows=$(sqlite3 "$work/state.db" "SELECT COUNT(*) FROM telemetry WHERE device_id='dev2'")
[[ $rows == 0 ]] || fail "dev1's publish to dev2's topic was recorded"
pass "device A publishing to B's topic is disconnected and nothing is recorded"

# --- a device publishing to $SYS is disconnected like any other forbidden topic ---------------------------
before=$(wc -l < "$work/mosquitto.log")
(echo first; sleep 3; echo second) | timeout 10 mosquitto_pub "${tls[@]}" -V mqttv311 -i dev1 \
  -u "localhost/dev1/?api-version=2021-04-12" -P "$dev1_token" -q 1 -t '$SYS/broker/uptime' -l \
  > "$work/sys.txt" 2>&1 || true
wait_for_line "$work/mosquitto.log" "picohub: disconnecting dev1: publish to a topic it may not use: .SYS/broker/uptime" 5
for _ in $(seq 1 50); do tail -n +"$((before + 1))" "$work/mosquitto.log" | grep -q "picohub: dev1 disconnected" && break; sleep 0.1; done
tail -n +"$((before + 1))" "$work/mosquitto.log" > "$work/sys.log"
grep -q "picohub: dev1 disconnected" "$work/sys.log" || fail "\$SYS publisher not disconnected: $(cat "$work/sys.log")"
grep -q "Sending PUBACK to dev1" "$work/sys.log" && fail "the forbidden \$SYS publish was acknowledged: $(cat "$work/sys.log")"
pass "a device publishing to \$SYS is disconnected, unacknowledged"

# --- QoS 2 publish and an oversized publish close the connection ----------------------------------------
dev2_token=$(sas localhost/devices/dev2 "$key" 3600)
device_pub dev2 "$dev2_token" 'devices/dev2/messages/events/' qos2 -q 2 || true
wait_for_line "$work/mosquitto.log" "Too high QoS in PUBLISH from dev2, disconnecting" 5
pass "QoS 2 publish → connection closed (max_qos 1 on the listener)"
head -c 300000 /dev/zero | tr '\0' a > "$work/big.bin"
before=$(wc -l < "$work/mosquitto.log")
timeout 10 mosquitto_pub "${tls[@]}" -V mqttv311 -i dev2 -u "localhost/dev2/?api-version=2021-04-12" -P "$dev2_token" \
  -q 1 -t 'devices/dev2/messages/events/' -f "$work/big.bin" > "$work/big.txt" 2>&1 || true
for _ in $(seq 1 50); do tail -n +"$((before + 1))" "$work/mosquitto.log" | grep -q "picohub: dev2 disconnected" && break; sleep 0.1; done
tail -n +"$((before + 1))" "$work/mosquitto.log" > "$work/big.log"
grep -q "picohub: dev2 disconnected" "$work/big.log" || fail "oversized publish: dev2 not disconnected: $(cat "$work/big.log")"
grep -q "Sending PUBACK to dev2" "$work/big.log" && fail "an oversized publish was acknowledged instead of closing the connection"
pass "D2C over 256 KB → connection closed, no PUBACK"
# IoT Hub counts body + property names and values: exactly 256 KB of body passes; 256 KB minus 10 plus
# properties of 12 counted bytes does not.
head -c 262144 /dev/zero | tr '\0' b > "$work/exact.bin"
head -c 262134 /dev/zero | tr '\0' c > "$work/over.bin"
count_before=$(sqlite3 "$work/state.db" "SELECT COUNT(*) FROM telemetry WHERE device_id='dev2'")
timeout 10 mosquitto_pub "${tls[@]}" -V mqttv311 -i dev2 -u "localhost/dev2/?api-version=2021-04-12" -P "$dev2_token" \
  -q 1 -t 'devices/dev2/messages/events/' -f "$work/exact.bin" || fail "a 262,144-byte body was refused"
before=$(wc -l < "$work/mosquitto.log")
timeout 10 mosquitto_pub "${tls[@]}" -V mqttv311 -i dev2 -u "localhost/dev2/?api-version=2021-04-12" -P "$dev2_token" \
  -q 1 -t 'devices/dev2/messages/events/abcd=efgh&%24.mid=1234' -f "$work/over.bin" > /dev/null 2>&1 || true
for _ in $(seq 1 50); do tail -n +"$((before + 1))" "$work/mosquitto.log" | grep -q "picohub: dev2 disconnected" && break; sleep 0.1; done
tail -n +"$((before + 1))" "$work/mosquitto.log" > "$work/over.log"
grep -q "over IoT Hub's 256 KB" "$work/over.log" || fail "body + properties over 256 KB not refused: $(cat "$work/over.log")"
grep -q "Sending PUBACK to dev2" "$work/over.log" && fail "body + properties over 256 KB was acknowledged"
count_after=$(sqlite3 "$work/state.db" "SELECT COUNT(*) FROM telemetry WHERE device_id='dev2'")
[[ $count_after == $((count_before + 1)) ]] || fail "expected exactly the 256 KB message recorded ($count_before -> $count_after)"
pass "256 KB counted as IoT Hub counts it: 262,144-byte body accepted; body + properties over it refused unacknowledged"

# --- an expiring token is disconnected from TICK -----------------------------------------------------------
timeout 15 mosquitto_sub "${tls[@]}" -V mqttv311 -i dev2 -u "localhost/dev2/?api-version=2021-04-12" \
  -P "$(sas localhost/devices/dev2 "$key" -298)" -t '$iothub/twin/res/#' -W 12 > "$work/expiring.txt" 2>&1 &
wait_for_line "$work/mosquitto.log" "picohub: disconnecting dev2: SAS token expired" 10
pass "a connection whose token expires (after the 5 min skew) is closed"

# --- durable state across kill -9 ------------------------------------------------------------------------
r=$(control '{"op":"twin.update","correlationId":"t1","deviceId":"dev1","desired":{"rate":5}}')
[[ $(json_get "$r" 'r["body"]["properties"]["desired"]["$version"]') == 2 ]] || fail "twin.update: $r"
r=$(control '{"op":"c2d.send","correlationId":"m1","deviceId":"dev1","payloadBase64":"aGVsbG8gZGV2MQ==","messageId":"mid-7","properties":{"color":"deep&blue"}}')
[[ $(json_get "$r" 'r["body"]["queueDepth"]') == 1 ]] || fail "c2d.send: $r"
kill -9 "$(cat "$work/broker.pid")"
for _ in $(seq 1 50); do kill -0 "$(cat "$work/broker.pid")" 2>/dev/null || break; sleep 0.1; done
rm -f "$work/mosquitto.pid"
start_broker
r=$(control '{"op":"device.show","correlationId":"s1","deviceId":"dev1"}')
[[ $(json_get "$r" 'r["body"]["c2dQueueDepth"]') == 1 ]] || fail "after kill -9, dev1: $r"
r=$(control '{"op":"twin.get","correlationId":"g1","deviceId":"dev1"}')
[[ $(json_get "$r" 'r["body"]["properties"]["desired"]["rate"]') == 5 ]] || fail "after kill -9, twin: $r"
timeout 15 mosquitto_sub "${tls[@]}" -V mqttv311 -i dev1 -u "localhost/dev1/?api-version=2021-04-12" -P "$dev1_token" \
  -q 1 -t 'devices/dev1/messages/devicebound/#' -C 1 -W 10 -v > "$work/c2d.txt" 2>&1 || fail "no C2D: $(cat "$work/c2d.txt")"
grep -q '^devices/dev1/messages/devicebound/%24.mid=mid-7&%24.to=%2Fdevices%2Fdev1%2Fmessages%2FdeviceBound&iothub-ack=none&color=deep%26blue hello dev1$' \
  "$work/c2d.txt" || fail "C2D topic/payload: $(cat "$work/c2d.txt")"
pass "kill -9 + restart keeps registry, twin and the queued C2D, which is then delivered"

echo "hub plugin integration: all checks passed"
