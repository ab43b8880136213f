#!/usr/bin/env bash
# picohub benchmarks (./run bench). Each prints ratios against a named peer measured in the same run.
#   1. device client vs Eclipse Paho C: QoS 1 telemetry over TLS to a plain mosquitto on loopback
#   2. local hub load: N TLS devices sending QoS 1 telemetry through `picohub hub` vs plain mosquitto
#   3. firmware handshake: the UF2 in the virtual board against the Azure-shaped chain (bench/firmware_handshake.sh)
# Usage: scripts/bench.sh [--part 1|2|3|all] [--count N] [--window W] [--runs R] [--no-callgrind]
#                         [--devices "100 1000"] [--messages M per device (default 5000/devices, min 2)] [--record]
#                         [--sim-baseline PICOHUB_BINARY (bench 1: also time that build's `sim --interval 0`)]
# --record appends the report (command, date, machine, versions, numbers) to bench/RESULTS.md.
# Bench 1 builds Paho C with PAHO_HIGH_PERFORMANCE from Debian's source package first (scripts/paho-source.sh).
# Every run is bounded: each client has its own time limit and the brokers are killed on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

orig_args=""
for a in "$@"; do [[ $a == *" "* ]] && orig_args+=" \"$a\"" || orig_args+=" $a"; done
sim_baseline="" part=all count=5000 window=20 rounds=5 callgrind=1 devices="100 1000" messages=20 messages_set=0 record=0
while (($#)); do
  case "$1" in
    --part) part=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --runs|--rounds) rounds=$2; shift 2 ;;
    --no-callgrind) callgrind=0; shift ;;
    --devices) devices=$2; shift 2 ;;
    --messages) messages=$2; messages_set=1; shift 2 ;;
    --record) record=1; shift ;;
    --sim-baseline) sim_baseline=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option '$1' (see scripts/bench.sh --help)" >&2; exit 2 ;;
  esac
done
case "$part" in 1|2|3|all) ;; *) echo "bench: --part must be 1, 2, 3 or all" >&2; exit 2 ;; esac
# Part 3 builds and reports on its own (board + host presets, its own RESULTS.md section).
if [[ $part == 3 ]]; then
  args=(); ((record)) && args+=(--record)
  exec "$root/bench/firmware_handshake.sh" "${args[@]}"
fi

build=build/bench
bin=$build/bench
report=$(mktemp)
work=$(mktemp -d /tmp/picohub-bench.XXXXXX)
chmod 0711 "$work"  # the broker (user mosquitto when started as root) must reach its files
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ -f "$work/hub/mosquitto.pid" ]]; then "$build/apps/cli/picohub" hub stop --data-dir "$work/hub" >/dev/null 2>&1 || true; fi
  rm -rf "$work" "$report"
}
trap cleanup EXIT
out() { printf '%s\n' "$*" | tee -a "$report"; }

# -O2 -g (RelWithDebInfo): with -O3 (Release) g++ 12 raises a false -Werror=restrict in src/net/posix_tcp.cpp.
echo "==> building the benchmarks in $build"
targets=(device_publisher iothub_publisher paho_publisher picohub)
# The fair peer: Paho C built with PAHO_HIGH_PERFORMANCE (.deps/paho); exit 3 = source not obtainable here.
paho_version=$(dpkg-query -W -f='${Version}' libpaho-mqtt-dev 2>/dev/null || echo "?") paho_hp_version=""
paho_hp_note="Peers: Paho C stock Debian build $paho_version (tracing and heap tracking compiled in; once as is, once with the trace level set to error at run time)."
if [[ $part == 1 || $part == all ]]; then
  paho_rc=0
  scripts/paho-source.sh || paho_rc=$?
  if ((paho_rc == 0)); then
    paho_hp_version=$(basename "$(ls .deps/paho/.built-* | head -n1)" | sed 's/^.built-//')
    targets+=(paho_hp_publisher)
    paho_hp_note+=" And Paho C $paho_hp_version built from Debian's source package with PAHO_HIGH_PERFORMANCE (scripts/paho-source.sh)."
  elif ((paho_rc == 3)); then
    paho_hp_note+=" **No PAHO_HIGH_PERFORMANCE row**: Debian's paho.mqtt.c source package could not be fetched here (scripts/paho-source.sh; PAHO_SOURCE_DIR=<tree> builds it from an unpacked source)."
  else
    echo "bench: scripts/paho-source.sh failed" >&2; exit 1
  fi
fi
cmake --preset host -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
[[ $part != 1 ]] && targets+=(load_generator picohub_hub_plugin)
cmake --build "$build" --target "${targets[@]}" -j"$(nproc)" >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A throwaway CA and a server certificate for localhost / 127.0.0.1 / ::1 (EC P-256), made for this run only.
make_certs() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=picohub bench CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/ext.cnf" -out "$d/server.crt" 2>/dev/null
  # As root, mosquitto drops to user mosquitto: let that group read the throwaway key.
  if [[ $(id -u) -eq 0 ]] && getent group mosquitto >/dev/null; then
    chgrp mosquitto "$d" "$d/server.key"; chmod 0750 "$d"; chmod 0640 "$d/server.key"
  fi
}

# Plain mosquitto (no plugin), TLS listener on 127.0.0.1 and ::1, anonymous. Sets broker_pid and broker_port.
start_plain_mosquitto() {
  local d=$1
  broker_port=$(free_port)
  {
    echo "per_listener_settings false"
    echo "allow_anonymous true"
    echo "persistence false"
    echo "max_connections -1"
    echo "max_queued_messages 1000"
    echo "log_dest stderr"
    echo "log_type error"
    echo "log_type warning"
    for addr in 127.0.0.1 ::1; do
      echo "listener $broker_port $addr"
      echo "cafile $d/ca.crt"
      echo "certfile $d/server.crt"
      echo "keyfile $d/server.key"
    done
  } >"$d/mosquitto.conf"
  /usr/sbin/mosquitto -c "$d/mosquitto.conf" 2>"$d/mosquitto.log" &
  broker_pid=$!
  pids+=("$broker_pid")
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$broker_port") 2>/dev/null; then return 0; fi
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench: mosquitto did not start on port $broker_port; its log says:" >&2
  cat "$d/mosquitto.log" >&2
  exit 1
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# Client instructions per message: callgrind totals for the whole process at 2N vs N; the difference removes
# start-up, the TLS handshake and teardown.
instr_per_msg() {  # prog window n [extra client arguments]
  local prog=$1 w=$2 n=$3 a b
  shift 3
  for k in "$n" $((2 * n)); do
    timeout 600 valgrind --tool=callgrind --callgrind-out-file="$work/cg.$prog.$w.$k" \
      "$bin/$prog" --host localhost --port "$broker_port" --ca "$work/pki/ca.crt" --count "$k" --window "$w" "$@" \
      >/dev/null 2>"$work/cg.$prog.$w.$k.log" || { echo "bench: callgrind run of $prog failed:" >&2; cat "$work/cg.$prog.$w.$k.log" >&2; exit 1; }
  done
  a=$(sed -n 's/^totals: *//p' "$work/cg.$prog.$w.$n")
  b=$(sed -n 's/^totals: *//p' "$work/cg.$prog.$w.$((2 * n))")
  echo $(((b - a) / n))
}

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}' if b else 'n/a')" "$1" "$2"; }

machine_header() {
  out "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  out "- command: \`./run bench$1\`"
  out "- machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr)"
  out "- versions: picohub $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench 2>/dev/null || echo '+local changes'), g++ $(g++ -dumpfullversion), mbedTLS $(sed -n 's/.*MBEDTLS_VERSION_STRING *"\(.*\)".*/\1/p' .deps/mbedtls/host/include/mbedtls/build_info.h), mosquitto $(/usr/sbin/mosquitto -h 2>&1 | sed -n 's/^mosquitto version //p'), Paho C $(dpkg-query -W -f='${Version}' libpaho-mqtt-dev), OpenSSL $(openssl version | awk '{print $2}')"
}

# Bench 1's rows: label|program|extra arguments. The Paho high-performance row needs scripts/paho-source.sh.
client_rows() {
  echo "picohub full IoT Hub client (sim's path)|iothub_publisher|"
  echo "picohub raw MQTT session|device_publisher|"
  [[ -n $paho_hp_version ]] && echo "Paho C $paho_hp_version PAHO_HIGH_PERFORMANCE|paho_hp_publisher|"
  echo "Paho C $paho_version stock Debian, trace level error|paho_publisher|--trace-level error"
  echo "Paho C $paho_version stock Debian (default)|paho_publisher|"
}

run_client() {  # prog window count extra...
  local prog=$1 w=$2 n=$3
  shift 3
  timeout 150 "$bin/$prog" --host localhost --port "$broker_port" --ca "$work/pki/ca.crt" --count "$n" --window "$w" "$@"
}

# "min median max" of the numbers on stdin.
min_median_max() { python3 -c 'import sys, statistics as s; v = sorted(float(x) for x in sys.stdin.read().split()); print(f"{v[0]:.0f} {s.median(v):.0f} {v[-1]:.0f}")'; }

bench_device_client() {
  make_certs "$work/pki"
  start_plain_mosquitto "$work/pki"
  out ""
  out "### Bench 1: device client vs Eclipse Paho C (QoS 1 telemetry over TLS, plain mosquitto on loopback)"
  out ""
  local ours_line
  ours_line=$(run_client device_publisher 1 1)
  out "TLS negotiated by ours: $(field tls "$ours_line") $(field cipher "$ours_line"); Paho uses OpenSSL with its defaults against the same listener."
  out "$paho_hp_note"
  out "N=$count messages per run; msg/s = min / **median** / max of $rounds interleaved runs (each run starts every client once,"
  out "the order reversed on every other run), wall clock from the first PUBLISH to the last PUBACK."
  local -a labels progs extras
  local line
  while IFS='|' read -r l p e; do labels+=("$l"); progs+=("$p"); extras+=("$e"); done < <(client_rows)
  local w i r k
  for w in 1 "$window"; do
    out ""
    out "Window $w:"
    out ""
    out "| client | msg/s min / median / max | instr/msg | full client msg/s ÷ this (median) | this instr ÷ full client instr |"
    out "|---|---:|---:|---:|---:|"
    local -a rates=() instr=() summary=()
    for i in "${!progs[@]}"; do rates[i]=""; done
    for r in $(seq "$rounds"); do
      local order=("${!progs[@]}")
      if ((r % 2 == 0)); then order=(); for ((k = ${#progs[@]} - 1; k >= 0; k--)); do order+=("$k"); done; fi
      for i in "${order[@]}"; do
        # shellcheck disable=SC2086  # extras are words on purpose
        line=$(run_client "${progs[i]}" "$w" "$count" ${extras[i]}) || { echo "bench: ${progs[i]} failed" >&2; exit 1; }
        rates[i]+=" $(field msgs_per_s "$line")"
      done
    done
    for i in "${!progs[@]}"; do
      summary[i]=$(min_median_max <<<"${rates[i]}")
      instr[i]="-"
      # shellcheck disable=SC2086
      ((callgrind)) && instr[i]=$(instr_per_msg "${progs[i]}" "$w" 1000 ${extras[i]})
    done
    local ref_rate ref_instr
    ref_rate=$(awk '{print $2}' <<<"${summary[0]}")
    ref_instr=${instr[0]}
    for i in "${!progs[@]}"; do
      local s=(${summary[i]}) ir="-"
      [[ ${instr[i]} != - ]] && ir=$(ratio "${instr[i]}" "$ref_instr")
      out "| ${labels[i]} | ${s[0]} / **${s[1]}** / ${s[2]} | ${instr[i]} | $(ratio "$ref_rate" "${s[1]}") | $ir |"
    done
  done
  out ""
  out "instr/msg = callgrind instructions of the whole client process (all threads) at N=2000 minus N=1000, divided by 1000"
  out "(one callgrind run per N: instruction counts repeat within ~1% between runs)."
  bench_sim_throughput
  kill "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
}

# `picohub sim --interval 0` (throughput mode) against the same broker: msg/s = N / (time of a 2N run - time of
# an N run), so process start, the TLS handshake and teardown cancel out. Needs the broker of bench 1.
sim_seconds() {  # binary count
  local start end
  start=$(date +%s.%N)
  timeout 300 "$1" sim -c "HostName=localhost:$broker_port;DeviceId=simbench;SharedAccessKey=YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktYmVuY2g=" \
    --ca "$work/pki/ca.crt" --count "$2" --interval 0 --retries 0 >/dev/null || { echo "bench: $1 sim failed" >&2; exit 1; }
  end=$(date +%s.%N)
  python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$end"
}

bench_sim_throughput() {
  # At least 5,000 messages: smaller runs end within the noise of process start-up.
  local -a labels=("this tree") bins=("$build/apps/cli/picohub") n=($((count > 5000 ? count : 5000)))
  # A baseline that sleeps when its window is full needs fewer messages to be measured in bounded time.
  [[ -n $sim_baseline ]] && labels+=("baseline $sim_baseline") bins+=("$sim_baseline") n+=(500)
  local -a rates=()
  local r i t1 t2
  for r in $(seq "$rounds"); do
    for i in "${!bins[@]}"; do
      t1=$(sim_seconds "${bins[i]}" "${n[i]}")
      t2=$(sim_seconds "${bins[i]}" $((2 * n[i])))
      # A 2N run that was not slower than the N run (background load) gives no sample.
      rates[i]+=" $(python3 -c "import sys; d = float(sys.argv[3]) - float(sys.argv[2]); print(int(sys.argv[1]) / d if d > 0.01 else '')" "${n[i]}" "$t1" "$t2")"
    done
  done
  out ""
  out "\`picohub sim --interval 0\` (QoS 1, its window 16, console lines to /dev/null), same broker; msg/s = N / (wall time of"
  out "a 2N run - wall time of an N run), min / **median** / max of $rounds interleaved runs:"
  out ""
  out "| picohub sim | N | msg/s min / median / max |"
  out "|---|---:|---:|"
  for i in "${!bins[@]}"; do
    if [[ -z ${rates[i]// /} ]]; then out "| ${labels[i]} | ${n[i]} | n/a (every 2N run was as fast as its N run) |"; continue; fi
    local s=($(min_median_max <<<"${rates[i]}"))
    out "| ${labels[i]} | ${n[i]} | ${s[0]} / **${s[1]}** / ${s[2]} ($(wc -w <<<"${rates[i]}") samples) |"
  done
}

bench_hub_load() {
  if [[ ! -x $bin/load_generator ]]; then
    out ""
    out "### Bench 2: local hub load — skipped: load_generator was not built"
    return 0
  fi
  source "$root/bench/hub_load.sh"
  hub_load_bench
}

out "## Run of $(date -u '+%Y-%m-%d %H:%M UTC')"
out ""
machine_header "$orig_args"
[[ $part == 1 || $part == all ]] && bench_device_client
[[ $part == 2 || $part == all ]] && bench_hub_load

if ((record)); then
  { echo; cat "$report"; } >>bench/RESULTS.md
  echo "==> appended to bench/RESULTS.md"
fi
if [[ $part == all ]]; then
  args=(); ((record)) && args+=(--record)
  "$root/bench/firmware_handshake.sh" "${args[@]}"
fi
