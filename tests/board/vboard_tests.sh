#!/usr/bin/env bash
# tools/vboard's own tests (node:test): boot, console, bounded runs and fault detection on hand-assembled
# Thumb images, so the runner is proven without the firmware.
set -euo pipefail
# ./run test sets PICOHUB_REQUIRE_BOARD=1: there a missing firmware or rp2040js is a failure, not a skip.
skip_code=77; [[ ${PICOHUB_REQUIRE_BOARD:-0} == 1 ]] && skip_code=1
node=$1
vboard=$(cd "$(dirname "$0")/../../tools/vboard" && pwd)
if [[ ! -d "$vboard/node_modules/rp2040js" ]]; then
  echo "SKIP: rp2040js is not installed: run scripts/vboard-setup.sh (./run setup does)"; exit "$skip_code"
fi
cd "$vboard"
exec "$node" --test --test-reporter=spec test/
