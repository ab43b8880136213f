# Shared steps of the firmware end-to-end tests that run the real UF2 in the virtual board against a local hub
# (sourced after tests/lib/testlib.sh). The caller sets picohub, node, firmware and here; this file sets vboard,
# work and PICOHUB_DATA, and stops the hub and removes the work dir on exit.
vboard="$here/../../tools/vboard"
# ./run test sets PICOHUB_REQUIRE_BOARD=1: there a missing firmware or rp2040js is a failure, not a skip.
skip_code=77; [[ ${PICOHUB_REQUIRE_BOARD:-0} == 1 ]] && skip_code=1
[[ -f "$firmware" ]] || { echo "SKIP: no board firmware at $firmware yet: run ./run build board"; exit "$skip_code"; }
[[ -d "$vboard/node_modules/rp2040js" ]] || { echo "SKIP: rp2040js is not installed: run scripts/vboard-setup.sh"; exit "$skip_code"; }
[[ -x "$picohub" ]] || { echo "SKIP: no picohub CLI at $picohub"; exit "$skip_code"; }

work=$(mktemp -d /tmp/picohub-vboard.XXXXXX)
chmod 0755 "$work"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$work/hub
hub_port=
board_pid=  # a board run in the background, if the test started one (stopped on exit)
cleanup_board_hub() {
  [[ -n "$board_pid" ]] && kill "$board_pid" 2>/dev/null || true
  "$picohub" hub stop >/dev/null 2>&1 || true
  [[ -n "${KEEP:-}" ]] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup_board_hub EXIT

# Starts the local hub on a free loopback port.
start_hub() {
  hub_port=$(free_port)
  "$picohub" hub start --port "$hub_port" > "$work/start.txt" 2>&1 || { cat "$work/start.txt"; fail "hub start"; }
}

# Creates DEVICE and prints its connection string, with the gateway name the virtual LAN maps to the hub.
device_connection_string() {
  "$picohub" device create "$1" >/dev/null || fail "device create $1"
  local cs
  cs=$("$picohub" device connection-string "$1" 2>/dev/null | head -n 1)
  [[ "$cs" == HostName=*";DeviceId=$1;SharedAccessKey="* ]] || fail "unexpected connection string: $cs"
  echo "$cs;GatewayHostName=localhost:8883"
}

# board_uf2 CONNECTION_STRING OUT.uf2 [picohub board uf2 options...]: provisions the firmware, trusting the hub's CA.
board_uf2() {
  local cs=$1 out=$2
  shift 2
  "$picohub" board uf2 --connection-string "$cs" --ca "$PICOHUB_DATA/ca.crt" --firmware "$firmware" -o "$out" "$@" \
    > "$work/uf2.txt" 2>&1 || { cat "$work/uf2.txt"; fail "board uf2"; }
}

# board_dps_uf2 REGISTRATION_ID OUT.uf2 --dps-key KEY|--dps-group-key KEY [options...]: a UF2 that registers with
# the local hub's DPS (localhost:8883 on the virtual LAN), trusting the hub's CA.
board_dps_uf2() {
  local registration=$1 out=$2
  shift 2
  "$picohub" board uf2 --dps-scope "$("$picohub" dps id-scope 2>/dev/null)" --dps-registration-id "$registration" \
    --dps-host localhost --dps-port 8883 --ca "$PICOHUB_DATA/ca.crt" --firmware "$firmware" -o "$out" "$@" \
    > "$work/uf2.txt" 2>&1 || { cat "$work/uf2.txt"; fail "board uf2 --dps-* ($registration)"; }
}

# run_board UF2 [run.mjs options...]: the virtual board on the LAN that bridges localhost:8883 to the hub. The
# console goes to $work/console.txt, the board's notes to $work/vboard.txt; returns run.mjs's exit code.
run_board() {
  local uf2=$1
  shift
  "$node" "$vboard/run.mjs" --uf2 "$uf2" --host localhost=192.0.2.20 --bridge "192.0.2.20:8883=127.0.0.1:$hub_port" \
    --fail-on-watchdog --forbid '/hardfault|panic/i' "$@" > "$work/console.txt" 2> "$work/vboard.txt"
}

# Prints the run's console and notes (for a failure or the log).
show_run() {
  cat "$work/console.txt"
  grep -v 'rp2040js:' "$work/vboard.txt" >&2 || true
}

# CONNECTs of DEVICE the hub saw (mosquitto's log).
hub_connects() {
  grep -c "New client connected .* as $1 " "$PICOHUB_DATA/mosquitto.log" || true
}

# The messageIds `picohub monitor` recorded for DEVICE since unix time SINCE, one a line in the hub's order.
recorded_message_ids() {
  "$picohub" monitor --device "$1" --since "$2" --timeout 3 > "$work/monitor.txt" 2>&1 || true
  grep -o '"messageId": [0-9]*' "$work/monitor.txt" | awk '{ print $2 }'
}

# The messageIds the board printed as "Sending message N" (console with or without --timestamps).
sent_message_ids() {
  sed -E 's/^\[ *[0-9.]+ s\] //' "$work/console.txt" | awk '/^Sending message [0-9]+:/ { sub(":", "", $3); print $3 }'
}

# check_sent_vs_recorded SENT RECORDED ACKED: the hub recorded messageIds 1..R, each once and in order, where
# ACKED <= R <= sent; only messages still in flight when the run stopped (sent, not yet acknowledged) may be
# missing, and at most one of them.
check_sent_vs_recorded() {
  local sent=$1 recorded=$2 acked=$3
  local s r dups order
  s=$(wc -l < "$sent")
  r=$(wc -l < "$recorded")
  dups=$(sort -n "$recorded" | uniq -d | tr '\n' ' ')
  [[ -z "$dups" ]] || fail "recorded more than once: messageIds $dups"
  order=$(awk '$1 != NR { print "messageId " $1 " recorded in place " NR; exit }' "$recorded")
  [[ -z "$order" ]] || fail "not 1..N in order: $order (recorded: $(tr '\n' ' ' < "$recorded"))"
  [[ $(awk '$1 != NR { bad = 1 } END { print bad + 0 }' "$sent") -eq 0 ]] || fail "the board's messageIds are not 1..N"
  [[ $r -ge $acked ]] || fail "the board saw $acked PUBACKs but the hub recorded $r messages: some were lost"
  [[ $r -le $s && $r -ge $((s - 1)) ]] || fail "sent $s, recorded $r: more than the last message is missing"
}
