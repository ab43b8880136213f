#!/usr/bin/env bash
# Broker instructions per QoS 1 telemetry message: the hub (patched mosquitto + picohub_hub.so, durability on, the
# default journal) against plain mosquitto with the same generated mosquitto.conf minus the plugin lines (issue 9).
# Instruction counts do not depend on the machine's load, so this is the number to judge code changes by.
#   bench/hub_callgrind.sh [--devices 100] [--small 20] [--large 70] [--window 1] [--top 25]
#                          [--plugin PLUGIN.so] [--no-plain] [--plain-broker BIN] [--keep DIR]
# Each side runs twice under `valgrind --tool=callgrind` (all threads), with --small and with --large messages per
# device; (Ir(large) - Ir(small)) / (devices × (large - small)) cancels start-up, the TLS handshakes, provisioning
# and shutdown. Prints both numbers, their ratio, and the hub's per-function self cost per message (the same
# difference, per function, from callgrind_annotate). What still varies between runs: the hub's timers (the 100 ms
# batch commit, the tick) fire by wall time, so a few hundred instructions per message.
# --plain-broker runs the plain side on another binary (e.g. the hub's patched broker, to tell its own cost from the
# plugin's). --keep DIR keeps the callgrind files.
# Needs build/host/apps/cli/picohub, build/host/bench/load_generator and the plugin (cmake --build build/host
# --target picohub load_generator picohub_hub_plugin). PICOHUB_MOSQUITTO picks the hub's broker.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
picohub=$root/build/host/apps/cli/picohub
loadgen=$root/build/host/bench/load_generator
plugin=$root/build/host/apps/hub-plugin/picohub_hub.so
devices=100 small=20 large=70 window=1 top=25 plain=1 keep="" plain_broker=/usr/sbin/mosquitto
while (($#)); do
  case $1 in
    --devices) devices=$2; shift 2 ;;
    --small) small=$2; shift 2 ;;
    --large) large=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --top) top=$2; shift 2 ;;
    --plugin) plugin=$(realpath "$2"); shift 2 ;;
    --no-plain) plain=0; shift ;;
    --plain-broker) plain_broker=$(realpath "$2"); shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "usage: $0 [--devices N] [--small M] [--large M] [--window W] [--top N] [--plugin SO] [--no-plain]" \
         "[--plain-broker BIN] [--keep DIR]" >&2; exit 2 ;;
  esac
done
((large > small)) || { echo "$0: --large must exceed --small" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "$0: valgrind is needed" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
work=$(mktemp -d /tmp/picohub-hub-callgrind.XXXXXX)
broker_pid=""
cleanup() {
  [[ -n $broker_pid ]] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  if [[ -n $keep ]]; then mkdir -p "$keep" && cp "$work"/cg.* "$keep"/ 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

hub_broker=""  # what `picohub hub start` runs (PICOHUB_MOSQUITTO or the build's patched broker), read from /proc

# One callgrind run: side (hub|plain), messages per device → prints the file name of the profile.
profile() {
  local side=$1 messages=$2 data=$work/$1-$2 port conf prov=() out broker
  port=$(free_port)
  PICOHUB_PLUGIN=$plugin "$picohub" hub start --data-dir "$data" --port "$port" --service-port 0 --amqp-port 0 \
    >"$work/start.log" 2>&1 || { echo "hub start failed: $(tail -n 3 "$work/start.log")" >&2; exit 1; }
  [[ -n $hub_broker ]] || hub_broker=$(readlink "/proc/$(cat "$data/mosquitto.pid")/exe")
  "$picohub" hub stop --data-dir "$data" >/dev/null 2>&1
  conf=$data/mosquitto.conf broker=$hub_broker
  if [[ $side == plain ]]; then
    grep -v -E '^(plugin|plugin_opt_|picohub_|allow_anonymous)' "$data/mosquitto.conf" >"$data/plain.conf"
    printf 'allow_anonymous true\nmax_connections -1\n' >>"$data/plain.conf"
    conf=$data/plain.conf broker=$plain_broker
  else
    prov=(--provision "$data/hub.json")
  fi
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.$side.$messages" "$broker" -c "$conf" \
    >"$work/vg.$side.$messages.log" 2>&1 &
  broker_pid=$!
  for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  out=$("$loadgen" --port "$port" --ca "$data/ca.crt" --hub-host-name "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hostName"])' "$data/hub.json")" \
    "${prov[@]}" --devices "$devices" --messages "$messages" --window "$window" --concurrency 16 --timeout 900 \
    2>"$work/load.log") || { echo "load generator failed ($side, $messages): $(tail -n 3 "$work/load.log")" >&2; exit 1; }
  kill "$broker_pid"; wait "$broker_pid" 2>/dev/null || true
  broker_pid=""
  local acked
  acked=$(tr ' ' '\n' <<<"$(grep '^load ' <<<"$out")" | sed -n 's/^acked=//p')
  [[ $acked == $((devices * messages)) ]] ||
    { echo "$side with $messages messages/device: $acked of $((devices * messages)) acknowledged" >&2; exit 1; }
  rm -rf "$data"
}

total() { sed -n 's/^totals: *//p' "$1" | awk '{print $1}'; }

per_message() {  # side → instructions per message, in $result
  local side=$1
  profile "$side" "$small"
  profile "$side" "$large"
  result=$(python3 -c 'import sys; a, b, n = map(int, sys.argv[1:]); print(round((b - a) / n))' \
    "$(total "$work/cg.$side.$small")" "$(total "$work/cg.$side.$large")" $((devices * (large - small))))
}

echo "broker instructions per QoS 1 message: $devices devices, $large minus $small messages each, window $window"
per_message hub
hub=$result
echo "hub   ($hub_broker + $(basename "$plugin")): $hub"
if ((plain)); then
  per_message plain
  plain_ir=$result
  echo "plain ($plain_broker, same conf minus the plugin lines): $plain_ir"
  python3 -c 'import sys; print(f"ratio hub/plain: {int(sys.argv[1]) / int(sys.argv[2]):.2f}")' "$hub" "$plain_ir"
fi

# Per-function self cost per message: callgrind_annotate of both hub runs, subtracted per function.
echo "hub, self instructions per message by function (top $top):"
python3 - "$work/cg.hub.$small" "$work/cg.hub.$large" $((devices * (large - small))) "$top" <<'EOF'
import re, subprocess, sys
small, large, n, top = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
line = re.compile(r"^\s*([\d,]+)\s+\([^)]*\)\s+(.*)$")
def costs(path):
    out = subprocess.run(["callgrind_annotate", "--threshold=100", "--inclusive=no", "--auto=no", path],
                         capture_output=True, text=True, check=True).stdout
    table = {}
    for text in out.splitlines():
        m = line.match(text)
        if not m or m.group(2).startswith(("=>", "PROGRAM TOTALS", "file:function", "events annotated")):
            continue
        name = re.sub(r"\s*\[[^]]*\]$", "", m.group(2).strip())  # drop the object file
        name = name.split(":", 1)[-1].replace("(anonymous namespace)", "{anon}")  # drop the file
        name = re.sub(r"\(.*\)( const)?$", "()", name)  # and the argument list
        table[name] = table.get(name, 0) + int(m.group(1).replace(",", ""))
    return table
a, b = costs(small), costs(large)
diff = sorted(((b.get(k, 0) - a.get(k, 0)) / n, k) for k in set(a) | set(b))
for per, name in reversed(diff[-top:]):
    print(f"{per:10.0f}  {name}")
EOF
