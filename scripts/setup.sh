#!/usr/bin/env bash
# Installs everything picohub needs on Debian 12. Idempotent: a second run only checks.
#   Debian packages (as root, or through sudo), mbedTLS 3.6 built from Debian 13's source package (host and board),
#   the hub's broker (Debian 12's mosquitto 2.0.11 source package + patches/mosquitto, scripts/mosquitto.sh),
#   the Node packages (device SDK for the e2e tests, rp2040js for the virtual board), then the board firmware.
#   MBEDTLS_SOURCE_DIR=/path/to/mbedtls-3.6.x skips the download and builds that tree instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '[setup] %s\n' "$*"; }

packages=(
  build-essential cmake ninja-build pkg-config git dpkg-dev ca-certificates openssl
  clang-14 libclang-rt-14-dev clang-format clang-tidy valgrind
  libgtest-dev libgmock-dev libbenchmark-dev
  libexpected-dev libcli11-dev nlohmann-json3-dev libsqlite3-dev sqlite3
  mosquitto mosquitto-clients libmosquitto-dev mosquitto-dev libpaho-mqtt-dev libssl-dev patch
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
  libboost1.81-dev libqpid-proton-cpp12-dev libqpid-proton11-dev
  chromium  # the dashboard's browser test (tests/browser, puppeteer-core drives it; npm browsers cannot download here)
)
# Node 20 + npm run the virtual board and Microsoft's device SDK. A machine may already have a Node build that
# bundles npm (Debian's separate npm package conflicts with those): only ask Debian when node or npm is absent.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
else
  say "Debian packages: all present"
fi

# The mosquitto package enables a system broker on 1883; picohub runs its own brokers and never needs it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled mosquitto >/dev/null 2>&1; then
  systemctl disable --now mosquitto >/dev/null 2>&1 || true
fi

"$root/scripts/mbedtls.sh"
"$root/scripts/mosquitto.sh"  # the hub's broker: Debian's mosquitto 2.0.11 + picohub's PUBACK/Will patch
"$root/scripts/e2e-setup.sh"
"$root/scripts/vboard-setup.sh"
"$root/scripts/dashboard-setup.sh"
"$root/scripts/browser-setup.sh"
"$root/scripts/mbedtls-board.sh"

# The board firmware: `picohub board uf2` wraps it, the virtual board runs it. Incremental after the first time.
say "building the board firmware (build/board/apps/firmware/picohub-firmware.elf)"
mkdir -p "$root/build"
log="$root/build/setup-board.log"
if ! (cd "$root" && cmake --preset board && cmake --build --preset board -- -j"$(nproc)") >"$log" 2>&1; then
  tail -n 30 "$log"; say "the board firmware did not build; the whole log is $log"; exit 1
fi
say "done"
