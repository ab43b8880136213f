#!/usr/bin/env bash
# Installs the virtual board's Node packages (rp2040js, pinned in tools/vboard/package-lock.json).
# Idempotent: skips npm when node_modules already matches the lock file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
vboard="$root/tools/vboard"
say() { printf '[vboard-setup] %s\n' "$*"; }
if ! command -v npm >/dev/null 2>&1; then
  say "npm is missing: install Debian's nodejs and npm (./run setup does)"; exit 1
fi
stamp="$vboard/node_modules/.picohub-lock.sha256"
want=$(sha256sum "$vboard/package-lock.json" | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  say "rp2040js: present"
  exit 0
fi
say "installing rp2040js (npm ci in tools/vboard)"
(cd "$vboard" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
say "done"
