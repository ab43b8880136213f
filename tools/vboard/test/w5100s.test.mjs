// The W5100S model against the datasheet facts (shared reference §3), driven only by SPI frames.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { makeChip } from './w5100s-harness.mjs';

const S0 = { base: 0x4000, size: 2048 };
const R0 = { base: 0x6000, size: 2048 };
const SR = 0x03, IRn = 0x02, FSR = 0x20, RSR = 0x26;

test('VERSIONR reads 0x51, MR 0x03 after reset; MR.RST self-clears and restores every register', () => {
  const { spi } = makeChip();
  assert.equal(spi.read8(0x0080), 0x51);
  assert.equal(spi.read8(0x0000), 0x03);
  spi.write8(0x0000, 0x13);
  assert.equal(spi.read8(0x0000), 0x13);
  spi.configure();
  spi.write16(0x0017, 0x1234);
  spi.write8(0x0000, 0x80);
  assert.equal(spi.read8(0x0000), 0x03);
  assert.deepEqual(spi.read(0x0001, 18), new Array(18).fill(0));
  assert.equal(spi.read16(0x0017), 0x07d0, 'RTR back to 200 ms');
  assert.equal(spi.read8(0x0019), 8, 'RCR back to 8');
  assert.equal(spi.read8(0x001a), 0x55);
  assert.equal(spi.read8(0x001b), 0x55);
});

test('a burst frame moves the address per byte; read-only registers ignore writes', () => {
  const { spi } = makeChip();
  spi.configure();
  assert.deepEqual(spi.read(0x0001, 4), [192, 0, 2, 1]);
  assert.deepEqual(spi.read(0x0005, 4), [255, 255, 255, 0]);
  assert.deepEqual(spi.read(0x0009, 6), [2, 0, 0, 0, 0, 1]);
  assert.deepEqual(spi.read(0x000f, 4), [192, 0, 2, 10]);
  spi.write8(0x0080, 0x00);
  assert.equal(spi.read8(0x0080), 0x51);
  spi.write8(spi.sock(1, SR), 0x17);
  assert.equal(spi.read8(spi.sock(1, SR)), 0x00);
});

test('an unknown opcode and bytes outside a CSn-low frame do nothing', () => {
  const { chip, spi } = makeChip();
  chip.select();
  for (const b of [0x55, 0x00, 0x01, 0xaa]) chip.transfer(b);
  chip.deselect();
  assert.equal(chip.transfer(0x0f), 0);
  assert.deepEqual(spi.read(0x0001, 1), [0]);
});

test('PHYSR.LNK follows the link', () => {
  const { chip, spi } = makeChip();
  assert.equal(spi.read8(0x003c) & 1, 1);
  chip.setLink(false);
  assert.equal(spi.read8(0x003c) & 1, 0);
});

test('RSTn low holds the chip: SPI reads 0 and registers come back at reset values', () => {
  const { chip, spi } = makeChip();
  spi.configure();
  chip.setResetPin(false);
  assert.equal(spi.read8(0x0080), 0);
  chip.setResetPin(true);
  assert.equal(spi.read8(0x0080), 0x51);
  assert.deepEqual(spi.read(0x000f, 4), [0, 0, 0, 0]);
});

test('RMSR/TMSR give per-socket sizes in order, capped at 8 KiB; Sn_TXBUF_SIZE is the same setting', () => {
  const { spi } = makeChip();
  spi.write8(0x001b, 0b00_00_10_01);  // S0 2K, S1 4K, S2 1K, S3 1K
  for (const [n, kib] of [[0, 2], [1, 4], [2, 1], [3, 1]]) {
    assert.equal(spi.read8(spi.sock(n, 0x1f)), kib);
    assert.equal(spi.read16(spi.sock(n, FSR)), kib * 1024);
  }
  spi.write8(0x001b, 0b00_00_00_11);  // S0 8K: the others get nothing
  assert.equal(spi.read16(spi.sock(0, FSR)), 8192);
  assert.equal(spi.read16(spi.sock(1, FSR)), 0);
  spi.write8(spi.sock(0, 0x1f), 2);  // per-socket view writes back into TMSR
  assert.equal(spi.read8(0x001b), 0b00_00_00_01);
  spi.write8(spi.sock(2, 0x1e), 4);
  assert.equal(spi.read8(0x001a), 0b01_10_01_01);
});

test('Sn_CR reads 0 after every command; OPEN puts UDP in 0x22 and TCP in INIT 0x13; CLOSE → 0x00', () => {
  const { spi } = makeChip();
  spi.openUdp(1, 68);
  assert.equal(spi.read8(spi.sock(1, 0x01)), 0);
  assert.equal(spi.read8(spi.sock(1, SR)), 0x22);
  spi.write8(spi.sock(0, 0x00), 0x01);
  spi.command(0, 0x01);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x13);
  spi.command(0, 0x10);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x00);
  spi.write8(spi.sock(2, 0x00), 0x04);  // MACRAW only exists on socket 0
  spi.command(2, 0x01);
  assert.equal(spi.read8(spi.sock(2, SR)), 0x00);
});

test('UDP SEND: broadcast goes without ARP; SENDOK after it left; TX_RD follows; the data wraps in the ring', () => {
  const { spi, lan, scheduler } = makeChip();
  spi.openUdp(1, 68);
  const S1 = { base: 0x4800, size: 2048 };
  spi.write(spi.sock(1, 0x0c), [255, 255, 255, 255]);
  spi.write16(spi.sock(1, 0x10), 67);
  const first = Buffer.alloc(2000, 0xa5);
  spi.send(1, first, S1);
  assert.equal(spi.read16(spi.sock(1, FSR)), 48, 'the bytes handed to SEND are not free until sent');
  scheduler.advance(1_000_000);
  assert.equal(spi.read8(spi.sock(1, IRn)) & 0x10, 0x10);
  assert.equal(spi.read16(spi.sock(1, 0x22)), 2000);
  assert.equal(spi.read16(spi.sock(1, FSR)), 2048);
  spi.write8(spi.sock(1, IRn), 0x10);
  assert.equal(spi.read8(spi.sock(1, IRn)), 0);
  const second = Buffer.from(Array.from({ length: 100 }, (_, i) => i));  // crosses 2048 → starts again at base
  spi.send(1, second, S1);
  scheduler.advance(1_000_000);
  assert.equal(lan.udp.length, 2);
  assert.deepEqual(lan.udp[1], { srcIp: '0.0.0.0', srcPort: 68, dstIp: '255.255.255.255', dstPort: 67,
    payload: second });
});

test('UDP SEND to a host that does not answer ARP: TIMEOUT after RTR x (RCR + 1), nothing sent', () => {
  const { spi, lan, scheduler } = makeChip([]);
  spi.configure();
  spi.openUdp(2, 5000);
  spi.write(spi.sock(2, 0x0c), [192, 0, 2, 99]);
  spi.write16(spi.sock(2, 0x10), 53);
  spi.send(2, Buffer.from('x'), { base: 0x5000, size: 2048 });
  scheduler.advance(1_799_000_000);
  assert.equal(spi.read8(spi.sock(2, IRn)), 0);
  scheduler.advance(2_000_000);
  assert.equal(spi.read8(spi.sock(2, IRn)), 0x08);
  assert.equal(spi.read8(spi.sock(2, SR)), 0x22, 'a UDP socket stays open');
  assert.equal(lan.udp.length, 0);
});

test('UDP SEND off-subnet goes through the gateway, which must answer ARP', () => {
  const { spi, lan, scheduler } = makeChip(['192.0.2.1']);
  spi.configure();
  spi.openUdp(3, 123);
  spi.write(spi.sock(3, 0x0c), [198, 51, 100, 7]);
  spi.write16(spi.sock(3, 0x10), 123);
  spi.send(3, Buffer.from('ntp'), { base: 0x5800, size: 2048 });
  scheduler.advance(1_000_000);
  assert.equal(lan.udp[0].dstIp, '198.51.100.7');
});

test('UDP RECV framing: 8-byte header per datagram, RSR counts headers, RECV frees, wrap at the ring end', () => {
  const { chip, spi } = makeChip();
  spi.configure();
  spi.openUdp(0, 68);
  const datagram = (payload) => ({ srcIp: '192.0.2.1', srcPort: 67, dstIp: '192.0.2.10', dstPort: 68, payload });
  assert.equal(chip.deliverUdp(datagram(Buffer.alloc(1500, 1))), true);
  assert.equal(chip.deliverUdp(datagram(Buffer.from('hello'))), true);
  assert.equal(spi.read16(spi.sock(0, RSR)), 8 + 1500 + 8 + 5);
  assert.equal(spi.read8(spi.sock(0, IRn)) & 0x04, 0x04);
  assert.equal(chip.deliverUdp(datagram(Buffer.alloc(600))), false, 'does not fit whole: dropped');
  const header = spi.receive(0, 8 + 1500, R0);
  assert.deepEqual([...header.subarray(0, 8)], [192, 0, 2, 1, 0, 67, 1500 >> 8, 1500 & 0xff]);
  spi.write8(spi.sock(0, IRn), 0x04);
  assert.equal(spi.read16(spi.sock(0, RSR)), 13);
  assert.equal(spi.read8(spi.sock(0, IRn)) & 0x04, 0, 'cleared; not raised again until the next RECV');
  assert.equal(chip.deliverUdp(datagram(Buffer.alloc(600, 7))), true, 'fits now, wrapping past 2048');
  const hello = spi.receive(0, 13, R0);
  assert.equal(hello.subarray(8).toString(), 'hello');
  assert.equal(spi.read8(spi.sock(0, IRn)) & 0x04, 0x04, 'RECV with data left raises RECV again');
  const wrapped = spi.receive(0, 608, R0);
  assert.deepEqual([...wrapped.subarray(6, 8)], [600 >> 8, 600 & 0xff]);
  assert.ok(wrapped.subarray(8).every((b) => b === 7));
  assert.equal(spi.read16(spi.sock(0, RSR)), 0);
});

test('UDP delivery: only to our IP or a broadcast, only on the bound port', () => {
  const { chip, spi } = makeChip();
  spi.configure();
  spi.openUdp(1, 53000);
  const to = (dstIp, dstPort) => chip.deliverUdp({ srcIp: '192.0.2.53', srcPort: 53, dstIp, dstPort,
    payload: Buffer.from('a') });
  assert.equal(to('192.0.2.11', 53000), false);
  assert.equal(to('192.0.2.10', 53001), false);
  assert.equal(to('192.0.2.255', 53000), true);
  assert.equal(to('192.0.2.10', 53000), true);
});

function tcpOpen(spi, n, ip, port) {
  spi.configure();
  spi.write8(spi.sock(n, 0x00), 0x01);
  spi.write16(spi.sock(n, 0x04), 50000);
  spi.command(n, 0x01);
  spi.write(spi.sock(n, 0x0c), ip);
  spi.write16(spi.sock(n, 0x10), port);
  return spi.command(n, 0x04);
}

test('TCP: CONNECT → SYNSENT → ESTABLISHED + CON; SEND → SENDOK and the peer gets the bytes', () => {
  const { spi, lan, scheduler } = makeChip(['192.0.2.1', '192.0.2.20']);
  assert.equal(tcpOpen(spi, 0, [192, 0, 2, 20], 8883), 0);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x15);
  const peer = lan.tcp[0];
  assert.deepEqual(peer.endpoints, { srcIp: '192.0.2.10', srcPort: 50000, dstIp: '192.0.2.20', dstPort: 8883 });
  peer.events.connected();
  assert.equal(spi.read8(spi.sock(0, SR)), 0x17);
  assert.equal(spi.read8(spi.sock(0, IRn)), 0x01);
  spi.send(0, Buffer.from('hello hub'), S0);
  assert.equal(Buffer.concat(peer.written).toString(), 'hello hub');
  scheduler.advance(1_000_000);
  assert.equal(spi.read8(spi.sock(0, IRn)) & 0x10, 0x10);
});

test('TCP: data larger than the RX ring waits with the peer paused until RECV makes room', () => {
  const { spi, lan } = makeChip(['192.0.2.20']);
  tcpOpen(spi, 0, [192, 0, 2, 20], 8883);
  const peer = lan.tcp[0];
  peer.events.connected();
  const big = Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xff));
  peer.events.data(big);
  assert.equal(spi.read16(spi.sock(0, RSR)), 2048);
  assert.equal(peer.paused, true);
  const got = [];
  while (got.length < 5000) got.push(...spi.receive(0, spi.read16(spi.sock(0, RSR)), R0));
  assert.deepEqual(Buffer.from(got), big);
  assert.equal(peer.paused, false);
});

test('TCP: peer FIN → CLOSE_WAIT + DISCON only after its data; DISCON → LAST_ACK → CLOSED + DISCON', () => {
  const { spi, lan } = makeChip(['192.0.2.20']);
  tcpOpen(spi, 0, [192, 0, 2, 20], 8883);
  const peer = lan.tcp[0];
  peer.events.connected();
  spi.write8(spi.sock(0, IRn), 0xff);
  peer.events.data(Buffer.alloc(3000, 1));
  peer.events.end();
  assert.equal(spi.read8(spi.sock(0, SR)), 0x17, 'data still queued before the FIN');
  spi.receive(0, 2048, R0);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x1c);
  assert.equal(spi.read8(spi.sock(0, IRn)) & 0x02, 0x02);
  spi.receive(0, 952, R0);
  spi.command(0, 0x08);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x1d);
  assert.equal(peer.ended, true);
  spi.write8(spi.sock(0, IRn), 0xff);
  peer.events.end();
  assert.equal(spi.read8(spi.sock(0, SR)), 0x00);
  assert.equal(spi.read8(spi.sock(0, IRn)) & 0x02, 0x02);
});

test('TCP: our DISCON → FIN_WAIT; the peer never answers → TIMEOUT and CLOSED', () => {
  const { spi, lan, scheduler } = makeChip(['192.0.2.20']);
  tcpOpen(spi, 0, [192, 0, 2, 20], 8883);
  lan.tcp[0].events.connected();
  spi.command(0, 0x08);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x18);
  scheduler.advance(32_000_000_000);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x00);
  assert.equal(spi.read8(spi.sock(0, IRn)) & 0x08, 0x08);
});

test('TCP: refused (RST during SYNSENT) → CLOSED without TIMEOUT; reset when established → CLOSED + DISCON', () => {
  const { spi, lan } = makeChip(['192.0.2.20']);
  tcpOpen(spi, 0, [192, 0, 2, 20], 1);
  lan.tcp[0].events.reset();
  assert.equal(spi.read8(spi.sock(0, SR)), 0x00);
  assert.equal(spi.read8(spi.sock(0, IRn)), 0);
  tcpOpen(spi, 0, [192, 0, 2, 20], 8883);
  lan.tcp[1].events.connected();
  lan.tcp[1].events.reset();
  assert.equal(spi.read8(spi.sock(0, SR)), 0x00);
  assert.equal(spi.read8(spi.sock(0, IRn)) & 0x02, 0x02);
});

test('TCP: CONNECT to an address nobody answers ARP for → TIMEOUT after RTR x (RCR + 1), CLOSED', () => {
  const { spi, lan, scheduler } = makeChip([]);
  spi.write16(0x0017, 1000);  // 100 ms
  spi.write8(0x0019, 2);
  tcpOpen(spi, 0, [192, 0, 2, 77], 8883);
  scheduler.advance(299_000_000);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x15);
  scheduler.advance(1_000_000);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x00);
  assert.equal(spi.read8(spi.sock(0, IRn)), 0x08);
  assert.equal(lan.tcp.length, 0);
});

test('CONNECT outside INIT and SEND on a closed socket are ignored', () => {
  const { spi, lan } = makeChip(['192.0.2.20']);
  spi.write(spi.sock(0, 0x0c), [192, 0, 2, 20]);
  spi.command(0, 0x04);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x00);
  spi.send(0, Buffer.from('x'), S0);
  assert.equal(lan.tcp.length + lan.udp.length, 0);
});

test('INTn: asserted while IR & IMR ≠ 0 (socket bits from Sn_IR & Sn_IMR); clearing Sn_IR releases it', () => {
  const { chip, spi, interrupts } = makeChip();
  spi.configure();
  spi.openUdp(2, 68);
  const deliver = () => chip.deliverUdp({ srcIp: '192.0.2.1', srcPort: 67, dstIp: '255.255.255.255', dstPort: 68,
    payload: Buffer.from('x') });
  deliver();
  assert.equal(spi.read8(0x0015) & 0x04, 0x04, 'IR.S2_INT follows Sn_IR (Sn_IMR resets to 0xFF)');
  assert.equal(chip.intAsserted, false, 'IMR is 0 after reset');
  spi.write8(0x0016, 0x04);
  assert.equal(chip.intAsserted, true);
  spi.write8(spi.sock(2, 0x2c), 0x00);
  assert.equal(chip.intAsserted, false, 'masked by Sn_IMR');
  spi.write8(spi.sock(2, 0x2c), 0x04);
  assert.equal(chip.intAsserted, true);
  spi.write8(spi.sock(2, IRn), 0x04);
  assert.equal(chip.intAsserted, false);
  assert.equal(spi.read8(0x0015), 0);
  spi.write8(0x0030, 0x00);  // MR2.G_IEN off: the pin stays released
  deliver();
  assert.equal(chip.intAsserted, false);
  assert.deepEqual(interrupts.filter((v, i) => i === 0 || v !== interrupts[i - 1]).slice(-2), [true, false]);
});

test('TCNTR counts 100 µs ticks; writing TCNTCLKR restarts it', () => {
  const { spi, scheduler } = makeChip();
  scheduler.advance(2_550_000);
  assert.equal(spi.read16(0x0082), 25);
  spi.write8(0x0088, 1);
  scheduler.advance(300_000);
  assert.equal(spi.read16(0x0082), 3);
});
