#!/usr/bin/env bash
# Broker CPU per QoS 1 telemetry message for several builds of the hub plugin, interleaved (A B C, then C B A, ...)
# so machine noise hits every build alike; prints each run and the median (min-max) per build
# (docs/hub-durability.md, issue 9).
#   bench/hub_durability_cpu.sh [--runs 5] [--devices 20] [--messages 500] [--window 8] [--interval-ms I]
#                               NAME=PLUGIN.so[@fsync] ... [NAME=plain]
# "@fsync" starts that build's hub with `hub start --fsync`. "plain" runs plain mosquitto (/usr/sbin/mosquitto)
# with the hub's generated mosquitto.conf minus the plugin lines, anonymous, as bench 2 does. --interval-ms I is
# the load generator's latency mode (window 1, a message per device every I ms): each run also prints the
# publish → PUBACK p50/p99/max, and the medians are printed per build. PICOHUB_MOSQUITTO picks the hub's broker.
# Needs build/host/apps/cli/picohub and build/host/bench/load_generator (cmake --build build/host --target
# picohub load_generator). Each run: fresh data dir, `picohub hub start`, devices created over the control
# channel, the load, `hub stop`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
picohub=$root/build/host/apps/cli/picohub
loadgen=$root/build/host/bench/load_generator
runs=5 devices=20 messages=500 window=8 interval=0
builds=()
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --interval-ms) interval=$2; shift 2 ;;
    *=*) builds+=("$1"); shift ;;
    *) echo "usage: $0 [--runs N] [--devices N] [--messages M] [--window W] NAME=PLUGIN.so ..." >&2; exit 2 ;;
  esac
done
((${#builds[@]})) || { echo "$0: name at least one NAME=PLUGIN.so" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true  # 10,000 devices need more than the default 1024
work=$(mktemp -d /tmp/picohub-durability-bench.XXXXXX)
cleanup() {
  for d in "$work"/*/; do [[ -f $d/hub.json ]] && "$picohub" hub stop --data-dir "$d" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g |
  awk '{v[NR]=$1} END {printf "%s (%s-%s)", (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2), v[1], v[NR]}'; }
declare -A samples p50s p99s maxs
for ((r = 1; r <= runs; r++)); do
  order=("${builds[@]}")
  if ((r % 2 == 0)); then  # reversed on even runs: neither side always goes first
    order=(); for ((i = ${#builds[@]} - 1; i >= 0; i--)); do order+=("${builds[$i]}"); done
  fi
  for b in "${order[@]}"; do
    name=${b%%=*} plugin=${b#*=} data=$work/$name-$r port=$(free_port) extra=() prov=()
    if [[ $plugin == *@fsync ]]; then plugin=${plugin%@fsync} extra=(--fsync); fi
    [[ $plugin == plain ]] && plugin=$root/build/host/apps/hub-plugin/picohub_hub.so
    PICOHUB_PLUGIN=$plugin "$picohub" hub start --data-dir "$data" --port "$port" "${extra[@]}" >"$work/start.log" 2>&1 ||
      { echo "hub start failed for $name: $(tail -n 2 "$work/start.log")" >&2; exit 1; }
    host=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hostName"])' "$data/hub.json")
    pid=$(cat "$data/mosquitto.pid")
    if [[ ${b#*=} == plain ]]; then
      "$picohub" hub stop --data-dir "$data" >/dev/null 2>&1 || true
      grep -v -E '^(plugin|plugin_opt_|picohub_|allow_anonymous)' "$data/mosquitto.conf" >"$data/plain.conf"
      printf 'allow_anonymous true\nmax_connections -1\n' >>"$data/plain.conf"
      /usr/sbin/mosquitto -c "$data/plain.conf" 2>"$data/plain.log" &
      pid=$!
      for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    else
      prov=(--provision "$data/hub.json")
    fi
    out=$("$loadgen" --port "$port" --ca "$data/ca.crt" --hub-host-name "$host" "${prov[@]}" \
      --devices "$devices" --messages "$messages" --window "$window" --interval-ms "$interval" --broker-pid "$pid" \
      --timeout 600 2>"$work/load.log") || true
    line=$(grep '^load ' <<<"$out" || true) lat=$(grep '^latency ' <<<"$out" || true)
    if [[ ${b#*=} == plain ]]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    else "$picohub" hub stop --data-dir "$data" >/dev/null 2>&1 || true; fi
    cpu=$(field broker_cpu_us_per_msg "$line")
    echo "run $r $name: broker_cpu_us_per_msg=${cpu:-failed} broker_user_s=$(field broker_user_s "$line")" \
      "broker_sys_s=$(field broker_sys_s "$line") msgs_per_s=$(field msgs_per_s "$line") acked=$(field acked "$line")" \
      "${lat#latency }"
    samples[$name]+="${cpu:-nan} "
    if [[ -n $lat ]]; then
      p50s[$name]+="$(field lat_p50_us "$lat") " p99s[$name]+="$(field lat_p99_us "$lat") "
      maxs[$name]+="$(field lat_max_us "$lat") "
    fi
    rm -rf "$data"
  done
done
for b in "${builds[@]}"; do
  name=${b%%=*}
  echo "median $name: $(median "${samples[$name]}") µs/msg over $runs runs"
  if [[ -n ${p99s[$name]:-} ]]; then
    echo "latency $name (median (min-max) over $runs runs, µs): p50 $(median "${p50s[$name]}")" \
      "p99 $(median "${p99s[$name]}") max $(median "${maxs[$name]}")"
  fi
done
