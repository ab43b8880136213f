#!/usr/bin/env bash
# What picohub's mosquitto patch costs (docs/hub-acks.md): broker CPU per message of Debian's /usr/sbin/mosquitto
# vs .deps/mosquitto/sbin/mosquitto (2.0.11 + picohub-events.patch, scripts/mosquitto.sh) on the same load,
# the same config (bench/hub_load.sh's plain-mosquitto peer: the hub's mosquitto.conf without the plugin, the
# same logging, anonymous), interleaved
# ROUNDS times; prints every run and the medians. The load is bench 2's: N TLS devices, QoS 1 telemetry,
# window 1, one load_generator process; CPU = utime+stime of the broker over the send phase.
# Usage: bench/broker_patch_cost.sh LOAD_GENERATOR [ROUNDS=5] [DEVICES=100] [MESSAGES_PER_DEVICE=200]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
gen=$1 rounds=${2:-5} devices=${3:-100} messages=${4:-200}
patched=$root/.deps/mosquitto/sbin/mosquitto
[[ -x $patched ]] || { echo "no patched broker: run scripts/mosquitto.sh" >&2; exit 1; }
source "$root/tests/lib/testlib.sh"
work=$(mktemp -d /tmp/picohub-patch-cost.XXXXXX)
pid=""
trap '[[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
make_test_ca "$work"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

run_one() {  # run_one BINARY → prints broker_cpu_us_per_msg and msgs_per_s
  local binary=$1 port line
  port=$(free_port)
  cat > "$work/plain.conf" <<CONF
per_listener_settings false
allow_anonymous true
persistence false
message_size_limit 262144
max_packet_size 262144
max_keepalive 1177
max_queued_messages 1000
max_connections -1
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
log_timestamp_format %Y-%m-%dT%H:%M:%S
connection_messages true
listener $port 127.0.0.1
cafile $work/ca.crt
certfile $work/server.crt
keyfile $work/server.key
tls_version tlsv1.2
max_qos 1
CONF
  "$binary" -c "$work/plain.conf" 2>>"$work/broker.log" &
  pid=$!
  wait_port 127.0.0.1 "$port" 10
  line=$(timeout 300 "$gen" --port "$port" --ca "$work/ca.crt" --hub-host-name localhost --devices "$devices" \
    --messages "$messages" --broker-pid "$pid" --timeout 250 2>>"$work/gen.err") || true
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  local cpu rate  # the generator prints one line of key=value fields
  cpu=$(sed -n 's/.*broker_cpu_us_per_msg=\([0-9.]*\).*/\1/p' <<<"$line")
  rate=$(sed -n 's/.*msgs_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
  [[ -n $cpu ]] && echo "$cpu $rate" || echo "failed: $(tail -n 1 "$work/gen.err")"
}

declare -a deb pat
echo "round  debian_us/msg  debian_msg/s  patched_us/msg  patched_msg/s"
for r in $(seq 1 "$rounds"); do
  read -r d_cpu d_rate < <(run_one /usr/sbin/mosquitto)
  read -r p_cpu p_rate < <(run_one "$patched")
  deb+=("$d_cpu"); pat+=("$p_cpu")
  printf '%5d  %13s  %12s  %14s  %13s\n' "$r" "$d_cpu" "$d_rate" "$p_cpu" "$p_rate"
done
python3 - "${deb[*]}" "${pat[*]}" <<'PY'
import statistics, sys
d = [float(x) for x in sys.argv[1].split()]
p = [float(x) for x in sys.argv[2].split()]
md, mp = statistics.median(d), statistics.median(p)
print(f"median broker CPU per message: Debian {md:.1f} µs, patched {mp:.1f} µs, ratio {mp / md:.3f}")
PY
