#!/usr/bin/env bash
# Fetches mbedTLS 3.6 (Debian 13's source package) and builds it for the host into .deps/mbedtls/host.
# The board build (arm-none-eabi) is made from the same source tree by scripts/mbedtls-board.sh, which asks
# for it with `scripts/mbedtls.sh --source-dir` (fetch/unpack only; prints the tree's path as the last line).
# The host configuration is mbedTLS's default plus cmake/mbedtls/host_release.h (no debug code in a release
# build). The stamp names the version and a hash of that file and this script, so editing either rebuilds.
set -euo pipefail
mode=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
want_version=3.6.6
cache="$root/.cache/mbedtls"
prefix="$root/.deps/mbedtls/host"
say() { printf '[mbedtls] %s\n' "$*"; }

user_config="$root/cmake/mbedtls/host_release.h"
[[ -f "$user_config" ]] || { say "missing $user_config"; exit 1; }
hash=$(cat "$user_config" "$0" | sha256sum | cut -c1-12)
stamp="$prefix/.built-$want_version-$hash"
if [[ "$mode" != --source-dir && -f "$stamp" && -z "${MBEDTLS_SOURCE_DIR:-}" ]]; then
  say "host build of $want_version present in ${prefix#$root/}"
  exit 0
fi

src="${MBEDTLS_SOURCE_DIR:-}"
if [[ -z "$src" ]]; then
  src="$cache/mbedtls-$want_version"
  if [[ ! -f "$src/CMakeLists.txt" ]]; then
    mkdir -p "$cache/apt/lists/partial"
    tarball=$(ls "$cache"/mbedtls_"$want_version"*.orig.tar.* 2>/dev/null | head -n1 || true)
    if [[ -z "$tarball" ]]; then
      # A deb-src entry for trixie on the same mirror this machine already uses, in a private apt state
      # so the system's sources and package lists stay untouched.
      mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
      [[ -n "$mirror" ]] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
      [[ -n "$mirror" ]] || { say "cannot find a Debian mirror in /etc/apt; set MBEDTLS_SOURCE_DIR to an mbedTLS $want_version tree"; exit 1; }
      printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$mirror" > "$cache/apt/trixie-src.sources"
      apt_opts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$cache/apt"
                -o Dir::State::Lists="$cache/apt/lists" -o APT::Sandbox::User=root)
      say "fetching the mbedtls source package from Debian 13 (trixie)"
      apt-get "${apt_opts[@]}" update -qq
      (cd "$cache" && apt-get "${apt_opts[@]}" source --download-only -qq mbedtls >/dev/null)
      tarball=$(ls "$cache"/mbedtls_*.orig.tar.* | sort -V | tail -n1)
    fi
    say "unpacking $(basename "$tarball")"
    tar -xf "$tarball" -C "$cache"
  fi
fi
[[ -f "$src/include/mbedtls/build_info.h" ]] || { say "$src is not an mbedTLS source tree"; exit 1; }
got=$(sed -n 's/^#define MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' "$src/include/mbedtls/build_info.h")
[[ "$got" == 3.6.* ]] || { say "need mbedTLS 3.6.x, found $got in $src"; exit 1; }
if [[ "$mode" == --source-dir ]]; then echo "$src"; exit 0; fi

say "building mbedTLS $got for the host (static, PIC) - takes a minute"
build="$root/.cache/mbedtls-build-host"
rm -rf "$build"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DMBEDTLS_USER_CONFIG_FILE="$user_config" -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF \
  -DUSE_SHARED_MBEDTLS_LIBRARY=OFF -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DMBEDTLS_FATAL_WARNINGS=OFF >/dev/null
cmake --build "$build" >/dev/null
rm -rf "$prefix"
cmake --install "$build" >/dev/null
# Consumers that include <mbedtls/...> without the exported MBEDTLS_USER_CONFIG_FILE still see what the library
# was built with: the changes are appended to the installed default configuration.
cat "$user_config" >> "$prefix/include/mbedtls/mbedtls_config.h"
if [[ "$got" == "$want_version" ]]; then touch "$stamp"; else touch "$prefix/.built-$got"; fi
say "installed mbedTLS $got into ${prefix#$root/}"
