#!/usr/bin/env bash
# The tutorial's flow on one machine: a local IoT Hub, a device registered in it, a simulated W5100S-EVB-Pico
# sending JSON telemetry over MQTT + TLS with a SAS token, the service side watching it and sending a
# cloud-to-device message back. Usage: ./run demo [--count N] [--keep]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
picohub="$root/build/host/apps/cli/picohub"
source "$root/tests/lib/testlib.sh"

count=10 keep=0
while (($#)); do
  case "$1" in
    --count) count=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: ./run demo [--count N] [--keep]"; exit 2 ;;
  esac
done

data=$(mktemp -d /tmp/picohub-demo.XXXXXX)
export PICOHUB_DATA=$data
port=8883
(exec 3<>/dev/tcp/127.0.0.1/8883) 2>/dev/null && port=$(free_port)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
finish() {
  jobs -p | xargs -r kill 2>/dev/null || true
  if ((keep)); then
    echo; echo "The hub keeps running: PICOHUB_DATA=$data $picohub hub status   (stop: ... hub stop)"
  else
    "$picohub" hub stop >/dev/null 2>&1 || true
    rm -rf "$data"
  fi
}
trap finish EXIT

step "1. Start a local IoT Hub (mosquitto + picohub plugin, TLS on port $port)"
"$picohub" hub start --port "$port"

step "2. Register a device (what 'az iot hub device-identity create' does)"
"$picohub" device create w5100s-evb-pico

step "3. Its connection string (what IoT Explorer shows)"
cs=$("$picohub" device connection-string w5100s-evb-pico --gateway)
echo "$cs"

step "4. Watch the device's telemetry (what 'az iot hub monitor-events' does)"
"$picohub" monitor --device w5100s-evb-pico --count "$count" --timeout 120 > "$data/monitor.txt" 2>&1 &
monitor=$!
sleep 1

step "5. The device: connect with a SAS token, send $count JSON messages, wait for a cloud-to-device message"
"$picohub" sim --connection-string "$cs" --ca "$data/ca.crt" --count "$count" --interval 1s --wait-c2d 1 --c2d-timeout 60 \
  > >(tee "$data/sim.txt") 2>&1 &
sim=$!
wait_for_line "$data/sim.txt" "Waiting for cloud-to-device" $((count * 3 + 30))

step "6. The cloud sends a message to the device"
"$picohub" c2d send w5100s-evb-pico --data "message from IoT Hub" --prop source=demo
wait "$sim"
wait "$monitor" || true

step "7. What the service side saw"
cat "$data/monitor.txt"
echo
echo "Demo complete: $count telemetry messages up, 1 cloud-to-device message down."
