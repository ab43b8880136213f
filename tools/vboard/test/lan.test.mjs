// The virtual LAN's services (DHCP, DNS, SNTP) as a client sees them, and the loopback TCP bridge carried
// through the W5100S model.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';

import { parseDhcp } from '../src/lan/dhcp-server.mjs';
import { parseBridge } from '../src/lan/tcp-bridge.mjs';
import { LAN, parseHost, VirtualLan } from '../src/lan/virtual-lan.mjs';
import { ntpTimestamp, ntpToUnixMs } from '../src/lan/sntp-server.mjs';
import { Rosc } from '../src/rosc.mjs';
import { W5100S } from '../src/w5100s.mjs';
import { ManualScheduler, SpiHost } from './w5100s-harness.mjs';

function dhcpRequest(type, { xid = 0x11223344, extra = [] } = {}) {
  const head = Buffer.alloc(240);
  head[0] = 1; head[1] = 1; head[2] = 6;
  head.writeUInt32BE(xid, 4);
  head.writeUInt16BE(0x8000, 10);
  Buffer.from([2, 0, 0, 0, 0, 1]).copy(head, 28);
  head.writeUInt32BE(0x63825363, 236);
  return Buffer.concat([head, Buffer.from([53, 1, type, ...extra, 255])]);
}

function lanWithInbox(options = {}) {
  const scheduler = new ManualScheduler();
  const lan = new VirtualLan({ scheduler, now: () => Date.UTC(2026, 11, 3, 12, 0, 0, 500), ...options });
  const inbox = [];
  lan.attach({ deliverUdp: (d) => inbox.push(d) });
  const ask = (dstIp, dstPort, payload, srcPort = 40000) => {
    lan.sendUdp({ srcIp: '192.0.2.10', srcPort, dstIp, dstPort, payload });
    scheduler.advance(1e6);
    return inbox.pop();
  };
  return { lan, ask, inbox };
}

test('DHCP: DISCOVER → OFFER of 192.0.2.10; REQUEST → ACK with mask, router, DNS, NTP (42), lease, T1/T2', () => {
  const { ask } = lanWithInbox({ leaseS: 600 });
  const offer = ask('255.255.255.255', 67, dhcpRequest(1), 68);
  assert.equal(offer.dstIp, '255.255.255.255');
  assert.equal(offer.dstPort, 68);
  const o = offer.payload;
  assert.equal(o[0], 2);
  assert.equal(o.readUInt32BE(4), 0x11223344);
  assert.equal([...o.subarray(16, 20)].join('.'), LAN.board);
  assert.ok(o.length >= 300);
  const parsedOffer = parseDhcp(Buffer.concat([Buffer.from([1]), o.subarray(1)]));
  assert.equal(parsedOffer.type, 2);
  const ack = ask('255.255.255.255', 67, dhcpRequest(3, { extra: [50, 4, 192, 0, 2, 10, 54, 4, 192, 0, 2, 1] }), 68);
  const options = parseDhcp(Buffer.concat([Buffer.from([1]), ack.payload.subarray(1)])).options;
  assert.equal(options.get(53)[0], 5);
  assert.deepEqual([...options.get(1)], [255, 255, 255, 0]);
  assert.deepEqual([...options.get(3)], [192, 0, 2, 1]);
  assert.deepEqual([...options.get(6)], [192, 0, 2, 53]);
  assert.deepEqual([...options.get(42)], [192, 0, 2, 123]);
  assert.equal(options.get(51).readUInt32BE(0), 600);
  assert.equal(options.get(58).readUInt32BE(0), 300);
  assert.equal(options.get(59).readUInt32BE(0), 525);
  assert.deepEqual([...options.get(54)], [192, 0, 2, 1]);
});

test('DHCP: REQUEST for another address → NAK; a reply (op 2) or garbage gets no answer', () => {
  const { ask } = lanWithInbox();
  const nak = ask('255.255.255.255', 67, dhcpRequest(3, { extra: [50, 4, 192, 0, 2, 77] }), 68);
  assert.equal(parseDhcp(Buffer.concat([Buffer.from([1]), nak.payload.subarray(1)])).type, 6);
  const reply = dhcpRequest(1);
  reply[0] = 2;
  assert.equal(ask('255.255.255.255', 67, reply, 68), undefined);
  assert.equal(ask('255.255.255.255', 67, Buffer.alloc(20), 68), undefined);
});

function dnsQuery(name, id = 0x4242) {
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  const q = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
  return q;
}

test('DNS: a configured name → one A record (pointer to the question); unknown → NXDOMAIN', () => {
  const { ask } = lanWithInbox({ hosts: [parseHost('LocalHost=192.0.2.20')] });
  const a = ask(LAN.dns, 53, dnsQuery('localhost')).payload;
  assert.equal(a.readUInt16BE(0), 0x4242);
  assert.equal(a.readUInt16BE(2) & 0x800f, 0x8000);
  assert.equal(a.readUInt16BE(6), 1);
  const answer = a.subarray(12 + 11 + 4);
  assert.equal(answer.readUInt16BE(0), 0xc00c);
  assert.equal(answer.readUInt16BE(2), 1);
  assert.deepEqual([...answer.subarray(12, 16)], [192, 0, 2, 20]);
  const nx = ask(LAN.dns, 53, dnsQuery('example.com')).payload;
  assert.equal(nx.readUInt16BE(2) & 0xf, 3);
  assert.equal(nx.readUInt16BE(6), 0);
});

test('SNTP: mode 4, stratum 1, originate = the client transmit stamp, host time plus skew', () => {
  const { ask, lan } = lanWithInbox({ sntpSkewMs: -5000 });
  const request = Buffer.alloc(48);
  request[0] = 0x23;
  Buffer.from('12345678').copy(request, 40);
  const r = ask(LAN.ntp, 123, request).payload;
  assert.equal(r[0] & 7, 4);
  assert.equal((r[0] >> 3) & 7, 4);
  assert.equal(r[1], 1);
  assert.equal(r.subarray(24, 32).toString(), '12345678');
  assert.equal(ntpToUnixMs(r, 40), Date.UTC(2026, 11, 3, 11, 59, 55, 500));
  assert.equal(ntpToUnixMs(ntpTimestamp(0), 0), 0);
  lan.sntp.silent = true;
  assert.equal(ask(LAN.ntp, 123, request), undefined);
});

test('only the LAN services, named hosts and bridges answer ARP', () => {
  const { lan } = lanWithInbox({ hosts: [['hub', '192.0.2.20']], bridges: [parseBridge('192.0.2.30:1=127.0.0.1:2')] });
  for (const ip of ['192.0.2.1', '192.0.2.53', '192.0.2.123', '192.0.2.20', '192.0.2.30']) assert.equal(lan.arp(ip), true);
  assert.equal(lan.arp('192.0.2.99'), false);
});

test('bridges only to loopback targets and only from 192.0.2.0/24', () => {
  assert.deepEqual(parseBridge('192.0.2.20:8883=127.0.0.1:40001'),
    { ip: '192.0.2.20', port: 8883, target: { host: '127.0.0.1', port: 40001 } });
  assert.throws(() => parseBridge('192.0.2.20:8883=10.0.0.1:8883'), /loopback/);
  assert.throws(() => parseBridge('192.0.2.20:8883=example.com:8883'), /loopback/);
  assert.throws(() => parseBridge('10.0.0.5:8883=127.0.0.1:8883'), /192\.0\.2/);
  assert.throws(() => parseHost('hub=10.1.1.1'), /NAME=192\.0\.2\.X/);
});

test('TCP through the chip and the bridge to a loopback echo server: connect, echo, close both ways', async () => {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('data', (d) => socket.write(Buffer.from(d.toString().toUpperCase())));
    socket.on('end', () => socket.end());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const scheduler = new ManualScheduler();
  const lan = new VirtualLan({ scheduler, bridges: [parseBridge(`192.0.2.20:8883=127.0.0.1:${port}`)] });
  const chip = new W5100S({ scheduler, lan });
  lan.attach(chip);
  const spi = new SpiHost(chip);
  const until = async (condition) => {
    for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(condition());
  };
  spi.configure();
  spi.write8(spi.sock(0, 0x00), 0x01);
  spi.write16(spi.sock(0, 0x04), 50000);
  spi.command(0, 0x01);
  spi.write(spi.sock(0, 0x0c), [192, 0, 2, 20]);
  spi.write16(spi.sock(0, 0x10), 8883);
  assert.equal(lan.realTime, false, 'no real-time peer before the first bridged connection');
  spi.command(0, 0x04);
  assert.equal(lan.busy, true);
  assert.equal(lan.realTime, true);
  await until(() => spi.read8(spi.sock(0, 0x03)) === 0x17);
  spi.send(0, Buffer.from('ping'), { base: 0x4000, size: 2048 });
  await until(() => spi.read16(spi.sock(0, 0x26)) === 4);
  assert.equal(spi.receive(0, 4, { base: 0x6000, size: 2048 }).toString(), 'PING');
  spi.command(0, 0x08);  // DISCON: our FIN, the server answers with its own
  await until(() => spi.read8(spi.sock(0, 0x03)) === 0x00);
  assert.equal(spi.read8(spi.sock(0, 0x02)) & 0x02, 0x02);
  await until(() => !lan.busy);
  assert.equal(lan.realTime, true, 'paced from the first bridged connection on');
  await new Promise((resolve) => server.close(resolve));
});

test('ROSC RANDOMBIT: host randomness (both values, roughly balanced) or stuck at 1 on request', () => {
  const random = new Rosc();
  let ones = 0;
  for (let i = 0; i < 4096; i++) ones += random.readUint32(0x1c);
  assert.ok(ones > 1800 && ones < 2300, `ones = ${ones}`);
  const stuck = new Rosc({ stuck: true });
  for (let i = 0; i < 100; i++) assert.equal(stuck.readUint32(0x1c), 1);
  assert.equal(random.readUint32(0x18) >>> 31, 1, 'STATUS.STABLE');
});
