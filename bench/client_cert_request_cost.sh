#!/usr/bin/env bash
# What asking every client for a certificate (picohub_request_certificate, docs/x509.md) costs a SAS device:
# the TLS handshake and CONNECT -> CONNACK times (medians of N connections, OpenSSL client from Python) against
# the hub's broker with the option and without it, alternated over 3 rounds so machine noise hits both alike.
#   bench/client_cert_request_cost.sh build/host/apps/cli/picohub [N]
set -euo pipefail
picohub=$(realpath "$1"); runs=${2:-40}
root=$(cd "$(dirname "$0")/.." && pwd)
broker=${PICOHUB_MOSQUITTO:-$root/.deps/mosquitto/sbin/mosquitto}
work=$(mktemp -d /tmp/picohub-certreq.XXXXXX)
export PICOHUB_DATA=$work/hub
trap '"$picohub" hub stop >/dev/null 2>&1 || true; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$picohub" hub start --port "$port" >/dev/null
"$picohub" device create meas >/dev/null
token=$("$picohub" sas-token --device meas --ttl 7200)
host=$(python3 -c "import json; print(json.load(open('$PICOHUB_DATA/hub.json'))['hostName'])")
"$picohub" hub stop >/dev/null
grep -v '^picohub_request_certificate' "$PICOHUB_DATA/mosquitto.conf" > "$PICOHUB_DATA/without.conf"
cp "$PICOHUB_DATA/mosquitto.conf" "$PICOHUB_DATA/with.conf"

measure() {
  python3 - "$port" "$host" "$token" "$PICOHUB_DATA/ca.crt" "$runs" <<'PY'
import socket, ssl, statistics, struct, sys, time
port, host, token, ca, runs = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
def utf8(s):
    b = s.encode(); return struct.pack("!H", len(b)) + b
body = utf8("MQTT") + bytes([4, 0xC2]) + struct.pack("!H", 60) + utf8("meas") + \
    utf8(f"{host}/meas/?api-version=2021-04-12") + utf8(token)
n, length = len(body), bytearray()
while True:
    length.append(n % 128 | (0x80 if n >= 128 else 0)); n //= 128
    if not n: break
connect = bytes([0x10]) + bytes(length) + body
ctx = ssl.create_default_context(cafile=ca); ctx.check_hostname = False
hs, cc = [], []
for _ in range(runs):
    raw = socket.create_connection(("127.0.0.1", port)); raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    t0 = time.perf_counter(); s = ctx.wrap_socket(raw, server_hostname="localhost"); t1 = time.perf_counter()
    s.sendall(connect); r = s.recv(4); t2 = time.perf_counter()
    assert r[0] == 0x20 and r[3] == 0, r
    hs.append((t1 - t0) * 1e3); cc.append((t2 - t1) * 1e3); version = s.version(); s.close(); time.sleep(0.02)
print(f"{version}  handshake {statistics.median(hs):5.2f} ms  CONNECT->CONNACK {statistics.median(cc):5.2f} ms")
PY
}
echo "SAS device, $runs connections per row, medians ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
for round in 1 2 3; do
  for conf in with without; do
    "$broker" -c "$PICOHUB_DATA/$conf.conf" >"$work/$conf.log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
    printf 'round %d, %-7s picohub_request_certificate: ' "$round" "$conf"
    measure
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
