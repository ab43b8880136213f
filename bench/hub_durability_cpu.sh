#!/usr/bin/env bash
# Broker CPU per QoS 1 telemetry message for several builds of the hub plugin, interleaved (A B C A B C ...) so
# machine noise hits every build alike; prints each run and the median per build (docs/hub-durability.md).
#   bench/hub_durability_cpu.sh [--runs 5] [--devices 20] [--messages 500] [--window 8] NAME=PLUGIN.so[@fsync] ...
# "@fsync" starts that build's hub with `hub start --fsync` (an fdatasync per acknowledged message).
# Needs build/host/apps/cli/picohub and build/host/bench/load_generator (cmake --build build/host --target
# picohub load_generator). Each run: fresh data dir, `picohub hub start`, devices created over the control
# channel, the load, `hub stop`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
picohub=$root/build/host/apps/cli/picohub
loadgen=$root/build/host/bench/load_generator
runs=5 devices=20 messages=500 window=8
builds=()
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    *=*) builds+=("$1"); shift ;;
    *) echo "usage: $0 [--runs N] [--devices N] [--messages M] [--window W] NAME=PLUGIN.so ..." >&2; exit 2 ;;
  esac
done
((${#builds[@]})) || { echo "$0: name at least one NAME=PLUGIN.so" >&2; exit 2; }
work=$(mktemp -d /tmp/picohub-durability-bench.XXXXXX)
cleanup() {
  for d in "$work"/*/; do [[ -f $d/hub.json ]] && "$picohub" hub stop --data-dir "$d" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

declare -A samples
for ((r = 1; r <= runs; r++)); do
  for b in "${builds[@]}"; do
    name=${b%%=*} plugin=${b#*=} data=$work/$name-$r port=$(free_port) extra=()
    if [[ $plugin == *@fsync ]]; then plugin=${plugin%@fsync} extra=(--fsync); fi
    PICOHUB_PLUGIN=$plugin "$picohub" hub start --data-dir "$data" --port "$port" "${extra[@]}" >"$work/start.log" 2>&1 ||
      { echo "hub start failed for $name: $(tail -n 2 "$work/start.log")" >&2; exit 1; }
    host=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hostName"])' "$data/hub.json")
    line=$("$loadgen" --port "$port" --ca "$data/ca.crt" --hub-host-name "$host" --provision "$data/hub.json" \
      --devices "$devices" --messages "$messages" --window "$window" --broker-pid "$(cat "$data/mosquitto.pid")" \
      --timeout 120 2>"$work/load.log") || true
    "$picohub" hub stop --data-dir "$data" >/dev/null 2>&1 || true
    cpu=$(field broker_cpu_us_per_msg "$line")
    echo "run $r $name: broker_cpu_us_per_msg=${cpu:-failed} msgs_per_s=$(field msgs_per_s "$line")"
    samples[$name]+="${cpu:-nan} "
    rm -rf "$data"
  done
done
for b in "${builds[@]}"; do
  name=${b%%=*}
  echo "median $name: $(tr ' ' '\n' <<<"${samples[$name]}" | grep -v '^$' | sort -g |
    awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}') µs/msg over $runs runs"
done
