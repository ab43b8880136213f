#!/usr/bin/env bash
# Firmware footprint: flash and static RAM of the board image against issue 6's budgets (must: <= 160 KiB flash,
# <= 96 KiB static RAM + peak heap; aim: <= 128 KiB / <= 64 KiB), where the flash goes by library, and the stack
# (largest frames from -fstack-usage; the painted-stack peak comes from the virtual board's run summary).
# Usage: bench/firmware_footprint.sh [--record]   (--record appends the report to bench/RESULTS.md)
# Builds the board preset first. Anchors: Azure's FreeRTOS middleware sample on STM32L475 201.7 KB flash /
# 104 KB RAM; the tutorial's MicroPython image is over 600 KB.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
record=0
[[ ${1:-} == --record ]] && record=1

cmake --preset board >/dev/null
cmake --build --preset board -- -j"$(nproc)" >/dev/null
elf=build/board/apps/firmware/picohub-firmware.elf
map=build/board/apps/firmware/picohub-firmware.map
report=$(mktemp)
trap 'rm -f "$report"' EXIT
out() { printf '%s\n' "$*" | tee -a "$report"; }

read -r text data bss _ < <(arm-none-eabi-size "$elf" | awk 'NR==2 {print $1, $2, $3}')
arena=$(arm-none-eabi-nm -S "$elf" | awk '/tls_arena/ && !n++ {print $2}')
stack=$(arm-none-eabi-nm "$elf" | awk '/__stack_size__/ && !n++ {print $1}')
arena=$((16#${arena:-0}))
stack=$((16#${stack:-0}))
flash=$((text + data))
ram=$((data + bss))

out "## Firmware footprint, $(date -u '+%Y-%m-%d %H:%M UTC')"
out ""
out "Command: \`bench/firmware_footprint.sh\` at $(git rev-parse --short HEAD); arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion), -Os + LTO for our code, mbedTLS $(sed -n 's/^#define MBEDTLS_VERSION_STRING *"\(.*\)"/\1/p' .deps/mbedtls/board/include/mbedtls/build_info.h) (bignum/ECP/RSA at -O2)."
out ""
out "| what | bytes | KiB | budget (must / aim) |"
out "|---|---:|---:|---|"
out "| flash (text + data) | $flash | $((flash / 1024)) | 160 KiB / 128 KiB |"
out "| static RAM (data + bss) | $ram | $((ram / 1024)) | 96 KiB / 64 KiB (with the peak heap) |"
out "| of which the mbedTLS arena (the only heap: its size caps the peak) | $arena | $((arena / 1024)) | |"
out "| of which the stack | $stack | $((stack / 1024)) | |"
out ""
out "Flash by library (from the link map):"
out ""
out "| library | bytes |"
out "|---|---:|"
python3 - "$map" <<'EOF' | tee -a "$report"
import re, sys, collections
sizes = collections.Counter()
for line in open(sys.argv[1]):
    m = re.match(r'^ (?:\.(?:text|rodata|data)\S*)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)', line)
    if not m or not (0x10000000 <= int(m.group(1), 16) < 0x20000000):
        continue
    name = re.sub(r'\(.*', '', m.group(3)).split('/')[-1]
    name = re.sub(r'^lib(.*)\.a$', r'\1', name)
    if 'ltrans' in name:
        name = 'picohub code, all libraries (link-time optimised as one)'
    sizes[name] += int(m.group(2), 16)
for name, size in sizes.most_common(14):
    print(f'| {name} | {size} |')
EOF
out ""
out "Largest stack frames (-fstack-usage): $( \
  cat "$elf".ltrans*.su 2>/dev/null | sort -t$'\t' -k2 -n -r | head -3 | awk -F'\t' '{printf "%s %s B; ", $1, $2}' | sed "s|$root/||g")"

if ((flash > 160 * 1024)); then echo "firmware_footprint: flash $flash B is over the 160 KiB budget" >&2; exit 1; fi
if ((record)); then
  { echo; cat "$report"; } >>bench/RESULTS.md
  echo "appended to bench/RESULTS.md"
fi
