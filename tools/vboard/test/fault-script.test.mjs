// Fault injection: the --fault grammar, and what each fault does to the chip, the LAN's servers and the bridge.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';

import { parseFault, scheduleFaults } from '../src/fault-script.mjs';
import { parseBridge } from '../src/lan/tcp-bridge.mjs';
import { VirtualLan } from '../src/lan/virtual-lan.mjs';
import { W5100S } from '../src/w5100s.mjs';
import { makeChip, ManualScheduler, SpiHost } from './w5100s-harness.mjs';

const SR = 0x03, IRn = 0x02;

function establish(spi, lan, n) {
  spi.configure();
  spi.write8(spi.sock(n, 0x00), 0x01);
  spi.write16(spi.sock(n, 0x04), 50000 + n);
  spi.command(n, 0x01);
  spi.write(spi.sock(n, 0x0c), [192, 0, 2, 20]);
  spi.write16(spi.sock(n, 0x10), 8883);
  spi.command(n, 0x04);
  lan.tcp.at(-1).events.connected();
  assert.equal(spi.read8(spi.sock(n, SR)), 0x17);
  spi.write8(spi.sock(n, IRn), 0xff);  // clear CON
}

test('--fault link-down@AT:FOR takes ms, s, m or bare seconds; anything else is refused', () => {
  assert.deepEqual(parseFault('link-down@5s:10s'), { kind: 'link-down', atMs: 5000, forMs: 10000 });
  assert.deepEqual(parseFault('link-down@1500ms:1m'), { kind: 'link-down', atMs: 1500, forMs: 60000 });
  assert.deepEqual(parseFault('link-down@2:3'), { kind: 'link-down', atMs: 2000, forMs: 3000 });
  for (const bad of ['link-down', 'link-down@5s', 'link-up@1s:2s', 'link-down@x:1s', 'link-down@1s:-2s'])
    assert.throws(() => parseFault(bad), /--fault/);
});

test('--fault takes every kind with AT, and FOR exactly for the kinds that last', () => {
  assert.deepEqual(parseFault('tcp-reset@12s'), { kind: 'tcp-reset', atMs: 12000 });
  assert.deepEqual(parseFault('hang@20s'), { kind: 'hang', atMs: 20000 });
  assert.deepEqual(parseFault('dns-fail@0:4s'), { kind: 'dns-fail', atMs: 0, forMs: 4000 });
  assert.deepEqual(parseFault('dns-silent@1s:2s'), { kind: 'dns-silent', atMs: 1000, forMs: 2000 });
  assert.deepEqual(parseFault('sntp-silent@0:3s'), { kind: 'sntp-silent', atMs: 0, forMs: 3000 });
  assert.deepEqual(parseFault('hub-unreachable@30s:10s'), { kind: 'hub-unreachable', atMs: 30000, forMs: 10000 });
  assert.throws(() => parseFault('hang@1s:2s'), /hang takes only AT/);
  assert.throws(() => parseFault('tcp-reset@1s:2s'), /only AT/);
  assert.throws(() => parseFault('dns-fail@1s'), /dns-fail takes AT:FOR/);
  assert.throws(() => parseFault('reboot@1s'), /expected one of link-down@AT:FOR, tcp-reset@AT, .*hang@AT/);
});

test('dns-fail, dns-silent and sntp-silent switch the LAN servers for FOR, then back', () => {
  const scheduler = new ManualScheduler();
  const lan = new VirtualLan({ scheduler, hosts: [['hub', '192.0.2.20']] });
  const inbox = [];
  lan.attach({ deliverUdp: (d) => inbox.push(d) });
  const query = Buffer.from('1234010000010000000000000368756200000100 01'.replace(/ /g, ''), 'hex');
  const sntp = Buffer.alloc(48);
  sntp[0] = (4 << 3) | 3;
  const ask = (dstIp, dstPort, payload) => {
    inbox.length = 0;
    lan.sendUdp({ srcIp: '192.0.2.10', srcPort: 40000, dstIp, dstPort, payload });
    scheduler.advance(1e6);
    return inbox[0]?.payload;
  };
  const notes = [];
  scheduleFaults(['dns-fail@10ms:10ms', 'dns-silent@30ms:10ms', 'sntp-silent@50ms:10ms'].map(parseFault),
    { chip: null, lan, scheduler, note: (t) => notes.push(t) });
  assert.equal(ask('192.0.2.53', 53, query)[3] & 0x0f, 0, 'answers before the fault');
  scheduler.advance(10e6);
  assert.equal(ask('192.0.2.53', 53, query)[3] & 0x0f, 2, 'SERVFAIL');
  scheduler.advance(10e6);
  assert.equal(ask('192.0.2.53', 53, query)[3] & 0x0f, 0, 'answers again');
  scheduler.advance(8e6);
  assert.equal(ask('192.0.2.53', 53, query), undefined, 'silent');
  scheduler.advance(10e6);
  assert.ok(ask('192.0.2.53', 53, query));
  assert.equal(ask('192.0.2.123', 123, sntp)[0] & 7, 4);
  scheduler.advance(6e6);
  assert.equal(ask('192.0.2.123', 123, sntp), undefined, 'SNTP silent');
  scheduler.advance(10e6);
  assert.equal(ask('192.0.2.123', 123, sntp)[0] & 7, 4, 'SNTP answers again');
  assert.equal(notes.length, 6);
  assert.match(notes[0], /fault: dns failing \(SERVFAIL\) at 10 ms emulated, for 10 ms/);
  assert.match(notes[5], /fault: sntp answering again/);
});

test('sntp-behind serves a clock 2 h behind for FOR, then the right time', () => {
  const scheduler = new ManualScheduler();
  const wall = 1_800_000_000_000;
  const lan = new VirtualLan({ scheduler, now: () => wall });
  const inbox = [];
  lan.attach({ deliverUdp: (d) => inbox.push(d) });
  const sntp = Buffer.alloc(48);
  sntp[0] = (4 << 3) | 3;
  const seconds = () => {
    inbox.length = 0;
    lan.sendUdp({ srcIp: '192.0.2.10', srcPort: 40000, dstIp: '192.0.2.123', dstPort: 123, payload: sntp });
    scheduler.advance(1e6);
    return inbox[0].payload.readUInt32BE(40);  // transmit timestamp, NTP seconds
  };
  scheduleFaults([parseFault('sntp-behind@10ms:10ms')], { chip: null, lan, scheduler, note: () => {} });
  const right = seconds();
  scheduler.advance(10e6);
  assert.equal(right - seconds(), 7200, '2 h behind during the fault');
  scheduler.advance(10e6);
  assert.equal(seconds(), right, 'the right time again');
});

// A W5100S on a VirtualLan bridged to a loopback server that records what its clients do.
async function bridgedBoard() {
  const events = [];
  const sockets = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    events.push('accepted');
    socket.on('error', (e) => events.push(e.code));
    socket.on('close', () => events.push('closed'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const scheduler = new ManualScheduler();
  const lan = new VirtualLan({ scheduler, bridges: [parseBridge(`192.0.2.20:8883=127.0.0.1:${server.address().port}`)] });
  const chip = new W5100S({ scheduler, lan });
  lan.attach(chip);
  const spi = new SpiHost(chip);
  spi.configure();
  const until = async (condition) => {
    for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(condition());
  };
  const connect = (n) => {
    spi.write8(spi.sock(n, 0x00), 0x01);
    spi.write16(spi.sock(n, 0x04), 50000 + n);
    spi.command(n, 0x01);
    spi.write(spi.sock(n, 0x0c), [192, 0, 2, 20]);
    spi.write16(spi.sock(n, 0x10), 8883);
    spi.write8(spi.sock(n, IRn), 0xff);
    spi.command(n, 0x04);
  };
  const close = () => {
    chip.shutdown();
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  };
  return { chip, lan, spi, scheduler, events, until, connect, close };
}

test('tcp-reset@AT: every bridged connection is reset at both ends once; the link stays up; new ones work', async () => {
  const board = await bridgedBoard();
  const { spi, lan, chip, scheduler, events, until, connect } = board;
  scheduleFaults([parseFault('tcp-reset@5ms')], { chip, lan, scheduler });
  connect(0);
  await until(() => spi.read8(spi.sock(0, SR)) === 0x17 && events.includes('accepted'));
  scheduler.advance(5e6);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x00);
  assert.equal(spi.read8(spi.sock(0, IRn)) & 0x02, 0x02, 'DISCON');
  assert.equal(spi.read8(0x003c) & 1, 1, 'link still up');
  await until(() => events.includes('ECONNRESET'));
  connect(0);
  await until(() => spi.read8(spi.sock(0, SR)) === 0x17);
  assert.equal(lan.stats.tcpOpened, 2);
  await board.close();
});

test('hub-unreachable@AT:FOR: open connections reset at the start, new ones refused (RST) until FOR is over', async () => {
  const board = await bridgedBoard();
  const { spi, lan, chip, scheduler, events, until, connect } = board;
  const notes = [];
  scheduleFaults([parseFault('hub-unreachable@5ms:100ms')], { chip, lan, scheduler, note: (t) => notes.push(t) });
  connect(0);
  await until(() => spi.read8(spi.sock(0, SR)) === 0x17);
  scheduler.advance(5e6);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x00, 'reset at the start');
  await until(() => events.includes('ECONNRESET'));
  connect(1);
  scheduler.advance(1e6);
  assert.equal(spi.read8(spi.sock(1, SR)), 0x00, 'refused: SYNSENT → CLOSED');
  assert.equal(spi.read8(spi.sock(1, IRn)) & 0x0a, 0, 'a refused SYN raises neither CON nor DISCON');
  assert.equal(lan.stats.tcpRefused, 1);
  assert.equal(events.filter((e) => e === 'accepted').length, 1, 'the hub never saw the refused attempt');
  scheduler.advance(100e6);
  connect(1);
  await until(() => spi.read8(spi.sock(1, SR)) === 0x17);
  assert.match(notes.join('\n'), /hub unreachable .*\n.*hub reachable again/);
  await board.close();
});

test('link down: PHYSR.LNK clears, established TCP is reset at both ends (CLOSED + DISCON, peer destroyed)', () => {
  const { chip, spi, lan } = makeChip(['192.0.2.1', '192.0.2.20']);
  establish(spi, lan, 0);
  chip.dropLink();
  assert.equal(spi.read8(0x003c) & 1, 0);
  assert.equal(lan.tcp[0].destroyed, true);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x00);
  assert.equal(spi.read8(spi.sock(0, IRn)) & 0x02, 0x02);
  lan.tcp[0].events.data(Buffer.from('late'));  // nothing from the old peer reaches the socket any more
  assert.equal(spi.read8(spi.sock(0, SR)), 0x00);
});

test('scheduled link-down: down at AT, a CONNECT meanwhile finds no ARP, back up after FOR', () => {
  const { chip, spi, lan, scheduler } = makeChip(['192.0.2.1', '192.0.2.20']);
  const notes = [];
  scheduleFaults([parseFault('link-down@5ms:10ms')], { chip, scheduler, note: (t) => notes.push(t) });
  establish(spi, lan, 0);
  scheduler.advance(4_999_999);
  assert.equal(spi.read8(0x003c) & 1, 1);
  scheduler.advance(1);
  assert.equal(spi.read8(0x003c) & 1, 0);
  assert.equal(spi.read8(spi.sock(0, SR)), 0x00);
  const opened = lan.tcp.length;
  spi.command(0, 0x01);
  spi.write(spi.sock(0, 0x0c), [192, 0, 2, 20]);
  spi.write16(spi.sock(0, 0x10), 8883);
  spi.command(0, 0x04);
  assert.equal(lan.tcp.length, opened, 'no peer is reached while the link is down');
  scheduler.advance(10_000_000);
  assert.equal(spi.read8(0x003c) & 1, 1);
  assert.equal(notes.length, 2);
  assert.match(notes[0], /link down/);
  assert.match(notes[1], /link up/);
});
