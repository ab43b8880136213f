#!/usr/bin/env bash
# Builds Eclipse Paho MQTT C from Debian's source package with PAHO_HIGH_PERFORMANCE (no in-memory tracing, no
# heap tracking: the build Paho recommends for speed) into .deps/paho, for bench 1's fair peer. Only ./run bench
# calls it (scripts/bench.sh), never setup. Idempotent: a stamp in .deps/paho says which version is built.
#   scripts/paho-source.sh          fetch (private apt state, like scripts/mbedtls.sh), build, install
#   PAHO_SOURCE_DIR=/path/to/tree   build from an unpacked Paho C source tree instead of fetching
# Exit 0: built (or already there). Exit 3: the source package cannot be had here (the bench then reports the
# stock Debian build only and says so). Anything else: a real failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
suite=${PAHO_SUITE:-bookworm}  # bookworm ships 1.3.12, the version of the stock libpaho-mqtt1.3 beside it
cache="$root/.cache/paho"
prefix="$root/.deps/paho"
say() { printf '[paho] %s\n' "$*" >&2; }

if [[ -z "${PAHO_SOURCE_DIR:-}" ]] && ls "$prefix"/.built-* >/dev/null 2>&1; then
  say "high-performance build $(basename "$(ls "$prefix"/.built-* | head -n1)" | sed 's/^.built-//') present in ${prefix#$root/}"
  exit 0
fi

src="${PAHO_SOURCE_DIR:-}"
if [[ -z "$src" ]]; then
  src=$(ls -d "$cache"/paho.mqtt.c-*/ 2>/dev/null | sort -V | tail -n1 || true)
  src=${src%/}
fi
if [[ -z "$src" || ! -f "$src/CMakeLists.txt" ]]; then
  mkdir -p "$cache/apt/lists/partial"
  tarball=$(ls "$cache"/paho.mqtt.c_*.orig.tar.* 2>/dev/null | sort -V | tail -n1 || true)
  if [[ -z "$tarball" ]]; then
    # A deb-src entry on the mirror this machine already uses, in a private apt state: the system's sources
    # and package lists stay untouched.
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [[ -n "$mirror" ]] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [[ -n "$mirror" ]] || { say "no Debian mirror in /etc/apt; set PAHO_SOURCE_DIR to a Paho C source tree"; exit 3; }
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$mirror" "$suite" >"$cache/apt/src.sources"
    apt_opts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$cache/apt"
              -o Dir::State::Lists="$cache/apt/lists" -o APT::Sandbox::User=root)
    say "fetching the paho.mqtt.c source package from Debian ($suite)"
    if ! apt-get "${apt_opts[@]}" update -qq 2>"$cache/apt.log" ||
       ! (cd "$cache" && apt-get "${apt_opts[@]}" source --download-only -qq paho.mqtt.c >/dev/null 2>>"$cache/apt.log"); then
      say "the source package cannot be fetched here:"
      sed 's/^/[paho]   /' "$cache/apt.log" | grep -v '^\[paho\]   W:' | tail -n 4 >&2
      say "set PAHO_SOURCE_DIR to an unpacked Paho C 1.3.x source tree to build the high-performance peer"
      exit 3
    fi
    tarball=$(ls "$cache"/paho.mqtt.c_*.orig.tar.* | sort -V | tail -n1)
  fi
  say "unpacking $(basename "$tarball")"
  tar -xf "$tarball" -C "$cache"
  src=$(ls -d "$cache"/paho.mqtt.c-*/ | sort -V | tail -n1)
  src=${src%/}
fi
[[ -f "$src/src/MQTTClient.c" ]] || { say "$src is not a Paho C source tree"; exit 1; }
version=$(cat "$src/version.major" "$src/version.minor" "$src/version.patch" 2>/dev/null | paste -sd. || echo unknown)

say "building Paho C $version with PAHO_HIGH_PERFORMANCE=TRUE, OpenSSL (shared) - takes a minute"
build="$root/.cache/paho-build"
rm -rf "$build"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_INSTALL_LIBDIR=lib -DPAHO_HIGH_PERFORMANCE=TRUE -DPAHO_WITH_SSL=TRUE -DPAHO_BUILD_SHARED=TRUE \
  -DPAHO_BUILD_STATIC=FALSE -DPAHO_ENABLE_TESTING=FALSE -DPAHO_BUILD_SAMPLES=FALSE -DPAHO_BUILD_DOCUMENTATION=FALSE \
  >/dev/null
grep -q 'HIGH_PERFORMANCE' "$build/CMakeCache.txt" || { say "this Paho C has no PAHO_HIGH_PERFORMANCE option"; exit 1; }
cmake --build "$build" >/dev/null
cmake --install "$build" >/dev/null
rm -f "$prefix"/.built-*
touch "$prefix/.built-$version"
say "installed Paho C $version (high performance) into ${prefix#$root/}"
