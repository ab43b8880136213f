#!/usr/bin/env bash
# C2D at least once and Wills, through `picohub hub start` (mosquitto 2.0.11 + picohub's PUBACK/Will patch) and a
# raw MQTT 3.1.1 device (raw_mqtt_device.py) that can receive without acknowledging:
#   received but not PUBACKed, connection lost, clean reconnect → delivered again; PUBACKed → gone for good;
#   persistent session → the broker's own retransmission (DUP) completes it, the hub adds no copy;
#   kill -9 of the broker while it waits for the PUBACK → delivered again after hub start;
#   a Will (connection lost without DISCONNECT) → telemetry with iothub-MessageType=Will in picohub monitor;
#   a DISCONNECT → no Will; --ack full → a Success record in picohub c2d feedback.
# Usage: hub_c2d_acks.sh /path/to/picohub   (PICOHUB_PLUGIN may point at picohub_hub.so)
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-acks.XXXXXX)
chmod 755 "$work"
data=$work/hub
cleanup() {
  timeout 20 "$bin" hub stop --data-dir "$data" >/dev/null 2>&1 || true
  jobs -p | xargs -r kill 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(free_port)

hub() { timeout 60 "$bin" "$@" --data-dir "$data"; }
hub hub start --port "$port" >"$work/start.log" 2>&1 || fail "hub start: $(cat "$work/start.log")"
hub device create d1 >/dev/null
token=$(hub sas-token --device d1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["sas"])')
raw() {  # raw ARGS... → one JSON line per PUBLISH, then {"end": ...}
  timeout 40 python3 "$here/raw_mqtt_device.py" --port "$port" --ca "$data/ca.crt" --id d1 \
    --user "localhost/d1/?api-version=2021-04-12" --password "$token" "$@"
}
c2d_filter='devices/d1/messages/devicebound/#'
depth() { hub device show d1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["c2dQueueDepth"])'; }
wait_depth() {  # wait_depth N: the queue reaches N within 5 s
  local d
  for _ in $(seq 1 50); do d=$(depth); [[ $d == "$1" ]] && return 0; sleep 0.1; done
  fail "C2D queue depth is $d, expected $1"
}
count_mid() { grep -c "%24.mid=$1&" "$2" || true; }

# --- a password with a NUL byte is refused (the plugin would only see the part before it) -------------------
raw --password-nul --count 0 --wait 1 >"$work/nul.txt" 2>&1 && fail "a password with a NUL byte was accepted"
grep -q '"end": "connack 4"' "$work/nul.txt" || fail "NUL in the password: expected CONNACK 4, got $(cat "$work/nul.txt")"
raw --count 0 --wait 1 >"$work/ok.txt" 2>&1 || fail "the same token without the NUL was refused: $(cat "$work/ok.txt")"
pass "a password holding a NUL byte → CONNACK 4, though the text before the NUL is a valid token"

# --- received, not acknowledged, connection lost → delivered again ----------------------------------------
hub c2d send d1 --data one --mid m-1 --ack full >/dev/null
raw --subscribe "$c2d_filter" --ack 0 --leave drop >"$work/a1.txt" || fail "a1: $(cat "$work/a1.txt")"
[[ $(count_mid m-1 "$work/a1.txt") == 1 ]] || fail "m-1 not delivered: $(cat "$work/a1.txt")"
[[ $(depth) == 1 ]] || fail "m-1 left the queue without a PUBACK"
raw --subscribe "$c2d_filter" --ack 1 >"$work/a2.txt" || fail "a2: $(cat "$work/a2.txt")"
[[ $(count_mid m-1 "$work/a2.txt") == 1 ]] || fail "m-1 not delivered again after a clean reconnect: $(cat "$work/a2.txt")"
wait_depth 0
raw --subscribe "$c2d_filter" --count 1 --wait 1.5 >"$work/a3.txt" || true
[[ $(count_mid m-1 "$work/a3.txt") == 0 ]] || fail "m-1 delivered after its PUBACK: $(cat "$work/a3.txt")"
pass "C2D received without PUBACK is delivered again after a clean reconnect; after the PUBACK never again"
hub c2d feedback --wait --timeout 5 --json >"$work/feedback.json" || fail "no feedback: $(cat "$work/feedback.json")"
python3 - "$work/feedback.json" <<'PY' || fail "feedback: $(cat "$work/feedback.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert [(x["originalMessageId"], x["deviceId"], x["statusCode"]) for x in r] == [("m-1", "d1", "Success")], r
PY
pass "picohub c2d feedback --wait: Success for the acknowledged --ack full message"

# --- persistent session: the broker retransmits (DUP), the hub does not add a copy -------------------------
hub c2d send d1 --data two --mid m-2 >/dev/null
raw --clean 0 --subscribe "$c2d_filter" --ack 0 --leave drop >"$work/b1.txt" || fail "b1: $(cat "$work/b1.txt")"
[[ $(count_mid m-2 "$work/b1.txt") == 1 ]] || fail "m-2 not delivered: $(cat "$work/b1.txt")"
raw --clean 0 --count 2 --wait 2 >"$work/b2.txt" || true
[[ $(count_mid m-2 "$work/b2.txt") == 1 ]] || fail "persistent reconnect: expected exactly one copy of m-2: $(cat "$work/b2.txt")"
grep -q '"dup": true' "$work/b2.txt" || fail "the retransmission is not marked DUP: $(cat "$work/b2.txt")"
wait_depth 0
raw --clean 1 --count 1 --wait 0.5 >/dev/null || true  # end the persistent session
pass "persistent session: the broker's DUP retransmission is acknowledged and completes the C2D (one copy)"

# --- kill -9 while the hub waits for the PUBACK → delivered again after restart ----------------------------
hub c2d send d1 --data three --mid m-3 >/dev/null
raw --subscribe "$c2d_filter" --ack 0 --leave hold --wait 20 >"$work/c1.txt" &
holder=$!
wait_for_line "$work/c1.txt" "m-3" 10
pid=$(cat "$data/mosquitto.pid")
kill -9 "$pid"
wait "$holder" || true
grep -q '"end": "broker went away"' "$work/c1.txt" || fail "holder: $(cat "$work/c1.txt")"
hub hub start --port "$port" >"$work/start2.log" 2>&1 || fail "hub start after kill -9: $(cat "$work/start2.log")"
[[ $(depth) == 1 ]] || fail "m-3 lost by kill -9"
raw --subscribe "$c2d_filter" >"$work/c2.txt" || fail "c2: $(cat "$work/c2.txt")"
[[ $(count_mid m-3 "$work/c2.txt") == 1 ]] || fail "m-3 not delivered after restart: $(cat "$work/c2.txt")"
wait_depth 0
pass "kill -9 while a C2D waits for its PUBACK → delivered again after hub start"

# --- Will → telemetry with iothub-MessageType=Will; DISCONNECT → no Will ---------------------------------
will_topic='devices/d1/messages/events/%24.ct=text%2Fplain&reason=power'
raw --will-topic "$will_topic" --will-payload "graceful" --count 0 --leave disconnect >/dev/null || fail "graceful"
raw --will-topic "$will_topic" --will-payload "gone" --count 0 --leave drop >/dev/null || fail "drop"
hub monitor --device d1 --since 1m --json --count 5 --timeout 3 >"$work/will.json" 2>/dev/null || true
python3 - "$work/will.json" <<'PY' || fail "Will telemetry: $(cat "$work/will.json")"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(events) == 1, events  # the DISCONNECT one sent no Will
e = events[0]
assert e["properties"]["iothub-MessageType"] == "Will", e
assert e["properties"]["reason"] == "power", e
assert e["systemProperties"]["content-type"] == "text/plain", e
assert e["payload"] == "gone", e
PY
pass "Will → telemetry with iothub-MessageType=Will (picohub monitor); a DISCONNECT sends none"

echo "hub C2D acks and Wills: all checks passed"
