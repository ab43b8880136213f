// A register-level W5100S: the SPI frame, common and socket registers, the 8 KiB TX/RX memories with their
// per-socket rings, the socket commands and their Sn_SR/Sn_IR effects, UDP framing and INTn. It is a test
// oracle: it follows the datasheet facts (shared reference §3), not what our driver happens to do.
//
// Time comes from a scheduler ({ nowNanos(), after(nanos, fn) → cancel() }), the network from a LAN
// (see lan.mjs) through arp(ip), sendUdp(datagram) and openTcp(endpoints, events).
import {
  COMMON_RESET, CR, IR, MR, MR_RESET, MR2, MR2_DEFAULT, PHYSR, SR, SN, SN_IR, SN_MR_PROTOCOL, SOCKETS, VERSION,
  ipText,
} from './w5100s-registers.mjs';
import { TcpLink, tcpTimeoutNanos } from './w5100s-tcp.mjs';

const TX_MEMORY = 0x4000;
const RX_MEMORY = 0x6000;
const MEMORY_SIZE = 0x2000;
const UDP_HEADER = 8;
const SPI_WRITE = 0xf0;
const SPI_READ = 0x0f;
const LOCAL_DELAY_NANOS = 2000;  // a frame on the wire and the chip's own processing, for SENDOK

export class W5100S {
  constructor({ scheduler, lan = null, onInterrupt = () => {}, linkUp = true, log = () => {} } = {}) {
    this.scheduler = scheduler;
    this.lan = lan;
    this.onInterrupt = onInterrupt;
    this.log = log;
    this.linkUp = linkUp;
    this.mem = new Uint8Array(0x8000);
    this.inReset = false;
    this.intAsserted = false;
    this.frame = null;  // { phase, opcode, address } while CSn is low
    this.sockets = Array.from({ length: SOCKETS }, (_, n) => ({ n, timers: new Set(), link: null, txRd: 0, rxWr: 0,
      rxRd: 0 }));
    this.#resetRegisters();
  }

  // --- pins and the SPI frame -------------------------------------------------------------------------------

  select() {
    this.frame = { phase: 0, opcode: 0, address: 0 };
  }

  deselect() {
    this.frame = null;
  }

  // RSTn: low holds the chip in reset (SPI dead, sockets gone); the rising edge starts from reset values.
  setResetPin(high) {
    if (!high && !this.inReset) {
      this.inReset = true;
      this.#resetRegisters();
    } else if (high && this.inReset) {
      this.inReset = false;
    }
  }

  setLink(up) {
    this.linkUp = up;
  }

  // Fault injection: the cable is pulled. PHYSR.LNK clears, and every TCP connection is reset at both ends (the
  // peer's bridged socket is destroyed; the socket here goes CLOSED with DISCON), as after a NAT or hub timeout.
  dropLink() {
    this.linkUp = false;
    this.resetConnections();
  }

  // Fault injection: every TCP connection is reset at both ends (a middlebox forgot them); the link stays up.
  resetConnections() {
    for (const s of this.sockets) {
      if (!s.link) continue;
      s.link.abort();
      this.tcpReset(s.n);
    }
  }

  // One byte each way. MISO during opcode and address bytes is don't-care; the model returns 0.
  transfer(mosi) {
    const { frame } = this;
    if (!frame || this.inReset) return 0;
    switch (frame.phase) {
      case 0:
        frame.opcode = mosi;
        frame.phase = 1;
        return 0;
      case 1:
        frame.address = mosi << 8;
        frame.phase = 2;
        return 0;
      case 2:
        frame.address |= mosi;
        frame.phase = 3;
        return 0;
      default: {
        const address = frame.address;
        frame.address = (frame.address + 1) & 0xffff;  // burst: the address moves on while CSn stays low
        if (frame.opcode === SPI_WRITE) {
          this.write(address, mosi);
          return 0;
        }
        if (frame.opcode === SPI_READ) return this.read(address);
        return 0;  // an unknown opcode: the chip ignores the frame
      }
    }
  }

  // --- register file ----------------------------------------------------------------------------------------

  read(address) {
    if (address >= 0x8000) return 0;
    if (address >= 0x0400 && address < 0x0800) return this.#readSocket((address >> 8) - 4, address & 0xff);
    switch (address) {
      case IR: return (this.mem[IR] & 0xf0) | this.#socketInterruptBits();
      case PHYSR: return (this.mem[PHYSR] & ~0x01) | (this.linkUp ? 0x01 : 0);
      case 0x0082: return (this.#tcntr() >> 8) & 0xff;
      case 0x0083: return this.#tcntr() & 0xff;
      default: return this.mem[address];
    }
  }

  write(address, value) {
    if (address >= 0x8000) return;
    if (address >= 0x0400 && address < 0x0800) {
      this.#writeSocket((address >> 8) - 4, address & 0xff, value);
    } else if (address < 0x0100) {
      this.#writeCommon(address, value);
    } else if (address >= TX_MEMORY) {
      this.mem[address] = value;  // TX and RX memory are both host-accessible
    }
    this.#updateInterrupt();
  }

  #writeCommon(address, value) {
    switch (address) {
      case MR:
        if (value & MR_RESET) this.#resetRegisters();  // self-clearing: reads back the reset value
        else this.mem[MR] = value;
        return;
      case IR:
        this.mem[IR] &= ~(value & 0xf0);  // bits 7:4 clear on 1; socket bits follow Sn_IR
        return;
      case 0x001a: case 0x001b:  // RMSR / TMSR
        this.mem[address] = value;
        return;
      case PHYSR: case 0x0080: case 0x0082: case 0x0083:
        return;  // read-only
      case 0x0088:
        this.tcntBase = this.scheduler.nowNanos();  // TCNTCLKR: restart the 100 µs counter
        return;
      default:
        this.mem[address] = value;
    }
  }

  #readSocket(n, offset) {
    const base = 0x0400 + n * 0x100;
    const s = this.sockets[n];
    switch (offset) {
      case SN.TX_FSR: return this.txFree(n) >> 8;
      case SN.TX_FSR + 1: return this.txFree(n) & 0xff;
      case SN.TX_RD: return (s.txRd >> 8) & 0xff;
      case SN.TX_RD + 1: return s.txRd & 0xff;
      case SN.RX_RSR: return this.rxReceived(n) >> 8;
      case SN.RX_RSR + 1: return this.rxReceived(n) & 0xff;
      case SN.RX_WR: return (s.rxWr >> 8) & 0xff;
      case SN.RX_WR + 1: return s.rxWr & 0xff;
      case SN.RXBUF_SIZE: return this.rxSize(n) >> 10;
      case SN.TXBUF_SIZE: return this.txSize(n) >> 10;
      default: return this.mem[base + offset];
    }
  }

  #writeSocket(n, offset, value) {
    const base = 0x0400 + n * 0x100;
    switch (offset) {
      case SN.CR:
        this.#command(n, value);
        return;
      case SN.IR:
        this.mem[base + SN.IR] &= ~value;
        return;
      case SN.SR: case SN.TX_FSR: case SN.TX_FSR + 1: case SN.TX_RD: case SN.TX_RD + 1:
      case SN.RX_RSR: case SN.RX_RSR + 1: case SN.RX_WR: case SN.RX_WR + 1:
        return;  // read-only
      case SN.RXBUF_SIZE: case SN.TXBUF_SIZE:
        this.#setSizeKib(offset === SN.RXBUF_SIZE ? 0x001a : 0x001b, n, value);
        return;
      default:
        this.mem[base + offset] = value;
    }
  }

  // Sn_RXBUF_SIZE / Sn_TXBUF_SIZE are the per-socket view of RMSR / TMSR: keep the two consistent.
  #setSizeKib(register, n, kib) {
    const code = { 1: 0, 2: 1, 4: 2, 8: 3 }[kib];
    if (code === undefined) return;
    this.mem[register] = (this.mem[register] & ~(3 << (2 * n))) | (code << (2 * n));
  }

  // --- buffer geometry --------------------------------------------------------------------------------------

  #sizes(register) {
    // Sockets take their sizes in order; one that would overrun the 8 KiB gets nothing (0 bytes).
    const sizes = [];
    let used = 0;
    for (let n = 0; n < SOCKETS; n++) {
      const size = 1024 << ((this.mem[register] >> (2 * n)) & 3);
      sizes.push(used + size <= MEMORY_SIZE ? size : 0);
      used += sizes[n];
    }
    return sizes;
  }

  txSize(n) { return this.#sizes(0x001b)[n]; }
  rxSize(n) { return this.#sizes(0x001a)[n]; }
  txBase(n) { return TX_MEMORY + this.#sizes(0x001b).slice(0, n).reduce((a, b) => a + b, 0); }
  rxBase(n) { return RX_MEMORY + this.#sizes(0x001a).slice(0, n).reduce((a, b) => a + b, 0); }

  #sn(n, offset) { return this.mem[0x0400 + n * 0x100 + offset]; }
  #sn16(n, offset) { return (this.#sn(n, offset) << 8) | this.#sn(n, offset + 1); }
  #setSn16(n, offset, value) {
    this.mem[0x0400 + n * 0x100 + offset] = (value >> 8) & 0xff;
    this.mem[0x0400 + n * 0x100 + offset + 1] = value & 0xff;
  }

  status(n) { return this.#sn(n, SN.SR); }
  #setStatus(n, value) { this.mem[0x0400 + n * 0x100 + SN.SR] = value; }
  #raise(n, bits) {
    this.mem[0x0400 + n * 0x100 + SN.IR] |= bits;
    this.#updateInterrupt();
  }

  // Free TX space: what SEND has not yet taken from the ring (TX_WR as of the last SEND counts as used).
  txFree(n) {
    const s = this.sockets[n];
    const size = this.txSize(n);
    if (!this.#isOpen(n)) return size;
    const used = (s.txCommitted - s.txRd) & 0xffff;
    return Math.max(0, size - used);
  }

  // Received bytes not yet released by a RECV command (the value moves while data arrives).
  rxReceived(n) {
    const s = this.sockets[n];
    return (s.rxWr - s.rxRd) & 0xffff;
  }

  rxSpace(n) { return this.rxSize(n) - this.rxReceived(n); }

  #copyIn(n, bytes) {
    const s = this.sockets[n];
    const base = this.rxBase(n);
    const mask = this.rxSize(n) - 1;
    for (const byte of bytes) {
      this.mem[base + (s.rxWr & mask)] = byte;
      s.rxWr = (s.rxWr + 1) & 0xffff;
    }
  }

  #copyOut(n, from, length) {
    const base = this.txBase(n);
    const mask = this.txSize(n) - 1;
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.mem[base + ((from + i) & mask)];
    return out;
  }

  // --- commands ---------------------------------------------------------------------------------------------

  // Sn_CR reads 0 once the chip has taken the command; the model takes it at once. A command the socket's
  // state does not allow is ignored (the state does not change), as the chip does.
  #command(n, command) {
    this.mem[0x0400 + n * 0x100 + SN.CR] = 0;
    const status = this.status(n);
    switch (command) {
      case CR.OPEN: return this.#open(n);
      case CR.CLOSE: return this.#close(n);
      case CR.CONNECT: if (status === SR.INIT) this.#connect(n); return;
      case CR.DISCON: return this.#disconnect(n, status);
      case CR.SEND: return this.#send(n, status);
      case CR.RECV: return this.#recv(n, status);
      case CR.LISTEN: if (status === SR.INIT) this.#setStatus(n, SR.LISTEN); return;  // no inbound connections here
      default: this.log(`W5100S: socket ${n} command 0x${command.toString(16)} ignored`);
    }
  }

  #open(n) {
    this.#close(n);
    const protocol = this.#sn(n, SN.MR) & SN_MR_PROTOCOL;
    const opened = { 0x01: SR.INIT, 0x02: SR.UDP, 0x03: SR.IPRAW, 0x04: n === 0 ? SR.MACRAW : SR.CLOSED }[protocol];
    const s = this.sockets[n];
    s.txRd = 0; s.txCommitted = 0; s.rxWr = 0; s.rxRd = 0;
    this.#setSn16(n, SN.TX_WR, 0);
    this.#setSn16(n, SN.RX_RD, 0);
    this.#setStatus(n, opened ?? SR.CLOSED);
  }

  #close(n) {
    const s = this.sockets[n];
    for (const cancel of s.timers) cancel();
    s.timers.clear();
    s.link?.abort();
    s.link = null;
    this.#setStatus(n, SR.CLOSED);
  }

  #isOpen(n) { return this.status(n) !== SR.CLOSED; }

  #after(n, nanos, fn) {
    const s = this.sockets[n];
    const cancel = this.scheduler.after(nanos, () => {
      s.timers.delete(cancel);
      fn();
    });
    s.timers.add(cancel);
  }

  // ARP timeout: RTR x (RCR + 1), RTR in 100 µs units.
  arpTimeoutNanos() {
    const rtr = (this.mem[0x0017] << 8) | this.mem[0x0018];
    return rtr * 100_000 * (this.mem[0x0019] + 1);
  }

  // The next hop for `ip`: itself on our subnet, else the gateway; null when nothing would answer ARP.
  #resolve(ip) {
    if (!this.linkUp) return null;
    if (ip === 0xffffffff) return ip;
    const own = this.#ip32(0x000f);
    const mask = this.#ip32(0x0005);
    const hop = mask !== 0 && ((ip ^ own) & mask) === 0 ? ip : this.#ip32(0x0001);
    if (hop === 0 || !this.lan?.arp(ipText(hop))) return null;
    return hop;
  }

  #ip32(address) {
    return ((this.mem[address] << 24) | (this.mem[address + 1] << 16) | (this.mem[address + 2] << 8) |
      this.mem[address + 3]) >>> 0;
  }

  #connect(n) {
    this.#setStatus(n, SR.SYNSENT);
    const peer = this.#ip32(0x0400 + n * 0x100 + SN.DIPR);
    const hop = this.#resolve(peer);
    if (hop === null) {
      this.#after(n, this.arpTimeoutNanos(), () => this.#timeout(n));
      return;
    }
    const endpoints = { srcIp: ipText(this.#ip32(0x000f)), srcPort: this.#sn16(n, SN.PORT), dstIp: ipText(peer),
      dstPort: this.#sn16(n, SN.DPORT) };
    this.sockets[n].link = new TcpLink(this, n, endpoints, this.lan);
    this.#after(n, tcpTimeoutNanos(this), () => {
      if (this.status(n) === SR.SYNSENT) this.#timeout(n);
    });
  }

  #timeout(n) {
    this.#close(n);
    this.#raise(n, SN_IR.TIMEOUT);
  }

  #disconnect(n, status) {
    const s = this.sockets[n];
    if (status === SR.ESTABLISHED) this.#setStatus(n, SR.FIN_WAIT);
    else if (status === SR.CLOSE_WAIT) this.#setStatus(n, SR.LAST_ACK);
    else if (status === SR.SYNSENT) return this.#close(n);
    else return;
    s.link?.finish();
    this.#after(n, tcpTimeoutNanos(this), () => this.#timeout(n));
  }

  #send(n, status) {
    const s = this.sockets[n];
    const wr = this.#sn16(n, SN.TX_WR);
    const length = (wr - s.txRd) & 0xffff;
    if (length > this.txSize(n)) {
      this.log(`W5100S: socket ${n} SEND of ${length} bytes exceeds its ${this.txSize(n)}-byte TX buffer; ignored`);
      return;
    }
    const data = this.#copyOut(n, s.txRd, length);
    s.txCommitted = wr;
    if (status === SR.UDP) return this.#sendUdp(n, data, wr);
    if (status === SR.ESTABLISHED || status === SR.CLOSE_WAIT) {
      s.link.write(data);
      this.#after(n, LOCAL_DELAY_NANOS + length * 80, () => {
        s.txRd = wr;
        this.#raise(n, SN_IR.SENDOK);
      });
      return;
    }
    s.txCommitted = s.txRd;  // not a state that sends: nothing taken
  }

  #sendUdp(n, data, wr) {
    const s = this.sockets[n];
    const dst = this.#ip32(0x0400 + n * 0x100 + SN.DIPR);
    const hop = this.#resolve(dst);
    if (hop === null) {
      this.#after(n, this.arpTimeoutNanos(), () => {
        s.txRd = wr;
        this.#raise(n, SN_IR.TIMEOUT);  // the datagram is dropped; the socket stays open
      });
      return;
    }
    this.#after(n, LOCAL_DELAY_NANOS + data.length * 80, () => {
      s.txRd = wr;
      this.lan.sendUdp({ srcIp: ipText(this.#ip32(0x000f)), srcPort: this.#sn16(n, SN.PORT), dstIp: ipText(dst),
        dstPort: this.#sn16(n, SN.DPORT), payload: data });
      this.#raise(n, SN_IR.SENDOK);
    });
  }

  // RECV: the host has read up to RX_RD; that space is free again. RECV is raised again if data remains.
  #recv(n, status) {
    const s = this.sockets[n];
    const rd = this.#sn16(n, SN.RX_RD);
    if (((rd - s.rxRd) & 0xffff) > this.rxReceived(n)) {
      this.log(`W5100S: socket ${n} RECV moves RX_RD past the received data; clamped`);
      s.rxRd = s.rxWr;
    } else {
      s.rxRd = rd;
    }
    if (status === SR.ESTABLISHED || status === SR.CLOSE_WAIT || status === SR.FIN_WAIT) s.link?.drain();
    if (this.rxReceived(n) > 0) this.#raise(n, SN_IR.RECV);
  }

  // --- traffic from the LAN ---------------------------------------------------------------------------------

  // A datagram for us: taken by the UDP socket bound to dstPort if it is addressed to our IP or a broadcast
  // and fits whole (header + payload) in the socket's free RX space; otherwise dropped, as the chip does.
  deliverUdp({ srcIp, srcPort, dstIp, dstPort, payload }) {
    if (this.inReset || !this.linkUp) return false;
    const dst = ipFromText(dstIp);
    const own = this.#ip32(0x000f);
    const mask = this.#ip32(0x0005);
    const broadcast = dst === 0xffffffff || (mask !== 0 && mask !== 0xffffffff && dst === ((own | ~mask) >>> 0));
    if (dst !== own && !broadcast) return false;
    for (let n = 0; n < SOCKETS; n++) {
      if (this.status(n) !== SR.UDP || this.#sn16(n, SN.PORT) !== dstPort) continue;
      if (this.rxSpace(n) < UDP_HEADER + payload.length) return false;
      const src = ipFromText(srcIp);
      const header = [src >>> 24, (src >> 16) & 0xff, (src >> 8) & 0xff, src & 0xff, srcPort >> 8, srcPort & 0xff,
        payload.length >> 8, payload.length & 0xff];
      this.#copyIn(n, header);
      this.#copyIn(n, payload);
      this.#raise(n, SN_IR.RECV);
      return true;
    }
    return false;
  }

  // TcpLink callbacks (w5100s-tcp.mjs): the peer's answers.
  tcpConnected(n) {
    if (this.status(n) !== SR.SYNSENT) return;
    this.#setStatus(n, SR.ESTABLISHED);
    this.#raise(n, SN_IR.CON);
  }

  // Stores what fits; returns how many bytes were taken (the rest stays with the link: TCP window closed).
  tcpData(n, bytes) {
    const take = Math.min(bytes.length, this.rxSpace(n));
    if (take > 0) {
      this.#copyIn(n, bytes.subarray(0, take));
      this.#raise(n, SN_IR.RECV);
    }
    return take;
  }

  tcpPeerFinished(n) {
    const status = this.status(n);
    if (status === SR.ESTABLISHED) {
      this.#setStatus(n, SR.CLOSE_WAIT);
      this.#raise(n, SN_IR.DISCON);
    } else if (status === SR.FIN_WAIT || status === SR.LAST_ACK) {
      this.sockets[n].link = null;
      this.#close(n);
      this.#raise(n, SN_IR.DISCON);
    }
  }

  tcpReset(n) {
    const status = this.status(n);
    this.sockets[n].link = null;
    if (status === SR.CLOSED || status === SR.UDP) return;
    this.#close(n);
    if (status !== SR.SYNSENT) this.#raise(n, SN_IR.DISCON);  // refused during SYNSENT: just CLOSED
  }

  // Ends every connection (the harness is stopping): nothing of the board outlives the run.
  shutdown() {
    for (let n = 0; n < SOCKETS; n++) this.#close(n);
  }

  // --- interrupts, reset, counters --------------------------------------------------------------------------

  #socketInterruptBits() {
    let bits = 0;
    for (let n = 0; n < SOCKETS; n++) if (this.#sn(n, SN.IR) & this.#sn(n, SN.IMR)) bits |= 1 << n;
    return bits;
  }

  #updateInterrupt() {
    const pending = ((this.mem[IR] & 0xf0) | this.#socketInterruptBits()) & this.mem[0x0016];
    const asserted = !this.inReset && (this.mem[MR2] & MR2_DEFAULT) !== 0 && pending !== 0;
    if (asserted !== this.intAsserted) {
      this.intAsserted = asserted;
      this.onInterrupt(asserted);
    }
  }

  #tcntr() {
    return Math.floor((this.scheduler.nowNanos() - this.tcntBase) / 100_000) & 0xffff;
  }

  #resetRegisters() {
    for (const s of this.sockets ?? []) {
      for (const cancel of s.timers) cancel();
      s.timers.clear();
      s.link?.abort();
      s.link = null;
      s.txRd = 0; s.txCommitted = 0; s.rxWr = 0; s.rxRd = 0;
    }
    this.mem.fill(0, 0, 0x0800);
    for (const [address, value] of COMMON_RESET) this.mem[address] = value;
    this.mem[0x0080] = VERSION;
    this.mem[MR2] = MR2_DEFAULT;
    for (let n = 0; n < SOCKETS; n++) {
      const base = 0x0400 + n * 0x100;
      this.mem.fill(0xff, base + SN.DHAR, base + SN.DHAR + 6);
      this.mem[base + SN.MSSR] = 0xff; this.mem[base + SN.MSSR + 1] = 0xff;
      this.mem[base + SN.TTL] = 0x80;
      this.mem[base + SN.IMR] = 0xff;
      this.mem[base + SN.FRAGR] = 0x40;
    }
    this.tcntBase = this.scheduler?.nowNanos() ?? 0;
    this.intAsserted = false;
    this.onInterrupt?.(false);
  }
}

export function ipFromText(text) {
  return text.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}
