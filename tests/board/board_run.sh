#!/usr/bin/env bash
# `picohub board run` (issue 7): the CLI finds node and tools/vboard, provisions a UF2 on the fly for a device of
# the local hub (its CA, GatewayHostName mapped onto the virtual LAN), shows the console on stdout, and Ctrl-C
# stops the board and its node child. Also: what it says when node or the virtual board is missing.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/testlib.sh"
[[ -f "$firmware" ]] || { echo "SKIP: no board firmware at $firmware yet: run ./run build board"; exit 77; }
[[ -d "$here/../../tools/vboard/node_modules/rp2040js" ]] || { echo "SKIP: rp2040js is not installed: run scripts/vboard-setup.sh"; exit 77; }
[[ -x "$picohub" ]] || { echo "SKIP: no picohub CLI at $picohub"; exit 77; }

work=$(mktemp -d /tmp/picohub-board-run-test.XXXXXX)
chmod 0755 "$work"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$work/hub PICOHUB_FIRMWARE=$firmware
run_pid=
cleanup() {
  [[ -n "$run_pid" ]] && kill -INT "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null || true
  "$picohub" hub stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Usage errors and missing pieces come with what to do.
set +e
"$picohub" board run > "$work/none.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q -- '--device' "$work/none.txt" || { cat "$work/none.txt"; fail "no board given: exit $rc"; }
set +e
PICOHUB_NODE=/nonexistent/node "$picohub" board run --device x > "$work/nonode.txt" 2>&1; rc=$?
set -e
[[ $rc -ne 0 ]] && grep -q 'PICOHUB_NODE=/nonexistent/node is not an executable' "$work/nonode.txt" \
  || { cat "$work/nonode.txt"; fail "missing node: exit $rc"; }
set +e
PICOHUB_VBOARD=$work "$picohub" board run --device x > "$work/novb.txt" 2>&1; rc=$?
set -e
[[ $rc -ne 0 ]] && grep -q "the virtual board is not at $work" "$work/novb.txt" \
  || { cat "$work/novb.txt"; fail "missing tools/vboard: exit $rc"; }
set +e
"$picohub" board run --device x > "$work/nohub.txt" 2>&1; rc=$?
set -e
[[ $rc -ne 0 ]] || fail "no hub running, yet board run went ahead"
pass "board run: usage, missing node, missing tools/vboard and no hub are refused with what to do"

port=$(free_port)
"$picohub" hub start --port "$port" > "$work/start.txt" 2>&1 || { cat "$work/start.txt"; fail "hub start"; }
"$picohub" device create vboard-run >/dev/null
set +e
"$picohub" board run --device nobody > "$work/nodev.txt" 2>&1; rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q "picohub device create nobody" "$work/nodev.txt" || { cat "$work/nodev.txt"; fail "unknown device: exit $rc"; }

# The run: provisioned on the fly, console on stdout; Ctrl-C once two PUBACKs are in.
"$picohub" board run --device vboard-run --interval 1s --max-time 150s > "$work/console.txt" 2> "$work/run.txt" &
run_pid=$!
for _ in $(seq 1 900); do
  [[ $(grep -c 'acknowledged by the hub' "$work/console.txt" 2>/dev/null) -ge 2 ]] && break
  kill -0 "$run_pid" 2>/dev/null || break
  sleep 0.2
done
cat "$work/console.txt"
[[ $(grep -c 'acknowledged by the hub' "$work/console.txt") -ge 2 ]] || { cat "$work/run.txt"; fail "no two PUBACKs on the console"; }
grep -q '^connected to IoT Hub as vboard-run' "$work/console.txt" || fail "no CONNECT line"
grep -q 'VIRTUAL W5100S-EVB-Pico' "$work/run.txt" || fail "board run did not say the board is virtual"
node_pid=$(pgrep -P "$run_pid" -x node || true)
[[ -n "$node_pid" ]] || fail "no node child seen"
uf2=$(tr '\0' '\n' < "/proc/$node_pid/cmdline" | grep -A1 -x -- --uf2 | tail -n 1)
[[ -f "$uf2" ]] || fail "no provisioned UF2 found for the node child"
kill -INT "$run_pid"
for _ in $(seq 1 50); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.2; done
kill -0 "$run_pid" 2>/dev/null && fail "board run still running 10 s after Ctrl-C"
set +e
wait "$run_pid"; rc=$?
set -e
run_pid=
[[ $rc -eq 0 || $rc -eq 130 ]] || { cat "$work/run.txt"; fail "board run after Ctrl-C: exit $rc"; }
kill -0 "$node_pid" 2>/dev/null && fail "the node child $node_pid outlived Ctrl-C"
[[ -e "$uf2" ]] && fail "left its provisioned UF2 (it holds the key) at $uf2"
pass "board run: provisioned on the fly, CONNECT + 2 PUBACKs on stdout, Ctrl-C stopped board and node (exit $rc)"
