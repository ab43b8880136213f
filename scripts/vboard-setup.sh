#!/usr/bin/env bash
# Installs the virtual board's Node packages (rp2040js, pinned in tools/vboard/package-lock.json).
exec "$(dirname "$0")/npm-setup.sh" tools/vboard "rp2040js" vboard-setup
