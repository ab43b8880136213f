#!/usr/bin/env bash
# Boot smoke test (issue 6, "Prove it"): the board firmware, provisioned by `picohub board uf2` with a
# throwaway connection string, boots in a bare rp2040js (nothing on SPI, ROSC reads constant 1s) and prints
# its banner, the entropy health test failing, and "W5100S not responding" at least twice (it keeps retrying)
# with no fault, lockup or watchdog reset. It must also print the MAC from its config block, which proves the
# firmware decoded the block `picohub board uf2` wrote.
set -euo pipefail
# ./run test sets PICOHUB_REQUIRE_BOARD=1: there a missing firmware or rp2040js is a failure, not a skip.
skip_code=77; [[ ${PICOHUB_REQUIRE_BOARD:-0} == 1 ]] && skip_code=1
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
vboard="$here/../../tools/vboard"
if [[ ! -f "$firmware" ]]; then
  echo "SKIP: no board firmware at $firmware yet: run ./run build board"; exit "$skip_code"
fi
if [[ ! -d "$vboard/node_modules/rp2040js" ]]; then
  echo "SKIP: rp2040js is not installed: run scripts/vboard-setup.sh (./run setup does)"; exit "$skip_code"
fi

work=$(mktemp -d /tmp/picohub-boot-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
# A throwaway identity: the key is random and no hub knows it; nothing leaves the virtual board anyway.
key=$(head -c 32 /dev/urandom | base64)
cs="HostName=smoke-test.azure-devices.net;DeviceId=vboard-smoke;SharedAccessKey=$key"
"$picohub" board uf2 --connection-string "$cs" --firmware "$firmware" --interval 5s -o "$work/board.uf2" \
  | tee "$work/uf2.txt"
mac=$(sed -n 's/^  MAC  *\([0-9a-f:]\{17\}\).*/\1/p' "$work/uf2.txt")
[[ -n "$mac" ]] || { echo "FAIL: picohub board uf2 did not print the MAC"; exit 1; }

"$node" "$vboard/run.mjs" --uf2 "$work/board.uf2" --max-ms 15000 --wall-ms 240000 --fail-on-watchdog \
  --expect '/picohub/i' \
  --expect "/$mac/i" \
  --expect '/entropy.*fail/i' \
  --expect 'W5100S not responding' \
  --expect 'W5100S not responding' \
  --forbid '/hardfault|panic/i' --forbid 'no config block' --forbid 'config block CRC mismatch'
echo "ok: banner, MAC $mac from the config block, entropy failure and W5100S retries seen with no fault"
