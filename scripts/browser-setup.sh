#!/usr/bin/env bash
# Installs the browser test's driver (puppeteer-core, pinned in tests/browser/package-lock.json). It drives
# Debian's chromium (scripts/setup.sh installs it) and downloads no browser of its own.
exec "$(dirname "$0")/npm-setup.sh" tests/browser "puppeteer-core" browser-setup
