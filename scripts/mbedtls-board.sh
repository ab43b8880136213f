#!/usr/bin/env bash
# Builds mbedTLS 3.6 for the RP2040 board (arm-none-eabi, Cortex-M0+) into .deps/mbedtls/board, from the same
# source tree as the host build (scripts/mbedtls.sh --source-dir finds or fetches it; MBEDTLS_SOURCE_DIR
# overrides), with cmake/arm-none-eabi.cmake and the board configuration cmake/mbedtls/board_config.h.
# Built at -Os, with bignum/ECP/RSA at -O2 (cmake/mbedtls/board_hot_o2.cmake; PICOHUB_MBEDTLS_HOT_O2=0 turns that
# off, to compare sizes). Idempotent: the stamp names the version and a hash of the configuration, toolchain and
# options, so editing any of them rebuilds and nothing else does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
variant=board
prefix="$root/.deps/mbedtls/$variant"
config="$root/cmake/mbedtls/board_config.h"
toolchain="$root/cmake/arm-none-eabi.cmake"
hot_o2="$root/cmake/mbedtls/board_hot_o2.cmake"
hot=${PICOHUB_MBEDTLS_HOT_O2:-1}
say() { printf '[mbedtls-board] %s\n' "$*"; }

command -v arm-none-eabi-gcc >/dev/null || {
  say "arm-none-eabi-gcc not found: install gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib (./run setup)"
  exit 1
}
[[ -f "$config" ]] || { say "missing $config"; exit 1; }

src=$("$root/scripts/mbedtls.sh" --source-dir | tail -n1)
[[ -f "$src/include/mbedtls/build_info.h" ]] || { say "no mbedTLS source tree (got '$src')"; exit 1; }
version=$(sed -n 's/^#define MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' "$src/include/mbedtls/build_info.h")
hash=$( (cat "$config" "$toolchain" "$hot_o2" "$0"; echo "hot=$hot") | sha256sum | cut -c1-12)
stamp="$prefix/.built-$version-$hash"
if [[ -f "$stamp" ]]; then
  say "board build of $version present in ${prefix#$root/}"
  exit 0
fi

say "building mbedTLS $version for the board (arm-none-eabi, Cortex-M0+) - takes a minute"
build="$root/.cache/mbedtls-build-$variant"
hot_args=()
[[ "$hot" == 1 ]] && hot_args=(-DCMAKE_PROJECT_INCLUDE="$hot_o2")
rm -rf "$build"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DMBEDTLS_CONFIG_FILE="$config" "${hot_args[@]}" \
  -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF -DGEN_FILES=OFF \
  -DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DMBEDTLS_FATAL_WARNINGS=OFF >/dev/null
cmake --build "$build" >/dev/null
rm -rf "$prefix"
cmake --install "$build" >/dev/null
# Consumers include <mbedtls/...> without knowing about MBEDTLS_CONFIG_FILE: install the board configuration
# as the default one so every user of this prefix sees exactly what the library was built with.
cp "$config" "$prefix/include/mbedtls/mbedtls_config.h"
touch "$stamp"
say "installed mbedTLS $version (board configuration) into ${prefix#$root/}"
