#!/usr/bin/env bash
# Bad config block end to end (issue 7): the real firmware booted in the virtual board with a config sector that
# is missing (a firmware-only UF2), damaged (CRC), from another format version, or lacks the device id. For each:
# ONE console line says what is wrong and how to re-provision (`picohub board uf2`), the board never tries the
# network, never faults, and is not rebooted by the watchdog: over 15 s of emulated time (three watchdog
# periods) there is exactly one boot banner, and the status LED shows the config-error pattern (two short
# flashes a second) to the end (the main loop runs).
# No hub is needed: nothing is bridged, so emulated time runs at CPU speed (a few seconds of wall time each).
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
vboard="$here/../../tools/vboard"
source "$here/../lib/testlib.sh"
[[ -f "$firmware" ]] || { echo "SKIP: no board firmware at $firmware yet: run ./run build board"; exit 77; }
[[ -d "$vboard/node_modules/rp2040js" ]] || { echo "SKIP: rp2040js is not installed: run scripts/vboard-setup.sh"; exit 77; }
[[ -x "$picohub" ]] || { echo "SKIP: no picohub CLI at $picohub"; exit 77; }

work=$(mktemp -d /tmp/picohub-vboard-badcfg.XXXXXX)
trap '[[ -n "${KEEP:-}" ]] || rm -rf "$work"' EXIT

cs="HostName=example.azure-devices.net;DeviceId=vbcfg;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
"$picohub" board uf2 --connection-string "$cs" --firmware "$firmware" -o "$work/good.uf2" > "$work/uf2.txt" 2>&1 \
  || { cat "$work/uf2.txt"; fail "board uf2"; }

remedy='Not connecting\. Re-provision the board: picohub board uf2 --connection-string .* -o board\.uf2, then flash board\.uf2$'
# mutation | what the one config line must say
cases=(
  "no-config|^config error: no config block \(flash erased\): this board was never provisioned\. $remedy"
  "bad-crc|^config error: config block CRC mismatch \(stored 0x[0-9A-F]{8}, computed 0x[0-9A-F]{8}\): .*\. $remedy"
  "version=9|^config error: config format version 9 is newer than this firmware \(2\): .*\. $remedy"
  "no-device-id|^config error: connection string malformed: .*DeviceId.*\. $remedy"
)
for entry in "${cases[@]}"; do
  mutation=${entry%%|*} want=${entry#*|}
  "$node" "$here/config_sector.mjs" "$work/good.uf2" "$work/$mutation.uf2" "$mutation" || fail "$mutation: cannot make the UF2"
  set +e
  "$node" "$vboard/run.mjs" --uf2 "$work/$mutation.uf2" --lan --max-ms 15000 --wall-ms 60000 --fail-on-watchdog \
    --led-trace --forbid '/hardfault|panic/i' > "$work/console.txt" 2> "$work/vboard.txt"
  rc=$?
  set -e
  if [[ $rc -ne 0 ]]; then cat "$work/console.txt"; cat "$work/vboard.txt" >&2; fail "$mutation: the run ended with exit $rc"; fi
  banners=$(grep -c '^picohub firmware ' "$work/console.txt" || true)
  [[ $banners -eq 1 ]] || { cat "$work/console.txt"; fail "$mutation: $banners boot banners in 15 s emulated (a reboot loop?)"; }
  config_lines=$(grep -c '^config' "$work/console.txt" || true)
  line=$(grep '^config' "$work/console.txt" || true)
  [[ $config_lines -eq 1 ]] || { cat "$work/console.txt"; fail "$mutation: $config_lines config lines, want exactly one"; }
  grep -Eq -- "$want" <<< "$line" || { cat "$work/console.txt"; fail "$mutation: the config line does not match /$want/: $line"; }
  ! grep -Eq '^(DHCP|connecting to|TLS)' "$work/console.txt" || fail "$mutation: the board went on the network without a config"
  # The LED shows the config-error pattern (two 100 ms flashes a second) to the end: the loop is alive, and a
  # board without a serial console says what is wrong too.
  flashes=$(awk '/LED on at/ { on = $(NF-1) + 0 }
                 /LED off at/ { off = $(NF-1) + 0; if (on > 5000) { n++; if (off - on < 95 || off - on > 105) bad++ } }
                 END { print n + 0, bad + 0 }' "$work/vboard.txt")
  [[ "$flashes" =~ ^(19|20|21)\ 0$ ]] || { cat "$work/vboard.txt" >&2; fail "$mutation: LED flashes (count, wrong length) after 5 s: $flashes; want 20 of 100 ms"; }
  echo "$mutation: $line"
done
pass "bad config blocks (none, CRC, version 9, no DeviceId): one clear line each, one boot in 15 s emulated, LED error pattern"
