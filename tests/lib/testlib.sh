# Shared helpers for the shell-driven integration tests. Loopback only; every wait is bounded.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
# json_field NAME < JSON: one top-level field of a JSON object on stdin.
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  fail "no free loopback port found"
}

# Starts the local hub (PICOHUB_DATA; $picohub, $work set by the caller) on a free loopback port, with its HTTPS
# gateway (MQTT and DPS over WebSockets at /$iothub/websocket) on another and AMQP off. Sets hub_port and
# service_port; $work/start.txt keeps what hub start printed.
start_hub_with_gateway() {
  hub_port=$(free_port)
  service_port=$(free_port)
  "$picohub" hub start --port "$hub_port" --service-port "$service_port" --amqp-port 0 > "$work/start.txt" 2>&1 \
    || { cat "$work/start.txt"; fail "hub start"; }
}

# Waits until HOST:PORT accepts TCP connections (at most SECONDS).
wait_port() {
  local host=$1 port=$2 seconds=${3:-10}
  for _ in $(seq 1 $((seconds * 10))); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "nothing listens on $host:$port after ${seconds}s"
}

# Waits until FILE contains PATTERN (grep -E), at most SECONDS.
wait_for_line() {
  local file=$1 pattern=$2 seconds=${3:-15}
  for _ in $(seq 1 $((seconds * 10))); do
    grep -Eq -- "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "--- $file ---" >&2; cat "$file" >&2 || true
  fail "'$pattern' did not appear in $file within ${seconds}s"
}

# Throwaway CA + server certificate for localhost / 127.0.0.1 / ::1 in DIR (ca.crt, server.crt, server.key).
make_test_ca() {
  local dir=$1 name=${2:-test}
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=picohub $name CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
  # mosquitto started as root drops to the mosquitto user: throwaway test keys are made world-readable.
  chmod 0755 "$dir"; chmod 0644 "$dir"/*.key
}

# Starts a plain mosquitto with a TLS listener on PORT using DIR's certificates; extra config lines in $3.
start_plain_mosquitto() {
  local dir=$1 port=$2 extra=${3:-"allow_anonymous true"}
  cat > "$dir/mosquitto.conf" <<CONF
per_listener_settings false
persistence false
log_dest file $dir/mosquitto.log
log_type error
log_type warning
log_type notice
listener $port 127.0.0.1
cafile $dir/ca.crt
certfile $dir/server.crt
keyfile $dir/server.key
tls_version tlsv1.2
$extra
CONF
  /usr/sbin/mosquitto -c "$dir/mosquitto.conf" >"$dir/mosquitto.out" 2>&1 &
  echo $! > "$dir/mosquitto.pid"
  wait_port 127.0.0.1 "$port" 10
}

stop_pid_file() {
  local file=$1
  [[ -f "$file" ]] || return 0
  local pid; pid=$(cat "$file")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

# True when USER can read every PATH. A build tree under a 0700 directory (root's home, a `mktemp -d`) is out
# of reach for other users: the hub then rightly keeps its broker root, and the checks that expect it to run as
# user mosquitto or nobody are skipped, saying why.
user_can_read() {
  local user=$1 path
  shift
  for path in "$@"; do runuser -u "$user" -- test -r "$path" 2>/dev/null || return 1; done
}
