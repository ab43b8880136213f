// Link fault injection: the --fault grammar, and what a pulled cable does to the chip and its peers.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseFault, scheduleFaults } from '../src/link-faults.mjs';
import { makeChip } from './w5100s-harness.mjs';

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
