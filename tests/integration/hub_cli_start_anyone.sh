#!/usr/bin/env bash
# `picohub hub start` works for every user with the default data dir, and stop/status never act on a process
# that merely has the pid in a stale pid file (issue 8, section 1).
# Usage: hub_cli_start_anyone.sh /path/to/picohub   (PICOHUB_PLUGIN may point at picohub_hub.so)
# Bounded: every command has a timeout; hubs run on free loopback ports in temp dirs and are stopped on exit.
set -uo pipefail
bin=$1
source "$(dirname "$0")/../lib/testlib.sh"  # user_can_read
set +e  # testlib turns -e on; this script counts failed checks itself
passed=0 failed=0
work=$(mktemp -d /tmp/picohub-start-XXXXXX)
chmod 755 "$work"
hubs=()      # data dirs to stop on exit
sleeper=0    # the bystander process the stale pid file names
cleanup() {
  for d in "${hubs[@]}"; do timeout 20 "$bin" hub stop --data-dir "$d" >/dev/null 2>&1; done
  [[ $sleeper -gt 0 ]] && kill "$sleeper" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

check() {  # check NAME COMMAND...: the command must succeed
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}
run() { out=$(timeout 60 "$@" 2>&1); code=$?; }  # combined output in $out, exit status in $code
says() { [[ "$out" == *"$1"* ]]; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
alive() { kill -0 "$1" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }  # a zombie is dead
as_root=$([[ $(id -u) -eq 0 ]] && echo 1 || echo 0)

# --- 1. the default data dir under a 0700 home (as root: the case of /root in containers and CI) -----------------
home="$work/home-$(id -un)"
mkdir -m 700 "$home"
default_dir="$home/.local/share/picohub"
hubs+=("$default_dir")
port=$(free_port)
run env -u PICOHUB_DATA HOME="$home" "$bin" hub start --port "$port"
check "default data dir under a 0700 home: hub start succeeds" test "$code" -eq 0 || echo "$out"
run env -u PICOHUB_DATA HOME="$home" "$bin" device create d1
check "default data dir under a 0700 home: the hub serves (device create)" test "$code" -eq 0 || echo "$out"
if [[ $as_root -eq 1 ]]; then
  check "as root, mosquitto cannot enter the home: the broker stays root" grep -qx 'user root' "$default_dir/mosquitto.conf"
  run env -u PICOHUB_DATA HOME="$home" "$bin" hub stop
  run env -u PICOHUB_DATA HOME="$home" "$bin" hub start
  check "as root: start says why the broker runs as root and what to do" \
    bash -c "[[ $code -eq 0 && '$out' == *'runs as root: user mosquitto cannot reach the data dir'* && '$out' == *'--data-dir /var/lib/picohub'* ]]"
  for f in hub.json server.key; do
    check "as root with a root broker: $f is 0600 root" test "$(stat -c '%a %U' "$default_dir/$f")" = "600 root"
  done
  check "as root with a root broker: data dir 0700" test "$(stat -c %a "$default_dir")" = "700"
  # The same data dir once mosquitto can reach it: the broker drops to mosquitto again and gets the database.
  chmod 755 "$home"
  run env -u PICOHUB_DATA HOME="$home" "$bin" hub stop
  run env -u PICOHUB_DATA HOME="$home" "$bin" hub start
  if [[ -n ${PICOHUB_PLUGIN:-} ]] && ! user_can_read mosquitto "$PICOHUB_PLUGIN"; then
    check "as root, home opened up but the plugin out of mosquitto's reach: the broker stays root" \
      grep -qx 'user root' "$default_dir/mosquitto.conf"
  else
    check "as root, home opened up: the broker drops to mosquitto" grep -qx 'user mosquitto' "$default_dir/mosquitto.conf"
  fi
  run env -u PICOHUB_DATA HOME="$home" "$bin" device create d2
  check "as root, home opened up: the database written by the root broker still works" test "$code" -eq 0 || echo "$out"
  run env -u PICOHUB_DATA HOME="$home" "$bin" device list --json
  check "as root, home opened up: devices kept" bash -c "[[ '$out' == *d1* && '$out' == *d2* ]]"
fi
run env -u PICOHUB_DATA HOME="$home" "$bin" hub stop
check "default data dir: hub stop" bash -c "[[ $code -eq 0 && '$out' == *'hub stopped'* ]]"

# As a normal user: a 0700 home of their own, and a data dir they cannot create.
if [[ $as_root -eq 1 ]] && id nobody >/dev/null 2>&1 && ! user_can_read nobody "$bin" "$work" ${PICOHUB_PLUGIN:+"$PICOHUB_PLUGIN"}; then
  echo "skip as a normal user: nobody cannot reach $bin or $work (the tree is under a private directory)"
elif [[ $as_root -eq 1 ]] && id nobody >/dev/null 2>&1; then
  user_home="$work/home-nobody"
  mkdir -m 700 "$user_home" && chown nobody "$user_home"
  hubs+=("$user_home/.local/share/picohub")
  uport=$(free_port)
  as_nobody() { run runuser -u nobody -- env -u PICOHUB_DATA PICOHUB_PLUGIN="${PICOHUB_PLUGIN:-}" HOME="$user_home" "$bin" "$@"; }
  as_nobody hub start --port "$uport"
  check "as a normal user, 0700 home: hub start succeeds" test "$code" -eq 0 || echo "$out"
  check "as a normal user: no user switch" bash -c "! grep -q '^user ' '$user_home/.local/share/picohub/mosquitto.conf'"
  as_nobody device create n1
  check "as a normal user: the hub serves" test "$code" -eq 0 || echo "$out"
  as_nobody hub stop
  check "as a normal user: hub stop" test "$code" -eq 0
  locked="$work/locked"
  mkdir -m 755 "$locked"
  run runuser -u nobody -- env PICOHUB_PLUGIN="${PICOHUB_PLUGIN:-}" "$bin" hub start --data-dir "$locked/hub"
  check "as a normal user, unwritable parent: says what and what to do" \
    bash -c "[[ $code -eq 1 && '$out' == *'cannot create the data dir $locked/hub'* && '$out' == *'--data-dir DIR or PICOHUB_DATA'* ]]"
fi

# --- 2. a stale pid file naming another process -----------------------------------------------------------------
a="$work/a" stale="$work/stale"
hubs+=("$a")
aport=$(free_port)
run "$bin" hub start --data-dir "$a" --port "$aport"
check "hub a starts" test "$code" -eq 0 || echo "$out"
apid=$(cat "$a/mosquitto.pid")
mkdir -p "$stale"
run "$bin" hub start --data-dir "$stale" --port "$(free_port)"   # a configured hub, then stopped
run "$bin" hub stop --data-dir "$stale"
sleep 300 &
sleeper=$!
for victim in "$sleeper" "$apid"; do
  what=$([[ $victim == "$sleeper" ]] && echo "a sleep" || echo "another hub's broker")
  echo "$victim" > "$stale/mosquitto.pid"
  run "$bin" hub status --data-dir "$stale"
  check "stale pid file naming $what: status says not running" bash -c "[[ $code -eq 1 && '$out' == *'not running'* ]]"
  run "$bin" hub start --data-dir "$stale"
  check "stale pid file naming $what: start does not think it is running" \
    bash -c "[[ '$out' != *'already running'* ]]"
  [[ "$out" == *'local IoT hub running'* ]] && run "$bin" hub stop --data-dir "$stale"  # it really started: stop it
  echo "$victim" > "$stale/mosquitto.pid"
  run "$bin" hub stop --data-dir "$stale"
  check "stale pid file naming $what: stop has nothing to stop" bash -c "[[ $code -eq 0 && '$out' == *'nothing to stop'* ]]"
  check "stale pid file naming $what: that process is untouched" alive "$victim"
done
run "$bin" hub status --data-dir "$a" --json
check "hub a still running and answering" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['running'] and d['reachable']" "$out"

# --- 3. "next: create a device" only while there is none ----------------------------------------------------------
b="$work/b"
hubs+=("$b")
run "$bin" hub start --data-dir "$b" --port "$(free_port)"
check "start with no device prints the next step" bash -c "[[ $code -eq 0 && '$out' == *'next: create a device'* ]]"
run "$bin" device create only-one --data-dir "$b"
run "$bin" hub stop --data-dir "$b"
run "$bin" hub start --data-dir "$b"
check "start with a device does not print it" bash -c "[[ $code -eq 0 && '$out' != *'next: create a device'* && '$out' == *'devices   1'* ]]"

# --- 4. the generated broker config disables Nagle ---------------------------------------------------------------
check "mosquitto.conf sets set_tcp_nodelay true" grep -qx 'set_tcp_nodelay true' "$b/mosquitto.conf"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
