#!/usr/bin/env python3
"""A deliberately minimal MQTT 3.1.1 device over TLS for the hub's acknowledgement tests.

Unlike mosquitto_sub it can receive a QoS 1 PUBLISH and NOT acknowledge it, leave without DISCONNECT (so the
broker publishes its Will), and report the DUP flag. Every wait is bounded. Prints one JSON line per PUBLISH
received: {"topic", "payload", "qos", "dup", "mid"}; the last line is {"end": why}.
"""
import argparse
import json
import socket
import ssl
import struct
import sys
import time


def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def packet(kind, body):
    return bytes([kind]) + varint(len(body)) + body


def connect_packet(a):
    flags = 0xC0 | (0x02 if a.clean else 0)  # user name + password
    payload = utf8(a.id)
    if a.will_topic:
        flags |= 0x04 | (0x08 if a.will_qos == 1 else 0)
        payload += utf8(a.will_topic) + utf8(a.will_payload)
    password = a.password.encode() + (b"\x00" + b"ignored" if a.password_nul else b"")
    payload += utf8(a.user) + struct.pack("!H", len(password)) + password
    return packet(0x10, utf8("MQTT") + bytes([4, flags]) + struct.pack("!H", 60) + payload)


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError()
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the broker")
            self.buf += chunk

    def packet(self, deadline):
        self.need(2, deadline)
        length, mult, i = 0, 1, 1
        while True:
            self.need(i + 1, deadline)
            b = self.buf[i]
            length += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
        self.need(i + length, deadline)
        head, body = self.buf[0], self.buf[i:i + length]
        self.buf = self.buf[i + length:]
        return head, body


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--id", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--clean", type=int, default=1)
    p.add_argument("--password-nul", action="store_true", help="append a NUL byte and more text to the password")
    p.add_argument("--subscribe", default="")
    p.add_argument("--will-topic", default="")
    p.add_argument("--will-payload", default="")
    p.add_argument("--will-qos", type=int, default=1)
    p.add_argument("--count", type=int, default=1, help="stop after this many PUBLISHes")
    p.add_argument("--wait", type=float, default=10, help="seconds to wait for them")
    p.add_argument("--ack", type=int, default=1, help="1: PUBACK each QoS 1 PUBLISH; 0: never")
    p.add_argument("--leave", choices=["disconnect", "drop", "hold"], default="disconnect",
                   help="disconnect: send DISCONNECT; drop: close the socket (Will fires); "
                        "hold: stay until the broker goes away (at most --wait more seconds)")
    a = p.parse_args()

    ctx = ssl.create_default_context(cafile=a.ca)
    raw = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    sock = ctx.wrap_socket(raw, server_hostname="localhost")
    sock.sendall(connect_packet(a))
    r = Reader(sock)
    deadline = time.monotonic() + 10
    head, body = r.packet(deadline)
    if head >> 4 != 2 or body[1] != 0:
        print(json.dumps({"end": "connack %d" % (body[1] if len(body) > 1 else -1)}), flush=True)
        return 2
    print(json.dumps({"connack": 0, "sessionPresent": bool(body[0] & 1)}), flush=True)
    if a.subscribe:
        sock.sendall(packet(0x82, struct.pack("!H", 1) + utf8(a.subscribe) + bytes([1])))
    got, why = 0, "count"
    deadline = time.monotonic() + a.wait
    try:
        while got < a.count:
            head, body = r.packet(deadline)
            if head >> 4 != 3:
                continue
            qos = (head >> 1) & 3
            tlen = struct.unpack("!H", body[:2])[0]
            topic = body[2:2 + tlen].decode()
            at, mid = 2 + tlen, None
            if qos:
                mid = struct.unpack("!H", body[at:at + 2])[0]
                at += 2
            print(json.dumps({"topic": topic, "payload": body[at:].decode(errors="replace"), "qos": qos,
                              "dup": bool(head & 0x08), "mid": mid}), flush=True)
            got += 1
            if qos == 1 and a.ack:
                sock.sendall(packet(0x40, struct.pack("!H", mid)))
    except TimeoutError:
        why = "timeout"
    except (ConnectionError, OSError) as e:
        why = "closed: %s" % e
    if a.leave == "hold" and why == "count":
        try:
            end = time.monotonic() + a.wait
            while True:
                r.packet(end)
        except TimeoutError:
            why = "held until timeout"
        except (ConnectionError, OSError):
            why = "broker went away"
    elif a.leave == "disconnect" and not why.startswith("closed"):
        sock.sendall(b"\xe0\x00")
        time.sleep(0.1)  # let the broker read DISCONNECT before the close
    sock.close()  # no close_notify, no DISCONNECT for "drop": the broker sees the connection lost
    print(json.dumps({"end": why}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
