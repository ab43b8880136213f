#!/usr/bin/env bash
# Installs the Node packages of the end-to-end tests (Microsoft's device SDK, pinned in tests/e2e/package-lock.json).
# Idempotent: skips npm when node_modules already matches the lock file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
e2e="$root/tests/e2e"
say() { printf '[e2e-setup] %s\n' "$*"; }
if ! command -v npm >/dev/null 2>&1; then
  say "npm is missing: install Debian's nodejs and npm (./run setup does)"; exit 1
fi
stamp="$e2e/node_modules/.picohub-lock.sha256"
want=$(sha256sum "$e2e/package-lock.json" | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  say "Node SDK packages: present"
  exit 0
fi
say "installing the Node SDK packages (npm ci in tests/e2e)"
(cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
say "done"
