#!/usr/bin/env bash
# boot_smoke.sh against a stand-in firmware (fake_firmware.mjs) that prints the expected lines: proves the
# script, `picohub board uf2` and the virtual board work together before the real firmware exists.
set -euo pipefail
# ./run test sets PICOHUB_REQUIRE_BOARD=1: there a missing firmware or rp2040js is a failure, not a skip.
skip_code=77; [[ ${PICOHUB_REQUIRE_BOARD:-0} == 1 ]] && skip_code=1
picohub=$1 node=$2
here=$(cd "$(dirname "$0")" && pwd)
if [[ ! -d "$here/../../tools/vboard/node_modules/rp2040js" ]]; then
  echo "SKIP: rp2040js is not installed: run scripts/vboard-setup.sh (./run setup does)"; exit "$skip_code"
fi
work=$(mktemp -d /tmp/picohub-boot-selftest.XXXXXX)
trap 'rm -rf "$work"' EXIT
# boot_smoke.sh provisions device "vboard-smoke", whose derived MAC is this (FNV-1a of the id; see
# src/provisioning/device_mac.hpp): the stand-in prints it as a real firmware prints its config.
"$node" "$here/fake_firmware.mjs" "$work/fake-firmware.bin" a6:42:8b:72:4c:a8
"$here/boot_smoke.sh" "$picohub" "$node" "$work/fake-firmware.bin"
