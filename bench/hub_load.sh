# Bench 2 (sourced by scripts/bench.sh): N TLS devices sending QoS 1 telemetry through the local hub
# (`picohub hub start`: mosquitto + picohub plugin) vs the same load through plain mosquitto (no plugin),
# in the same run, with the same certificates, listeners and logging: the broker config is the hub's own
# mosquitto.conf with the plugin lines removed and anonymous access allowed.
# Uses from bench.sh: $build $bin $work $devices $messages $messages_set out ratio field free_port pids.

hub_load_bench() {
  local picohub=$build/apps/cli/picohub
  local plugin=$build/apps/hub-plugin/picohub_hub.so
  if [[ ! -x $picohub || ! -f $plugin ]]; then
    out ""
    out "### Bench 2: local hub load — skipped: picohub or the hub plugin did not build"
    return 0
  fi
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  out ""
  out "### Bench 2: local hub load (QoS 1 telemetry over TLS, window 1 per device, one load-generator process)"
  out ""
  out "File descriptors: ulimit -n $(ulimit -n). Per row: the hub (fresh data dir, devices created over its"
  out "control channel), then plain mosquitto with the same config minus the plugin. Broker CPU = utime+stime"
  out "of the mosquitto process over the send phase, from /proc/PID/stat (10 ms ticks)."
  out ""
  out "| devices | msgs/device | broker | connected | held | connect s | msg/s | broker CPU µs/msg | broker user/sys s | broker RSS MB | load-gen RSS MB |"
  out "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  local n
  local -A hub_cpu plain_cpu
  for n in $devices; do
    local m=$messages
    ((messages_set)) || m=$((5000 / n > 2 ? 5000 / n : 2))  # ~5000 messages per row by default
    local data=$work/hub-$n port line
    port=$(free_port)
    if ! PICOHUB_PLUGIN=$plugin "$picohub" hub start --data-dir "$data" --port "$port" >"$work/hub-$n.start.log" 2>&1; then
      out "| $n | $m | picohub hub | hub start failed: $(tail -n 1 "$work/hub-$n.start.log") | | | | | | | |"
      continue
    fi
    local pid host_name
    pid=$(cat "$data/mosquitto.pid")
    host_name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["hostName"])' "$data/hub.json")
    line=$(timeout 900 "$bin/load_generator" --port "$port" --ca "$data/ca.crt" --hub-host-name "$host_name" \
      --provision "$data/hub.json" --devices "$n" --messages "$m" --broker-pid "$pid" --timeout 800 \
      2>"$work/load-hub-$n.log") || true
    row "$n" "$m" "picohub hub" "$line" "$work/load-hub-$n.log"
    hub_cpu[$n]=$(field broker_cpu_us_per_msg "$line")
    "$picohub" hub stop --data-dir "$data" >/dev/null 2>&1 || true

    # Plain mosquitto: the hub's own config without the plugin, anonymous.
    grep -v -E '^(plugin|plugin_opt_|picohub_|allow_anonymous)' "$data/mosquitto.conf" >"$data/plain.conf"
    printf 'allow_anonymous true\nmax_connections -1\n' >>"$data/plain.conf"
    /usr/sbin/mosquitto -c "$data/plain.conf" 2>"$data/plain.log" &
    local plain_pid=$!
    pids+=("$plain_pid")
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    line=$(timeout 900 "$bin/load_generator" --port "$port" --ca "$data/ca.crt" --hub-host-name "$host_name" \
      --devices "$n" --messages "$m" --broker-pid "$plain_pid" --timeout 800 2>"$work/load-plain-$n.log") || true
    row "$n" "$m" "plain mosquitto" "$line" "$work/load-plain-$n.log"
    plain_cpu[$n]=$(field broker_cpu_us_per_msg "$line")
    kill "$plain_pid" 2>/dev/null || true
    wait "$plain_pid" 2>/dev/null || true
  done
  out ""
  out "Plugin overhead (hub broker CPU per message / plain mosquitto CPU per message; target ≤ 1.3):"
  out ""
  for n in $devices; do
    out "- $n devices: $(ratio "${hub_cpu[$n]:-0}" "${plain_cpu[$n]:-0}")× (hub ${hub_cpu[$n]:-?} µs, plain ${plain_cpu[$n]:-?} µs)"
  done
}

row() {  # devices msgs broker line logfile
  local line=$4
  if [[ -z $line ]]; then
    out "| $1 | $2 | $3 | failed: $(tail -n 1 "$5") | | | | | | | |"
    return
  fi
  out "| $1 | $2 | $3 | $(field connected "$line") | $(field held "$line") | $(field connect_s "$line") | $(field msgs_per_s "$line") | $(field broker_cpu_us_per_msg "$line") | $(field broker_user_s "$line")/$(field broker_sys_s "$line") | $(field broker_rss_mb "$line") | $(field client_rss_mb "$line") |"
  if [[ -s $5 ]]; then out "  (load generator: $(tail -n 1 "$5"))"; fi
}
