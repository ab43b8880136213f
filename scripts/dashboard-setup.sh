#!/usr/bin/env bash
# Installs the dashboard's chart library (uPlot, pinned in web/package-lock.json); picohub-gateway serves it
# from web/node_modules/uplot/dist, so no chart code is committed and no CDN is used.
exec "$(dirname "$0")/npm-setup.sh" web "the dashboard's chart library (uPlot)" dashboard-setup
