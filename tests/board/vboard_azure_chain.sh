#!/usr/bin/env bash
# The honest handshake end to end (issue 7 section 4): the local hub serves an Azure-shaped chain
# (`hub start --chain azure`: root RSA-2048 -> intermediate RSA-4096 -> leaf RSA-2048, leaf + intermediate sent,
# a 4 KB+ server flight in one 16 KiB record) and the real firmware in the virtual board connects with it and has
# one telemetry message acknowledged. Also checks what the hub made: a data dir started with the default chain
# (leaf alone) switches to azure keeping its root, the chain's shape and key sizes, and that every certificate
# starts a day in the past. Bounded: --max-ms 15 s emulated, --wall-ms 150 s.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
vboard="$here/../../tools/vboard"
source "$here/../lib/testlib.sh"
[[ -f "$firmware" ]] || { echo "SKIP: no board firmware at $firmware yet: run ./run build board"; exit 77; }
[[ -d "$vboard/node_modules/rp2040js" ]] || { echo "SKIP: rp2040js is not installed: run scripts/vboard-setup.sh"; exit 77; }
[[ -x "$picohub" ]] || { echo "SKIP: no picohub CLI at $picohub"; exit 77; }

work=$(mktemp -d /tmp/picohub-vboard-azure.XXXXXX)
chmod 0755 "$work"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$work/hub
cleanup() {
  "$picohub" hub stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

starts_a_day_ago() {  # PEM: its notBefore is a day (give or take a few minutes) before now
  local start age
  start=$(date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s)
  age=$(( $(date +%s) - start ))
  (( age > 86000 && age < 90000 )) || fail "$1 starts $age s ago, not a day"
}

# A data dir made with the default chain (root -> leaf, both backdated) switches to azure with the same root.
port=$(free_port)
"$picohub" hub start --port "$port" > "$work/start0.txt" 2>&1 || { cat "$work/start0.txt"; fail "hub start"; }
[[ $(grep -c 'BEGIN CERT' "$PICOHUB_DATA/server.crt") == 1 ]] || fail "the default chain serves the leaf alone"
starts_a_day_ago "$PICOHUB_DATA/server.crt"
starts_a_day_ago "$PICOHUB_DATA/ca.crt"
root_before=$(sha256sum < "$PICOHUB_DATA/ca.crt")
"$picohub" hub stop >/dev/null
"$picohub" hub start --port "$port" --chain azure > "$work/start.txt" 2>&1 || { cat "$work/start.txt"; fail "hub start --chain azure"; }
[[ $(sha256sum < "$PICOHUB_DATA/ca.crt") == "$root_before" ]] || fail "--chain azure replaced ca.crt: provisioned devices would stop trusting the hub"

# What the hub serves: leaf then intermediate, RSA 2048 / 4096, the intermediate issued by ca.crt.
awk '/BEGIN CERT/ { n++ } { print > ("'"$work"'/served." n ".pem") }' "$PICOHUB_DATA/server.crt"
[[ -f "$work/served.2.pem" && ! -f "$work/served.3.pem" ]] || fail "server.crt should hold exactly leaf + intermediate"
bits() { openssl x509 -in "$1" -noout -text | sed -n 's/.*Public-Key: (\([0-9]*\) bit).*/\1/p'; }
[[ $(bits "$work/served.1.pem") == 2048 && $(bits "$work/served.2.pem") == 4096 && $(bits "$PICOHUB_DATA/ca.crt") == 2048 ]] \
  || fail "key sizes: leaf $(bits "$work/served.1.pem"), intermediate $(bits "$work/served.2.pem"), root $(bits "$PICOHUB_DATA/ca.crt")"
openssl verify -CAfile "$PICOHUB_DATA/ca.crt" -untrusted "$work/served.2.pem" "$work/served.1.pem" >/dev/null \
  || fail "the served chain does not verify against ca.crt"
flight=$(cat "$work/served.1.pem" "$work/served.2.pem" | openssl crl2pkcs7 -nocrl -certfile /dev/stdin | openssl pkcs7 -print_certs -outform DER 2>/dev/null | wc -c)
starts_a_day_ago "$work/served.1.pem"
starts_a_day_ago "$work/served.2.pem"

"$picohub" device create azchain >/dev/null
cs=$("$picohub" device connection-string azchain 2>/dev/null | head -n 1)
"$picohub" board uf2 --connection-string "$cs;GatewayHostName=localhost:8883" --ca "$PICOHUB_DATA/ca.crt" \
  --firmware "$firmware" --interval 1s -o "$work/board.uf2" > "$work/uf2.txt" 2>&1 || { cat "$work/uf2.txt"; fail "board uf2"; }
set +e
"$node" "$vboard/run.mjs" --uf2 "$work/board.uf2" --max-ms 15000 --wall-ms 150000 --fail-on-watchdog --report \
  --host localhost=192.0.2.20 --bridge "192.0.2.20:8883=127.0.0.1:$port" \
  --expect '^TLS: TLSv1\.2 .*chain verified' --expect 'acknowledged by the hub' \
  --forbid '/hardfault|panic|out of TLS memory|hub connection:/i' > "$work/console.txt" 2> "$work/vboard.txt"
rc=$?
set -e
cat "$work/console.txt"
grep -v 'rp2040js:' "$work/vboard.txt" >&2 || true
[[ $rc -eq 0 ]] || fail "the virtual board run ended with exit $rc"
tls=$(grep '^TLS: ' "$work/console.txt" | head -n 1)
pass "azure-shaped chain ($flight bytes of certificates, RSA 2048/4096/2048, all backdated a day): $tls; one telemetry acknowledged"
