#!/usr/bin/env bash
# Firmware handshake bench (issue 7, "an honest handshake"): the real firmware UF2 in the virtual board against the
# local hub serving an Azure-shaped chain (`picohub hub start --chain azure`: root RSA-2048 -> intermediate
# RSA-4096 -> leaf RSA-2048, leaf + intermediate sent), with one reconnect (the link drops 3 s in for 1 s), and
# the vboard's per-stage report (tools/vboard --report): CPU cycles executed at 125 MHz for the first handshake
# and the reconnect (chain from the cache, no session resumption), emulated reset -> first PUBACK, the TLS
# arena's peak (printed by the firmware) and the stack's (the vboard's painted-SP watermark). Median of --runs.
# Targets (issue 7): first handshake <= 1.0 s CPU (aim 0.9), a reconnect at most half of that (<= 500 ms, aim
# 450), reset -> first PUBACK <= 2.0 s. The reconnect / first ratio is printed too; it is not the target (a faster
# chain check lowers the first handshake only, and so raises the ratio).
# Anchor: WIZnet's mbedTLS configuration ~5.9 s per handshake on the same CPU; a tuned mbedTLS 3.6 ~1.0 s.
# Usage: bench/firmware_handshake.sh [--runs N] [--chain azure|default] [--compare OTHER.bin] [--x509] [--record]
# --x509: the board authenticates with a P-256 client certificate (`picohub device cert`), same firmware: the
# handshake then adds the CertificateVerify signature.
# --compare: also run OTHER.bin (e.g. the image before a change) --runs times against the SAME hub session (the same
# freshly made keys), after this tree's image: between sessions the same image varies by ~10 ms.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=3 chain=azure record=0 x509=0
compare=
while (($#)); do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --chain) chain=$2; shift 2 ;;
    --record) record=1; shift ;;
    --x509) x509=1; shift ;;
    --compare) compare=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "firmware_handshake: unknown option '$1'" >&2; exit 2 ;;
  esac
done
command -v node >/dev/null || { echo "firmware_handshake: node is missing (./run setup)" >&2; exit 1; }
[[ -d tools/vboard/node_modules/rp2040js ]] || { echo "firmware_handshake: rp2040js missing: scripts/vboard-setup.sh" >&2; exit 1; }

echo "==> building the firmware (board preset) and picohub (host preset)" >&2
board_dir=build/board
cmake --preset board -B "$board_dir" >/dev/null && cmake --build "$board_dir" -- -j"$(nproc)" >/dev/null
cmake --preset host >/dev/null && cmake --build build/host --target picohub picohub_hub_plugin -- -j"$(nproc)" >/dev/null
picohub=$root/build/host/apps/cli/picohub
firmware=$root/$board_dir/apps/firmware/picohub-firmware.bin

work=$(mktemp -d /tmp/picohub-bench-handshake.XXXXXX)
chmod 0755 "$work"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$work/hub
report=$work/report.md
cleanup() {
  "$picohub" hub stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
out() { printf '%s\n' "$*" | tee -a "$report"; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$picohub" hub start --port "$port" --chain "$chain" >"$work/start.txt" 2>&1 || { cat "$work/start.txt" >&2; exit 1; }
if ((x509)); then
  "$picohub" device cert bench-board --out "$work/certs" >"$work/cert.txt"
  cs=$(sed -n 's/^connection string: //p' "$work/cert.txt" | sed -E 's/;GatewayHostName=[^;]*//')
  auth=(--cert "$work/certs/bench-board.crt" --cert-key "$work/certs/bench-board.key")
else
  "$picohub" device create bench-board >/dev/null
  cs=$("$picohub" device connection-string bench-board 2>/dev/null | head -n 1)
  auth=()
fi
"$picohub" board uf2 --connection-string "$cs;GatewayHostName=localhost:8883" --ca "$PICOHUB_DATA/ca.crt" \
  --firmware "$firmware" --interval 1s -o "$work/board.uf2" "${auth[@]}" >/dev/null
flight=$(openssl crl2pkcs7 -nocrl -certfile "$PICOHUB_DATA/server.crt" | openssl pkcs7 -print_certs -outform DER 2>/dev/null | wc -c || echo '?')

# bench_image UF2 TAG: --runs runs of one image, then its table in $work/table$TAG.md.
bench_image() {
local uf2=$1 tag=$2
for i in $(seq "$runs"); do
  echo "==> run $i of $runs ($uf2)" >&2
  set +e
  node tools/vboard/run.mjs --uf2 "$work/$uf2" --max-ms 20000 --wall-ms 300000 --json \
    --host localhost=192.0.2.20 --bridge "192.0.2.20:8883=127.0.0.1:$port" --fault link-down@3s:1s \
    --expect 'acknowledged by the hub' --expect '^TLS: .*chain as cached' \
    >"$work/console.$tag$i.txt" 2>"$work/vboard.$tag$i.txt"
  rc=$?
  set -e
  if [[ $rc -ne 0 ]]; then
    echo "firmware_handshake: run $i ended with exit $rc; console and notes:" >&2
    cat "$work/console.$tag$i.txt" "$work/vboard.$tag$i.txt" >&2
    exit 1
  fi
  grep '^{' "$work/vboard.$tag$i.txt" | tail -n 1 >"$work/summary.$tag$i.json"
done

# One row per run and the medians, from the vboard's JSON summaries.
node - "$work" "$runs" "$tag" >"$work/table.${tag}md" <<'EOF'
const fs = require('node:fs');
const [work, runs, tag] = process.argv.slice(2);
const rows = [];
for (let i = 1; i <= Number(runs); i++) {
  const s = JSON.parse(fs.readFileSync(`${work}/summary.${tag}${i}.json`, 'utf8'));
  const st = s.stages;
  const pick = (name) => st.rows.find((r) => r.stage === name && r.boot === 0);
  rows.push({ first: st.firstHandshakeCpuMs, firstEmu: pick('tls')?.emulatedMs, again: st.reconnectHandshakeCpuMs[0],
    puback: st.resetToFirstPubackMs, arena: st.arenaPeakBytes, stack: s.stackPeakBytes,
    boot: pick('boot')?.emulatedMs, dhcp: pick('dhcp')?.emulatedMs, sntp: pick('sntp')?.emulatedMs,
    dns: pick('dns')?.emulatedMs, connect: pick('connect')?.emulatedMs });
}
const median = (k) => { const v = rows.map((r) => r[k]).filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return v.length ? v[(v.length - 1) >> 1] : NaN; };
const f = (x, d = 1) => (typeof x === 'number' && !Number.isNaN(x) ? x.toFixed(d) : '-');
console.log('| run | first handshake CPU ms | (emulated ms) | reconnect CPU ms | reconnect / first | reset -> first PUBACK ms | TLS arena peak B | stack peak B |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
rows.forEach((r, i) => console.log(`| ${i + 1} | ${f(r.first)} | ${f(r.firstEmu)} | ${f(r.again)} | ${f(r.again / r.first, 2)} | ${f(r.puback)} | ${r.arena ?? '-'} | ${r.stack} |`));
const m = { first: median('first'), again: median('again'), puback: median('puback'), arena: median('arena'), stack: median('stack') };
console.log(`| **median** | **${f(m.first)}** | ${f(median('firstEmu'))} | **${f(m.again)}** | **${f(m.again / m.first, 2)}** | **${f(m.puback)}** | ${m.arena} | ${m.stack} |`);
console.log('');
console.log(`Other stages (median, emulated ms): boot ${f(median('boot'))}, DHCP ${f(median('dhcp'))}, SNTP ${f(median('sntp'))}, ` +
  `DNS ${f(median('dns'))}, CONNECT -> CONNACK ${f(median('connect'))}.`);
const ok = (c) => (c ? 'met' : 'NOT met');
console.log(`Targets: first handshake <= 1000 ms CPU: ${ok(m.first <= 1000)} (aim 900: ${ok(m.first <= 900)}); ` +
  `reconnect <= 500 ms (half of 1000): ${ok(m.again <= 500)} (aim 450: ${ok(m.again <= 450)}); ` +
  `reset -> first PUBACK <= 2000 ms: ${ok(m.puback <= 2000)}.`);
EOF

}

bench_image board.uf2 ""
if [[ -n $compare ]]; then
  "$picohub" board uf2 --connection-string "$cs;GatewayHostName=localhost:8883" --ca "$PICOHUB_DATA/ca.crt" \
    --firmware "$compare" --interval 1s -o "$work/compare.uf2" "${auth[@]}" >/dev/null
  bench_image compare.uf2 compare.
fi

out "## Firmware handshake, $(date -u '+%Y-%m-%d %H:%M UTC')"
out ""
out "Command: \`bench/firmware_handshake.sh --runs $runs --chain $chain$( ((x509)) && echo " --x509")\` at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src apps tools cmake 2>/dev/null || echo '+local changes');" \
    "the firmware in the virtual board (rp2040js, CPU time at 125 MHz) against \`picohub hub start --chain $chain\`" \
    "(server certificate flight $flight bytes of DER), link down 3 s in for 1 s to force one reconnect (full handshake, no session resumption)."
out ""
cat "$work/table.md" | tee -a "$report"
if [[ -n $compare ]]; then
  out ""
  out "The same hub session, --compare $compare:"
  out ""
  cat "$work/table.compare.md" | tee -a "$report"
fi
out ""
out "CPU ms: cycles the core executed in the stage (sleep excluded) / 125 MHz; the handshake stage runs from the"
out "firmware's \"connecting to\" line (TCP connect included) to its \"TLS:\" line. Anchor: WIZnet's mbedTLS"
out "configuration ~5.9 s per handshake on the same CPU; a tuned mbedTLS 3.6 ~1.0 s."
if ((record)); then
  { echo; cat "$report"; } >>bench/RESULTS.md
  echo "==> appended to bench/RESULTS.md" >&2
fi
