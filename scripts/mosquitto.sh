#!/usr/bin/env bash
# Builds the hub's broker: mosquitto 2.0.11 from Debian 12's source package (the exact version Debian ships,
# with Debian's own patches) plus picohub's patch (patches/mosquitto/*.patch), into .deps/mosquitto/sbin.
# picohub-events.patch adds plugin events that 2.0.11 lacks: a device's PUBACK of an outgoing QoS 1 message and a Will
# being published (docs/hub-acks.md says why and what it costs); picohub-client-certs.patch lets a listener request
# a client certificate and leave the decision to the plugin (docs/x509.md). Idempotent: the stamp names the source
# version and the patch's checksum, so a changed patch rebuilds and an unchanged one only checks.
#   MOSQUITTO_SOURCE_DIR=/path/to/mosquitto-2.0.11 builds that tree instead of fetching.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
want_version=2.0.11
cache="$root/.cache/mosquitto"
prefix="$root/.deps/mosquitto"
# Applied in this order (each one is written against the tree the ones before it leave).
patch_files=("$root/patches/mosquitto/picohub-events.patch" "$root/patches/mosquitto/picohub-client-certs.patch")
say() { printf '[mosquitto] %s\n' "$*"; }

patch_sum=$(cat "${patch_files[@]}" | sha256sum | cut -c1-16)
stamp="$prefix/.built-$want_version-$patch_sum"
if [[ -f "$stamp" && -x "$prefix/sbin/mosquitto" && -z "${MOSQUITTO_SOURCE_DIR:-}" ]]; then
  say "patched broker $want_version present in ${prefix#$root/}/sbin"
  exit 0
fi

src="${MOSQUITTO_SOURCE_DIR:-}"
if [[ -z "$src" ]]; then
  mkdir -p "$cache/apt/lists/partial"
  dsc=$(ls "$cache"/mosquitto_"$want_version"-*.dsc 2>/dev/null | sort -V | tail -n1 || true)
  if [[ -z "$dsc" ]]; then
    # deb-src for bookworm on the mirror this machine already uses, in a private apt state so the system's
    # sources and package lists stay untouched.
    mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [[ -n "$mirror" ]] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [[ -n "$mirror" ]] || { say "cannot find a Debian mirror in /etc/apt; set MOSQUITTO_SOURCE_DIR to a mosquitto $want_version tree"; exit 1; }
    sec_mirror=${mirror%/debian}/debian-security
    {
      printf 'Types: deb-src\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n' "$mirror"
      printf 'Types: deb-src\nURIs: %s\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$sec_mirror"
    } > "$cache/apt/bookworm-src.sources"
    apt_opts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$cache/apt"
              -o Dir::State::Lists="$cache/apt/lists" -o APT::Sandbox::User=root)
    say "fetching the mosquitto source package from Debian 12 (bookworm)"
    apt-get "${apt_opts[@]}" update -qq
    (cd "$cache" && apt-get "${apt_opts[@]}" source --download-only -qq "mosquitto=$(dpkg-query -W -f='${Version}' mosquitto 2>/dev/null || echo "$want_version")" >/dev/null 2>&1 \
      || apt-get "${apt_opts[@]}" source --download-only -qq mosquitto >/dev/null)
    dsc=$(ls "$cache"/mosquitto_"$want_version"-*.dsc | sort -V | tail -n1)
  fi
  src="$cache/src"
  if [[ ! -f "$src/.unpacked-$(basename "$dsc")" ]]; then
    # apt-get checked the files against the signed Sources index; --no-check only skips the uploader's own
    # signature on the .dsc, whose keyring (debian-keyring) is not installed.
    say "unpacking $(basename "$dsc") with Debian's patches"
    rm -rf "$src"
    dpkg-source --no-check -x "$dsc" "$src" >/dev/null
    touch "$src/.unpacked-$(basename "$dsc")"
  fi
fi
[[ -f "$src/src/plugin.c" && -f "$src/config.mk" ]] || { say "$src is not a mosquitto source tree"; exit 1; }
grep -q "VERSION=$want_version" "$src/config.mk" || { say "need mosquitto $want_version in $src"; exit 1; }

# Patch a private copy so the unpacked source stays pristine (a changed patch applies to a clean tree).
work="$root/.cache/mosquitto-build"
rm -rf "$work"; cp -a "$src" "$work"
for patch_file in "${patch_files[@]}"; do patch -d "$work" -p1 --quiet < "$patch_file"; done

say "building the patched broker (the broker only, with Debian's build system and compiler flags)"
start=$(date +%s)
log="$root/.cache/mosquitto-build.log"
# As debian/rules configures it, minus what needs -dev packages we do not install and the broker's hot path does
# not use (websockets, libwrap, DLT, systemd notify); cJSON only serves the dynsec plugin and clients.
if ! { CFLAGS="$(dpkg-buildflags --get CFLAGS)" CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS)" \
       LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
       cmake -S "$work" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=None -DWITH_BUNDLED_DEPS=ON -DWITH_ADNS=ON \
         -DUSE_LIBWRAP=OFF -DWITH_WEBSOCKETS=OFF -DWITH_DLT=OFF -DWITH_SYSTEMD=OFF -DWITH_CJSON=OFF \
         -DWITH_CLIENTS=OFF -DWITH_APPS=OFF -DWITH_PLUGINS=OFF -DDOCUMENTATION=OFF \
       && cmake --build "$work/build" --target mosquitto -- -j"$(nproc)"; } >"$log" 2>&1; then
  tail -n 30 "$log"; say "build failed; the log is ${log#$root/}"; exit 1
fi
mkdir -p "$prefix/sbin"
install -m 0755 "$work/build/src/mosquitto" "$prefix/sbin/mosquitto"
rm -f "$prefix"/.built-*
touch "$stamp"
say "installed ${prefix#$root/}/sbin/mosquitto ($want_version + ${#patch_files[@]} picohub patches) in $(( $(date +%s) - start )) s"
