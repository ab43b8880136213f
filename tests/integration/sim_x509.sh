#!/usr/bin/env bash
# X.509 devices against the local hub (issue 11 §7), all on the hub's one device port (SAS devices too):
# `picohub device cert` makes a self-signed device whose telemetry from `picohub sim` reaches `picohub monitor`;
# a different self-signed certificate for the same device is refused (exit 3, the hub log says why); a CA made
# and registered with `picohub ca create` signs a device that is accepted; a key that is not the certificate's
# is refused before connecting; a SAS device still connects on the same port.
picohub=$1
source "$(dirname "$0")/../lib/testlib.sh"

work=$(mktemp -d /tmp/picohub-sim-x509.XXXXXX)
chmod 0755 "$work"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$work/hub
cleanup() { "$picohub" hub stop >/dev/null 2>&1 || true; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
passed=0
ok() { pass "$1"; passed=$((passed + 1)); }
broker_log() { echo "--- the broker's log, last 15 lines:"; tail -15 "$PICOHUB_DATA/mosquitto.log"; }

port=$(free_port)
"$picohub" hub start --port "$port" > "$work/start.txt" 2>&1 || { cat "$work/start.txt"; fail "hub start"; }
ca=$PICOHUB_DATA/ca.crt

# Self-signed, registered by thumbprint.
"$picohub" device cert x509dev --out "$work/certs" > "$work/cert.txt" 2>&1 || { cat "$work/cert.txt"; fail "device cert"; }
cs=$(sed -n 's/^connection string: //p' "$work/cert.txt")
[[ "$cs" == *"x509=true"* && "$cs" == *"GatewayHostName=localhost:$port"* ]] || { cat "$work/cert.txt"; fail "connection string: $cs"; }
"$picohub" device show x509dev > "$work/show.txt"
grep -q 'authType *selfSigned' "$work/show.txt" || { cat "$work/show.txt"; fail "device show lacks the auth type"; }
"$picohub" device list | grep -q 'x509dev .*selfSigned' || fail "device list lacks the auth type"
[[ $("$picohub" device connection-string x509dev --gateway) == "$cs" ]] || fail "device connection-string != $cs"
set +e
timeout 30 "$picohub" sim -c "$cs" --ca "$ca" --count 1 > "$work/nocert.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q 'needs the device certificate and key: --cert FILE --cert-key FILE' "$work/nocert.txt" \
  || { cat "$work/nocert.txt"; fail "x509 without --cert: exit $rc"; }
ok "device show/list/connection-string know the X.509 device; sim without --cert says what it needs (exit 2)"
timeout 60 "$picohub" monitor --device x509dev --count 3 --timeout 50 --json > "$work/monitor.txt" 2>&1 &
monitor=$!
sleep 1
timeout 60 "$picohub" sim -c "$cs" --ca "$ca" --cert "$work/certs/x509dev.crt" --cert-key "$work/certs/x509dev.key" \
  --count 3 --interval 100ms > "$work/sim.txt" 2>&1 || { rc=$?; cat "$work/sim.txt"; broker_log; fail "x509 sim exited with $rc"; }
wait "$monitor" || { cat "$work/monitor.txt"; fail "monitor did not see 3 messages"; }
[[ $(grep -c 'acknowledged by the hub' "$work/sim.txt") -eq 3 ]] || { cat "$work/sim.txt"; fail "3 PUBACKs"; }
[[ $(grep -c '"deviceId":"x509dev"' "$work/monitor.txt") -eq 3 ]] || { cat "$work/monitor.txt"; fail "monitor saw != 3"; }
grep -q "x509dev connected (certificate valid until" "$PICOHUB_DATA/mosquitto.log" || fail "hub log lacks the X.509 connect"
ok "self-signed device (picohub device cert): 3 telemetry messages from picohub sim seen by picohub monitor"

# Another self-signed certificate for the same device id: a different thumbprint, refused.
"$picohub" device cert x509other --out "$work/other" > /dev/null
cp "$work/other/x509other.key" "$work/other/wrong.key"
"$picohub" device delete x509other > /dev/null
set +e
# Same key pair, but a certificate whose CN and thumbprint are another's: the hub must refuse it for x509dev.
timeout 30 "$picohub" sim -c "$cs" --ca "$ca" --cert "$work/other/x509other.crt" --cert-key "$work/other/wrong.key" \
  --count 1 > "$work/wrong.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 3 ]] && grep -q 'refused the certificate' "$work/wrong.txt" || { cat "$work/wrong.txt"; fail "wrong cert: exit $rc"; }
grep -q "refused x509dev: certificate thumbprint .* matches neither registered thumbprint" "$PICOHUB_DATA/mosquitto.log" \
  || { tail -20 "$PICOHUB_DATA/mosquitto.log"; fail "hub log lacks the refusal reason"; }
ok "a different self-signed certificate refused (exit 3; the hub log names its thumbprint)"

# A key that does not belong to the certificate: refused before connecting.
set +e
timeout 30 "$picohub" sim -c "$cs" --ca "$ca" --cert "$work/certs/x509dev.crt" --cert-key "$work/other/wrong.key" \
  --count 1 > "$work/mismatch.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q 'does not belong to the client certificate' "$work/mismatch.txt" \
  && ! grep -q 'Connecting to' "$work/mismatch.txt" || { cat "$work/mismatch.txt"; fail "mismatched key: exit $rc"; }
ok "a key that is not the certificate's refused before connecting (exit 2)"

# CA-signed: a CA registered with the hub signs the device's certificate (CN = device id).
"$picohub" ca create testca --out "$work/ca" > "$work/ca.txt" 2>&1 || { cat "$work/ca.txt"; fail "ca create"; }
"$picohub" ca list | grep -q '^testca' || fail "ca list lacks testca"
"$picohub" device cert cadev --out "$work/ca" --ca-cert "$work/ca/testca.crt" --ca-key "$work/ca/testca.key" \
  > "$work/cadev.txt" 2>&1 || { cat "$work/cadev.txt"; fail "device cert --ca-cert"; }
ca_cs=$(sed -n 's/^connection string: //p' "$work/cadev.txt")
"$picohub" device show cadev | grep -q 'authType *certificateAuthority' || fail "cadev is not certificateAuthority"
timeout 60 "$picohub" sim -c "$ca_cs" --ca "$ca" --cert "$work/ca/cadev.crt" --cert-key "$work/ca/cadev.key" \
  --count 2 --interval 100ms > "$work/casim.txt" 2>&1 || { rc=$?; cat "$work/casim.txt"; broker_log; fail "CA-signed sim exited with $rc"; }
[[ $(grep -c 'acknowledged by the hub' "$work/casim.txt") -eq 2 ]] || { cat "$work/casim.txt"; fail "2 PUBACKs (CA)"; }
ok "CA-signed device (picohub ca create + device cert --ca-cert) accepted: 2 messages acknowledged"

# The CA removed: the same certificate no longer chains to anything the hub trusts.
"$picohub" ca delete testca > /dev/null
set +e
timeout 30 "$picohub" sim -c "$ca_cs" --ca "$ca" --cert "$work/ca/cadev.crt" --cert-key "$work/ca/cadev.key" \
  --count 1 > "$work/noca.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 3 ]] || { cat "$work/noca.txt"; fail "CA deleted: exit $rc"; }
ok "after picohub ca delete the CA-signed device is refused (exit 3)"

# A SAS device on the same port, unaffected by the listener asking for certificates.
"$picohub" device create sasdev > /dev/null
sas_cs=$("$picohub" device connection-string sasdev --gateway)
timeout 60 "$picohub" sim -c "$sas_cs" --ca "$ca" --count 1 > "$work/sas.txt" 2>&1 || { cat "$work/sas.txt"; fail "SAS sim"; }
grep -q 'acknowledged by the hub' "$work/sas.txt" || { cat "$work/sas.txt"; fail "SAS PUBACK"; }
ok "a SAS device connects on the same port"
echo "$passed passed, 0 failed"
