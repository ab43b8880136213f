// One TCP connection of a W5100S socket, between the chip model and the LAN's peer. The LAN's connection
// ({ write, end, destroy, pause, resume }) calls back connected / data / end / reset; bytes the socket's RX
// ring cannot take yet wait here (the TCP window is closed) and the peer is paused until RECV makes room.
export class TcpLink {
  constructor(chip, n, endpoints, lan) {
    this.chip = chip;
    this.n = n;
    this.pending = [];
    this.peerFinished = false;
    this.closed = false;
    this.peer = lan.openTcp(endpoints, {
      connected: () => this.#live(() => chip.tcpConnected(n)),
      data: (bytes) => this.#live(() => this.#receive(bytes)),
      end: () => this.#live(() => {
        this.peerFinished = true;
        this.drain();
      }),
      reset: () => this.#live(() => {
        this.closed = true;
        chip.tcpReset(n);
      }),
    });
  }

  #live(fn) {
    if (!this.closed && this.chip.sockets[this.n].link === this) fn();
  }

  #receive(bytes) {
    this.pending.push(Buffer.from(bytes));
    this.drain();
  }

  // Moves waiting bytes into the RX ring; a FIN counts only once everything before it has been delivered.
  drain() {
    while (this.pending.length > 0) {
      const head = this.pending[0];
      const taken = this.chip.tcpData(this.n, head);
      if (taken < head.length) {
        this.pending[0] = head.subarray(taken);
        this.peer.pause?.();
        return;
      }
      this.pending.shift();
    }
    this.peer.resume?.();
    if (this.peerFinished) {
      this.peerFinished = false;
      this.chip.tcpPeerFinished(this.n);
    }
  }

  write(bytes) {
    this.peer.write(bytes);
  }

  finish() {
    this.peer.end();
  }

  abort() {
    if (this.closed) return;
    this.closed = true;
    this.peer.destroy();
  }
}

// TCP retransmission: RTR (100 µs units) doubling per retry, RCR + 1 tries, each at most 32 x RTR
// (gives ~31.8 s with the reset values, as the reference states).
export function tcpTimeoutNanos(chip) {
  const rtr = (chip.mem[0x0017] << 8) | chip.mem[0x0018];
  const rcr = chip.mem[0x0019];
  let total = 0;
  for (let i = 0; i <= rcr; i++) total += Math.min(rtr << Math.min(i, 5), 0xffff);
  return total * 100_000;
}
