// Test helpers for the W5100S model: a manual scheduler, a scripted LAN, and SPI frames as the host sends them.
import { W5100S } from '../src/w5100s.mjs';

export class ManualScheduler {
  constructor() {
    this.now = 0;
    this.queue = [];
  }

  nowNanos() {
    return this.now;
  }

  after(nanos, fn) {
    const entry = { at: this.now + nanos, fn };
    this.queue.push(entry);
    return () => {
      this.queue = this.queue.filter((e) => e !== entry);
    };
  }

  advance(nanos) {
    const target = this.now + nanos;
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at);
      const next = this.queue[0];
      if (!next || next.at > target) break;
      this.queue.shift();
      this.now = next.at;
      next.fn();
    }
    this.now = target;
  }
}

// A LAN where `hosts` answer ARP; UDP sent by the chip is recorded; TCP peers are scripted per test.
export class ScriptedLan {
  constructor(hosts = []) {
    this.hosts = new Set(hosts);
    this.udp = [];
    this.tcp = [];
  }

  arp(ip) {
    return this.hosts.has(ip);
  }

  sendUdp(datagram) {
    this.udp.push(datagram);
  }

  openTcp(endpoints, events) {
    const peer = { endpoints, events, written: [], ended: false, destroyed: false, paused: false,
      write(bytes) { this.written.push(Buffer.from(bytes)); },
      end() { this.ended = true; },
      destroy() { this.destroyed = true; },
      pause() { this.paused = true; },
      resume() { this.paused = false; } };
    this.tcp.push(peer);
    return peer;
  }
}

export function makeChip(hosts = ['192.0.2.1']) {
  const scheduler = new ManualScheduler();
  const lan = new ScriptedLan(hosts);
  const interrupts = [];
  const chip = new W5100S({ scheduler, lan, onInterrupt: (asserted) => interrupts.push(asserted) });
  return { chip, scheduler, lan, interrupts, spi: new SpiHost(chip) };
}

// What a driver does on the wire: one frame per call, CSn low for the whole burst.
export class SpiHost {
  constructor(chip) {
    this.chip = chip;
  }

  write(address, bytes) {
    this.chip.select();
    for (const b of [0xf0, address >> 8, address & 0xff, ...bytes]) this.chip.transfer(b);
    this.chip.deselect();
  }

  read(address, length) {
    this.chip.select();
    for (const b of [0x0f, address >> 8, address & 0xff]) this.chip.transfer(b);
    const out = [];
    for (let i = 0; i < length; i++) out.push(this.chip.transfer(0xff));
    this.chip.deselect();
    return out;
  }

  read8(address) { return this.read(address, 1)[0]; }
  read16(address) { const [h, l] = this.read(address, 2); return (h << 8) | l; }
  write8(address, value) { this.write(address, [value]); }
  write16(address, value) { this.write(address, [value >> 8, value & 0xff]); }

  sock(n, offset) { return 0x0400 + 0x100 * n + offset; }

  command(n, cr) {
    this.write8(this.sock(n, 0x01), cr);
    return this.read8(this.sock(n, 0x01));
  }

  openUdp(n, port) {
    this.write8(this.sock(n, 0x00), 0x02);
    this.write16(this.sock(n, 0x04), port);
    this.command(n, 0x01);
  }

  configure({ ip = [192, 0, 2, 10], mask = [255, 255, 255, 0], gateway = [192, 0, 2, 1] } = {}) {
    this.write(0x0001, [...gateway, ...mask, 0x02, 0, 0, 0, 0, 1, ...ip]);  // GAR, SUBR, SHAR, SIPR in one burst
  }

  // Writes `data` at TX_WR (split at the ring end), advances TX_WR, SEND.
  send(n, data, { base, size }) {
    let wr = this.read16(this.sock(n, 0x24));
    for (const byte of data) {
      this.write8(base + (wr & (size - 1)), byte);
      wr = (wr + 1) & 0xffff;
    }
    this.write16(this.sock(n, 0x24), wr);
    return this.command(n, 0x20);
  }

  // Reads `length` bytes at RX_RD, advances RX_RD, RECV.
  receive(n, length, { base, size }) {
    let rd = this.read16(this.sock(n, 0x28));
    const out = [];
    for (let i = 0; i < length; i++) {
      out.push(this.read8(base + (rd & (size - 1))));
      rd = (rd + 1) & 0xffff;
    }
    this.write16(this.sock(n, 0x28), rd);
    this.command(n, 0x40);
    return Buffer.from(out);
  }
}
