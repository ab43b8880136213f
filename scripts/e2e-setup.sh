#!/usr/bin/env bash
# Installs the Node packages of the end-to-end tests (Microsoft's device SDK, pinned in tests/e2e/package-lock.json).
exec "$(dirname "$0")/npm-setup.sh" tests/e2e "the Node SDK packages" e2e-setup
