// Emulated time while the core sleeps: it jumps to the next alarm, except while the board waits on a bridged
// connection (realtimeGate): then it may not run ahead of the wall clock from the start of the sleep.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { VirtualBoard } from '../src/board.mjs';
import { encodeUf2 } from '../src/uf2.mjs';
import { makeImage } from './thumb.mjs';

function sleepingBoard() {
  const board = new VirtualBoard();
  board.loadUf2(encodeUf2(makeImage((a) => a.wfi().label('again').wfi().b('again'))));
  let wall = 1000;
  board.wallClockMs = () => wall;
  const advanceWall = (ms) => { wall += ms; };
  // Run until the core is asleep.
  for (let i = 0; i < 100 && !board.mcu.core.waiting; i++) board.runSlice(1, Infinity);
  assert.equal(board.mcu.core.waiting, true);
  return { board, advanceWall };
}

test('asleep with an alarm 10 s ahead: without the gate emulated time jumps straight there', () => {
  const { board } = sleepingBoard();
  const start = board.nanos;
  let fired = false;
  board.clock.createAlarm(() => { fired = true; }).schedule(10e9);
  board.runSlice(10, start + 20e9);
  assert.equal(fired, true);
  assert.ok(board.nanos >= start + 10e9);
});

test('asleep while the gate holds: emulated time follows the wall clock and the slice yields (io-wait)', () => {
  const { board, advanceWall } = sleepingBoard();
  board.realtimeGate = () => true;
  const start = board.nanos;
  let fired = false;
  board.clock.createAlarm(() => { fired = true; }).schedule(10e9);
  assert.equal(board.runSlice(1000, Infinity), 'io-wait');
  assert.equal(board.nanos, start, 'no wall time has passed yet');
  advanceWall(250);
  assert.equal(board.runSlice(1000, Infinity), 'io-wait');
  assert.equal(board.nanos, start + 250e6);
  assert.equal(fired, false);
  advanceWall(10_000);
  board.runSlice(1000, Infinity);
  assert.equal(fired, true, 'the alarm comes when the wall clock reaches it');
});

test('asleep with nothing armed: without the gate it never wakes; with it, it waits on the network', () => {
  const { board } = sleepingBoard();
  assert.equal(board.runSlice(1000, Infinity), 'asleep-forever');
  board.realtimeGate = () => true;
  assert.equal(board.runSlice(1000, Infinity), 'io-wait');
});
