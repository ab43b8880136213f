#!/usr/bin/env bash
# The tutorial's flow on one machine, with the real firmware: a local IoT Hub, a device registered in it, the
# firmware UF2 provisioned with the device's connection string and the hub's CA, booted in the VIRTUAL
# W5100S-EVB-Pico (rp2040js + W5100S model, tools/vboard); its JSON telemetry arrives in `picohub monitor`
# and a cloud-to-device message comes back to the board's console (and toggles its LED).
# Usage: ./run demo [--count N] [--keep] [--sim]   (--sim: the host-only simulated device instead of the board)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
picohub="$root/build/host/apps/cli/picohub"
source "$root/tests/lib/testlib.sh"

count=10 keep=0 sim=0
while (($#)); do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --sim) sim=1; shift ;;
    *) echo "usage: ./run demo [--count N] [--keep] [--sim]"; exit 2 ;;
  esac
done

data=$(mktemp -d /tmp/picohub-demo.XXXXXX)
chmod 0755 "$data"  # as root the broker runs as user mosquitto and must reach the data dir
export PICOHUB_DATA=$data
port=8883
(exec 3<>/dev/tcp/127.0.0.1/8883) 2>/dev/null && port=$(free_port)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
finish() {
  jobs -p | xargs -r kill -INT 2>/dev/null || true
  wait 2>/dev/null || true
  if ((keep)); then
    echo; echo "The hub keeps running: PICOHUB_DATA=$data $picohub hub status   (stop: ... hub stop)"
  else
    "$picohub" hub stop >/dev/null 2>&1 || true
    rm -rf "$data"
  fi
}
trap finish EXIT

# Lines $1 of file $2 reaches at least $3 times before $4 seconds pass (0 when it does).
wait_count() {
  local deadline=$((SECONDS + $4))
  while ((SECONDS < deadline)); do
    [[ $(grep -c -- "$1" "$2" 2>/dev/null) -ge $3 ]] && return 0
    sleep 0.2
  done
  return 1
}

step "1. Start a local IoT Hub (mosquitto + picohub plugin, TLS on port $port)"
"$picohub" hub start --port "$port"

step "2. Register a device (what 'az iot hub device-identity create' does)"
"$picohub" device create w5100s-evb-pico

step "3. Its connection string (what IoT Explorer shows)"
cs=$("$picohub" device connection-string w5100s-evb-pico --gateway)
echo "$cs"

step "4. Watch the device's telemetry (what 'az iot hub monitor-events' does)"
"$picohub" monitor --device w5100s-evb-pico --count "$count" --timeout 150 > "$data/monitor.txt" 2>&1 &
monitor=$!
sleep 1

if ((sim)); then
  step "5. The device (simulated on this host): connect with a SAS token, send $count JSON messages, wait for a C2D"
  "$picohub" sim --connection-string "$cs" --ca "$data/ca.crt" --count "$count" --interval 1s --wait-c2d 1 \
    --c2d-timeout 60 > >(tee "$data/sim.txt") 2>&1 &
  sim_pid=$!
  wait_for_line "$data/sim.txt" "Waiting for cloud-to-device" $((count * 3 + 30))
  step "6. The cloud sends a message to the device"
  "$picohub" c2d send w5100s-evb-pico --data "message from IoT Hub" --prop source=demo
  wait "$sim_pid"
  wait "$monitor" || true
  step "7. What the service side saw"
  cat "$data/monitor.txt"
  echo
  echo "Demo complete (simulated device): $count telemetry messages up, 1 cloud-to-device message down."
  exit 0
fi

step "5. Provision the firmware: its connection string and the hub's CA go into the UF2's config sector"
# The hub's certificate names localhost; the virtual LAN's DNS maps that name to the hub's bridged address.
plain=$("$picohub" device connection-string w5100s-evb-pico 2>/dev/null | head -n 1)
"$picohub" board uf2 --connection-string "$plain;GatewayHostName=localhost:8883" --ca "$data/ca.crt" \
  --interval 2s -o "$data/board.uf2"

step "6. Boot it: this is a VIRTUAL board (the unmodified UF2 on an emulated RP2040 + W5100S, no hardware)"
"$picohub" board run --uf2 "$data/board.uf2" --max-time 150s -- --led-trace \
  > >(tee "$data/console.txt") 2> >(tee "$data/board.txt" | grep --line-buffered -E 'VIRTUAL|LED|fault' >&2) &
board=$!
if ! wait_count 'acknowledged by the hub' "$data/console.txt" "$count" $((count * 6 + 60)); then
  echo "the board did not get $count messages acknowledged in time"; exit 1
fi

step "7. The cloud sends a message to the device"
leds_before=$(grep -c 'LED (on|off)' -E "$data/board.txt" || true)
"$picohub" c2d send w5100s-evb-pico --data "message from IoT Hub" --prop source=demo
wait_count 'Received message: message from IoT Hub' "$data/console.txt" 1 30 \
  || { echo "the board did not print the cloud-to-device message"; exit 1; }
sleep 0.5  # the LED toggle follows the console line in the same loop pass
kill -INT "$board"
wait "$board" || true
wait "$monitor" || true

step "8. What the service side saw"
cat "$data/monitor.txt"
echo
acked=$(grep -c 'acknowledged by the hub' "$data/console.txt" || true)
recorded=$(grep -c '"messageId"' "$data/monitor.txt" || true)
led=$(grep -E 'LED (on|off)' "$data/board.txt" | tail -n +$((leds_before + 1)) | tail -n 1 | sed 's/^\[vboard\] //')
echo "Demo complete on a VIRTUAL W5100S-EVB-Pico: $acked telemetry messages acknowledged by the hub ($recorded seen by"
echo "picohub monitor), 1 cloud-to-device message printed on the board's console; the C2D toggled the LED: ${led:-no LED change seen}."
