#!/usr/bin/env python3
"""Where the firmware's TLS handshakes spend their CPU cycles, by function.

Usage: bench/firmware_profile.py PROFILE ELF [--top N]
PROFILE is what `node tools/vboard/run.mjs ... --profile PROFILE` wrote (cycles per instruction address inside
the handshakes); ELF the image that ran. Prints the top functions with their cycles, ms at 125 MHz and share.
"""
import bisect
import subprocess
import sys


def symbols(elf):
    """Sorted (start, end, name) of the ELF's functions, from arm-none-eabi-nm."""
    out = subprocess.run(['arm-none-eabi-nm', '-S', '--defined-only', elf], check=True, capture_output=True,
                         text=True).stdout
    funcs = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in 'tTwW':
            start = int(parts[0], 16) & ~1
            funcs.append((start, start + int(parts[1], 16), parts[3]))
    return sorted(funcs)


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    top = int(argv[argv.index('--top') + 1]) if '--top' in argv else 25
    funcs = symbols(argv[2])
    starts = [f[0] for f in funcs]
    totals = {}
    for line in open(argv[1]):
        address, cycles = line.split()
        name = 'other'
        if address != 'other':
            pc = int(address, 16)
            i = bisect.bisect_right(starts, pc) - 1
            name = funcs[i][2] if i >= 0 and pc < funcs[i][1] else f'?{address}'
        totals[name] = totals.get(name, 0) + float(cycles)
    whole = sum(totals.values()) or 1
    print(f'{"cycles":>12} {"ms":>8} {"share":>6}  function (all handshakes in the run: {whole / 125e3:.1f} ms)')
    for name, cycles in sorted(totals.items(), key=lambda kv: -kv[1])[:top]:
        print(f'{cycles:12.0f} {cycles / 125e3:8.1f} {100 * cycles / whole:5.1f}%  {name}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
