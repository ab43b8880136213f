#!/usr/bin/env python3
"""Nothing the hub acknowledged is lost to kill -9 (issue 8 §2).

Several devices publish pipelined QoS 1 telemetry (a window of messages in flight each) to a real local hub
(`picohub hub start`, mosquitto + picohub_hub.so) on its plain-TCP debug port; the broker is killed with SIGKILL
at a random moment, restarted, and the round repeats. Every message whose PUBACK a device saw must be in
state.db at the end: acknowledged-but-missing must be 0.

  hub_kill9.py PICOHUB PLUGIN [--kills N] [--devices N] [--window N] [--seed S]

Bounded: each round sends for at most 1.5 s before the kill; every socket wait has a timeout.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60, **kw).stdout


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sas_token(host, device, key_b64, ttl=3600):
    sr = urllib.parse.quote(f"{host}/devices/{device}", safe="")
    se = int(time.time()) + ttl
    sig = base64.b64encode(hmac.new(base64.b64decode(key_b64), f"{sr}\n{se}".encode(), hashlib.sha256).digest())
    return f"SharedAccessSignature sr={sr}&sig={urllib.parse.quote(sig.decode(), safe='')}&se={se}"


def mqtt_string(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def remaining_length(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(first, body):
    return bytes([first]) + remaining_length(len(body)) + body


class Device(threading.Thread):
    """One MQTT 3.1.1 device: CONNECT, then QoS 1 PUBLISHes with `window` in flight until the broker dies or
    `stop` is set. `acked` collects the message ids whose PUBACK arrived."""

    def __init__(self, host_name, port, device, key, window, round_no, stop, rate):
        super().__init__(daemon=True)
        self.args = (host_name, port, device, key, window, round_no)
        self.rate = rate  # messages per second at most (keeps the whole run under the hub's telemetry row cap)
        self.stop = stop
        self.acked = []
        self.sent = 0
        self.error = None

    def run(self):
        host_name, port, device, key, window, round_no = self.args
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            user = f"{host_name}/{device}/?api-version=2021-04-12"
            body = (mqtt_string("MQTT") + bytes([4, 0xC2]) + struct.pack("!H", 60) + mqtt_string(device) +
                    mqtt_string(user) + mqtt_string(sas_token(host_name, device, key)))
            sock.sendall(packet(0x10, body))
            connack = self.read_packet(sock)
            if connack is None or connack[0] != 0x20 or connack[1][1] != 0:
                self.error = f"CONNACK {connack!r}"
                return
            topic = f"devices/{device}/messages/events/"
            in_flight = {}
            next_pid = 1
            n = 0
            sock.settimeout(5)
            t0 = time.monotonic()
            while not self.stop.is_set() or in_flight:
                if not in_flight and self.sent >= self.rate * (time.monotonic() - t0):
                    time.sleep(0.002)
                    continue
                while (not self.stop.is_set() and len(in_flight) < window and
                       self.sent < self.rate * (time.monotonic() - t0) + window):
                    mid = f"{device}:{round_no}:{n}"
                    n += 1
                    pid = next_pid
                    next_pid = next_pid % 65535 + 1
                    payload = json.dumps({"mid": mid, "pad": "x" * random.randint(0, 300)}).encode()
                    sock.sendall(packet(0x32, mqtt_string(topic) + struct.pack("!H", pid) + payload))
                    in_flight[pid] = mid
                    self.sent += 1
                p = self.read_packet(sock)
                if p is None:
                    return  # the broker died: whatever was not PUBACKed is simply not acknowledged
                if p[0] == 0x40:
                    mid = in_flight.pop(struct.unpack("!H", p[1][:2])[0], None)
                    if mid:
                        self.acked.append(mid)
        except (OSError, socket.timeout):
            return

    @staticmethod
    def read_packet(sock):
        def exact(n):
            data = b""
            while len(data) < n:
                chunk = sock.recv(n - len(data))
                if not chunk:
                    return None
                data += chunk
            return data

        head = exact(1)
        if head is None:
            return None
        length, mult = 0, 1
        while True:
            b = exact(1)
            if b is None:
                return None
            length += (b[0] & 0x7F) * mult
            mult *= 128
            if not b[0] & 0x80:
                break
        body = exact(length) if length else b""
        return None if body is None else (head[0] & 0xF0, body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("picohub")
    ap.add_argument("plugin")
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--devices", type=int, default=4)
    ap.add_argument("--window", type=int, default=16)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--fsync", action="store_true", help="hub start --fsync (PUBACKs held until fdatasync)")
    o = ap.parse_args()
    random.seed(o.seed)
    work = tempfile.mkdtemp(prefix="picohub-kill9.")
    data = os.path.join(work, "hub")
    env = dict(os.environ, PICOHUB_PLUGIN=o.plugin)
    port, plain = free_port(), free_port()
    hub = [o.picohub, "hub"]

    def start():
        run(*hub, "start", "--data-dir", data, "--port", str(port), "--insecure-port", str(plain),
            *(["--fsync"] if o.fsync else []), env=env)

    def broker_pid():
        with open(os.path.join(data, "mosquitto.pid")) as f:
            return int(f.read().strip())

    acked, sent = [], 0
    try:
        start()
        host_name = json.load(open(os.path.join(data, "hub.json")))["hostName"]
        keys = {}
        for i in range(o.devices):
            d = f"kill9-{i}"
            out = json.loads(run(o.picohub, "device", "create", d, "--data-dir", data, "--json", env=env))
            keys[d] = out["primaryKey"]
        for round_no in range(o.kills):
            stop = threading.Event()
            # The hub keeps the newest 100000 telemetry rows: stay below that over the whole run.
            rate = 90000 / (o.kills * o.devices * 1.5)
            devices = [Device(host_name, plain, d, k, o.window, round_no, stop, rate) for d, k in keys.items()]
            for d in devices:
                d.start()
            time.sleep(random.uniform(0.2, 1.5))  # a random moment under load
            os.kill(broker_pid(), signal.SIGKILL)
            stop.set()
            for d in devices:
                d.join(10)
                if d.error:
                    print(f"round {round_no}: {d.error}", file=sys.stderr)
                acked += d.acked
                sent += d.sent
            print(f"round {round_no}: killed; acknowledged so far {len(acked)} of {sent} sent", flush=True)
            time.sleep(0.1)
            start()  # stale pid file: hub start must notice the broker is gone
        # Let the restarted broker open state.db (first event) and fold the journal, then stop it cleanly.
        run(o.picohub, "device", "list", "--data-dir", data, env=env)
        run(*hub, "stop", "--data-dir", data, env=env)
        db = sqlite3.connect(os.path.join(data, "state.db"))
        stored = set()
        columns = [row[1] for row in db.execute("PRAGMA table_info(telemetry)")]
        query = "SELECT payload, event FROM telemetry" if "payload" in columns else "SELECT NULL, event FROM telemetry"
        for (payload, event) in db.execute(query):
            body = payload if payload is not None else json.loads(event)["body"]
            stored.add(json.loads(body)["mid"])
        missing = [m for m in acked if m not in stored]
        print(f"kills={o.kills} sent={sent} acknowledged={len(acked)} stored={len(stored)} "
              f"acknowledged_but_missing={len(missing)} seed={o.seed}")
        if len(acked) < o.kills:
            print("FAIL: the devices saw almost no PUBACKs; the load did not run", file=sys.stderr)
            return 1
        if missing:
            print(f"FAIL: acknowledged but missing: {missing[:10]}", file=sys.stderr)
            return 1
        print("ok: every acknowledged message survived kill -9")
        return 0
    finally:
        subprocess.run([*hub, "stop", "--data-dir", data], capture_output=True, timeout=30)
        try:
            os.kill(broker_pid(), signal.SIGKILL)
        except (OSError, ValueError):
            pass
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
