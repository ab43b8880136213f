#!/usr/bin/env bash
# X.509 on the board (issue 11 §7): the firmware (X.509 is in the one board image), provisioned by
# `picohub board uf2 --cert --cert-key` with a self-signed device from `picohub device cert`, connects to the local
# hub with its P-256 certificate (no SAS token) and its telemetry is acknowledged and recorded. A board presenting
# another certificate for the same device id is refused: it says the hub refused the certificate, waits per the
# refusal policy and does not reboot. Before that, `board uf2` refuses (exit 2, with a reason) a key that is not the
# certificate's and an RSA key. Each board run is bounded in emulated and wall time.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/testlib.sh"
source "$here/board_hub_lib.sh"

start_hub
"$picohub" device cert x509dev --out "$work/certs" > "$work/cert.txt" 2>&1 || { cat "$work/cert.txt"; fail "device cert"; }
"$picohub" device cert x509other --out "$work/other" > /dev/null 2>&1 || fail "device cert x509other"
"$picohub" device delete x509other > /dev/null
cs=$(sed -n 's/^connection string: //p' "$work/cert.txt" | sed -E 's/GatewayHostName=[^;]*/GatewayHostName=localhost:8883/')
[[ "$cs" == *"DeviceId=x509dev;"*"x509=true"* ]] || fail "unexpected connection string: $cs"
crt=$work/certs/x509dev.crt key=$work/certs/x509dev.key

# board uf2 refuses what the board could not use, with exit 2 and a sentence.
uf2_refusal() {  # EXPECTED_WORDS KEY_FILE
  set +e
  "$picohub" board uf2 -c "$cs" --ca "$PICOHUB_DATA/ca.crt" --firmware "$firmware" -o "$work/bad.uf2" \
    --cert "$crt" --cert-key "$2" > "$work/bad.txt" 2>&1
  local rc=$?
  set -e
  [[ $rc -eq 2 ]] && grep -q "$1" "$work/bad.txt" || { cat "$work/bad.txt"; fail "board uf2 with $2: exit $rc"; }
  [[ ! -e "$work/bad.uf2" ]] || fail "board uf2 wrote a UF2 it refused"
}
uf2_refusal "is not the private key of the --cert certificate" "$work/other/x509other.key"
if command -v openssl > /dev/null; then
  openssl genrsa -out "$work/rsa.key" 2048 2> /dev/null
  uf2_refusal "is not a P-256 key" "$work/rsa.key"
fi
pass "board uf2 refuses another device's key and an RSA key (exit 2, says why)"

board_uf2 "$cs" "$work/board.uf2" --interval 2s --cert "$crt" --cert-key "$key"
grep -q 'X.509      CN=x509dev' "$work/uf2.txt" || { cat "$work/uf2.txt"; fail "board uf2 summary lacks the certificate"; }
"$picohub" board inspect "$work/board.uf2" > "$work/inspect.txt"
thumb=$(sed -n 's/.*SHA-1 thumbprint \([0-9A-F]*\),.*/\1/p' "$work/inspect.txt")
"$picohub" device show x509dev > "$work/show.txt"
[[ -n "$thumb" ]] && grep -q "$thumb" "$work/show.txt" || { cat "$work/inspect.txt" "$work/show.txt"; fail "board inspect thumbprint"; }
! grep -q -- "-----BEGIN\|PRIVATE" "$work/inspect.txt" || fail "board inspect printed key material"

! grep -q "built without X.509" "$work/uf2.txt" || fail "board uf2 warned that the image lacks X.509"
! grep -q "SAS token" "$work/uf2.txt" || fail "the summary of an X.509 board mentions a SAS token"

since=$(date +%s)
set +e
run_board "$work/board.uf2" --max-ms 60000 --wall-ms 60000 --expect '^connected to IoT Hub as x509dev' \
  --expect 'acknowledged by the hub' --expect 'acknowledged by the hub'
rc=$?
set -e
[[ $rc -eq 0 ]] || { show_run; fail "the X.509 board run ended with exit $rc"; }
grep -q "x509dev connected (certificate valid until" "$PICOHUB_DATA/mosquitto.log" \
  || { tail -20 "$PICOHUB_DATA/mosquitto.log"; fail "the hub log lacks the X.509 connect"; }
recorded=$(recorded_message_ids x509dev "$since" | wc -l)
[[ $recorded -ge 2 ]] || { cat "$work/monitor.txt"; fail "the hub recorded $recorded messages from x509dev"; }
handshake=$(grep -o '^TLS: .*' "$work/console.txt" | head -1)
pass "the board connected with its certificate; $recorded messages recorded by the hub ($handshake)"
# The config line names the certificate, not a SAS token, and the next one says until when the hub accepts it.
config_line=$(grep -m1 '^config: device x509dev ' "$work/console.txt" || true)
[[ $config_line == *", X.509 certificate, MAC "* ]] || { show_run; fail "config line: '$config_line'"; }
[[ $config_line != *"SAS token"* ]] || fail "the config line of an X.509 board mentions a SAS token"
expiry=$(grep -m1 -o '^config: X.509 certificate valid until [0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]*Z$' "$work/console.txt" || true)
[[ -n $expiry ]] || { show_run; fail "no certificate expiry line"; }
if command -v openssl > /dev/null; then
  want_year=$(openssl x509 -in "$crt" -noout -enddate | sed -E 's/.* ([0-9]{4}) GMT$/\1/')
  [[ $expiry == *"until $want_year-"* ]] || fail "expiry line '$expiry' is not the certificate's notAfter year $want_year"
fi
pass "console: '$config_line' / '$expiry'"

# Another device's certificate and key (valid, but not the thumbprint registered for x509dev).
board_uf2 "$cs" "$work/wrong.uf2" --interval 2s --cert "$work/other/x509other.crt" --cert-key "$work/other/x509other.key"
set +e
run_board "$work/wrong.uf2" --max-ms 60000 --wall-ms 60000 --expect '\(refusal 1;'
rc=$?
set -e
[[ $rc -eq 0 ]] || { show_run; fail "the wrong-certificate board run ended with exit $rc"; }
grep -q '^the hub refused the certificate (CONNACK 5)' "$work/console.txt" || { show_run; fail "no certificate refusal line"; }
banners=$(grep -c '^picohub firmware ' "$work/console.txt" || true)
[[ $banners -eq 1 ]] || { show_run; fail "$banners boot banners: the board rebooted"; }
! grep -q '^connected to IoT Hub' "$work/console.txt" || fail "the hub accepted another device's certificate"
grep -q "refused x509dev: certificate thumbprint .* matches neither registered thumbprint" "$PICOHUB_DATA/mosquitto.log" \
  || { tail -20 "$PICOHUB_DATA/mosquitto.log"; fail "the hub log lacks the refusal reason"; }
pass "another certificate for x509dev refused: the board said so, one boot, $(grep -o 'retrying in [0-9.]* s' "$work/console.txt" | head -1)"
