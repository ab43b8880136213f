#!/usr/bin/env bash
# Installs the Node packages of one folder of the tree exactly as its package-lock.json pins them (npm ci).
# Idempotent: skips npm when node_modules already matches the lock file.
#   scripts/npm-setup.sh FOLDER "what it installs" TAG     e.g. tools/vboard "rp2040js" vboard-setup
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
folder="$root/$1" what=$2 tag=$3
say() { printf '[%s] %s\n' "$tag" "$*"; }
if ! command -v npm >/dev/null 2>&1; then
  say "npm is missing: install Debian's nodejs and npm (./run setup does)"; exit 1
fi
stamp="$folder/node_modules/.picohub-lock.sha256"
want=$(sha256sum "$folder/package-lock.json" | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  say "$what: present"
  exit 0
fi
say "installing $what (npm ci in $1)"
(cd "$folder" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
say "done"
