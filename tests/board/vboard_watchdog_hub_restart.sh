#!/usr/bin/env bash
# Hung main loop and hub restart, end to end (issue 7): the real firmware in the virtual board against the local
# hub. 6 s in (emulated time) the main loop hangs (`--fault hang@6s`: the core spins with interrupts masked,
# as a firmware bug leaves it): the watchdog (5 s) must reboot the board, whose boot report prints the reset
# reason ("watchdog timeout") and the loop step that hung; the board then reconnects on its own and telemetry
# resumes. Once it has, the hub is restarted (`picohub hub stop` + `hub start` on the same data dir and port):
# the board must reconnect again (the hub's log shows >= 3 CONNECTs) and QoS 1 telemetry must resume with
# nothing acknowledged lost. Bounded: --max-ms 90 s emulated, --wall-ms 150 s, each wait <= 90 s.
set -euo pipefail
picohub=$1 node=$2 firmware=${PICOHUB_FIRMWARE:-$3}
source "$(cd "$(dirname "$0")" && pwd)/vboard_fault_lib.sh"

start_hub_device vbdog
start_board --max-ms 90000 --wall-ms 150000 --fault hang@6s
wait_console '/^reset reason: watchdog timeout/ { r = 1 } r && /^connected to IoT Hub/ { c = 1 } c && /acknowledged by the hub/ { a++ }
  END { print (a >= 1 ? "yes" : "no") }' 90 "a watchdog reboot, a reconnect and a PUBACK after it"

"$picohub" hub stop > "$work/stop.txt" 2>&1 || { cat "$work/stop.txt"; fail "hub stop"; }
since=$(date +%s)
"$picohub" hub start --port "$port" > "$work/restart.txt" 2>&1 || { cat "$work/restart.txt"; fail "hub start again"; }
wait_console '/^reset reason: watchdog timeout/ { r = 1 } r && /^connected to IoT Hub/ { c++; a = 0 } /acknowledged by the hub/ { a++ }
  END { print (c >= 2 && a >= 2 ? "yes" : "no") }' 90 "a reconnect after the hub restart and two PUBACKs"
stop_board

grep -q 'the core is wedged' "$work/vboard.txt" || fail "the hang fault never ran"
dogs=$(grep -c 'watchdog reset #' "$work/vboard.txt" || true)
[[ $dogs -eq 1 ]] || fail "$dogs watchdog resets; the hang should cause exactly one"
grep -q '^reset reason: watchdog timeout' "$work/console.txt" || fail "the reset reason after the hang is not printed"
hung=$(grep -m 1 '^the previous boot hung during ' "$work/console.txt" || true)
[[ -n "$hung" ]] || fail "the boot report does not say where the previous boot hung"
connects=$(grep -c "New client connected .* as vbdog " "$PICOHUB_DATA/mosquitto.log" || true)
[[ $connects -ge 3 ]] || fail "the hub's log shows $connects CONNECTs of vbdog; expected >= 3 (boot, after the watchdog reboot, after the hub restart)"
read -r acked recorded < <(check_nothing_lost "$since" '^connected to IoT Hub')
pass "hang -> watchdog reboot ('$hung'), reconnect; hub restarted -> reconnect; $connects CONNECTs in the hub log; $acked messageIds acknowledged after the restart, all recorded by the hub"
