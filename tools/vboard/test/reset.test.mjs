// The RP2040's soft resets as the virtual board models them (src/chip-reset.mjs), on hand-assembled Thumb images:
// watchdog timeout and CTRL.TRIGGER reboot through boot2 only when PSM.WDSEL selects the core, set REASON to
// TIMER or FORCE, keep SCRATCH; AIRCR.SYSRESETREQ reboots too and leaves REASON, SCRATCH and CHIP_RESET alone;
// a hung main loop (the `hang` fault) is ended by the watchdog, and is a lockup when no watchdog is armed.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { runBoard } from '../src/bounded-run.mjs';
import { parseFault } from '../src/fault-script.mjs';
import { encodeUf2 } from '../src/uf2.mjs';
import { makeImage } from './thumb.mjs';

const WATCHDOG_CTRL = 0x40058000, WATCHDOG_LOAD = 0x40058004, WATCHDOG_REASON = 0x40058008;
const SCRATCH0 = 0x4005800c, SCRATCH7 = 0x40058028;
const PSM_WDSEL = 0x40010008, CHIP_RESET = 0x40064008, AIRCR = 0xe000ed0c;
const ENABLE = 1 << 30, TRIGGER = 0x80000000;

// r3 = &SCRATCH0 and r4 = its value on entry; `stages[n]` runs on the boot where SCRATCH0 == n (then it is n+1).
function staged(stages, strings) {
  return (a) => {
    a.ldrConst(3, SCRATCH0).ldr(4, 3);
    for (let n = 1; n < stages.length; n++) a.movs(0, n).cmpr(4, 0).beq(`stage${n}`);
    stages.forEach((stage, n) => {
      a.label(`stage${n}`).movs(0, n + 1).str(0, 3);
      stage(a);
      a.label(`end${n}`).b(`end${n}`);
    });
    a.align4();
    for (const [label, text] of Object.entries(strings)) a.label(label).ascii(`${text}\n`);
  };
}

// Prints `yes` or `no` as the word at `address` equals `value` (clobbers r0-r2, r5).
const check = (address, value, yes, no) => (a) => {
  const n = `${yes}_${a.items.length}`;
  a.ldrConst(5, address).ldr(5, 5).ldrConst(0, value).cmpr(5, 0).bne(`${n}_no`).puts(yes).b(`${n}_end`)
    .label(`${n}_no`).puts(no).label(`${n}_end`);
};

const wdsel = (a) => a.ldrConst(0, PSM_WDSEL).ldrConst(1, 0x1fffc).str(1, 0);
const arm = (loadTicks) => (a) => a.ldrConst(0, WATCHDOG_LOAD).ldrConst(1, loadTicks).str(1, 0)
  .ldrConst(0, WATCHDOG_CTRL).ldrConst(1, ENABLE).str(1, 0);
const write = (address, value) => (a) => a.ldrConst(0, address).ldrConst(1, value).str(1, 0);

async function boot(program, options = {}) {
  const lines = [];
  const notes = [];
  const summary = await runBoard({ uf2: encodeUf2(makeImage(program)), maxMs: 30, wallMs: 20000,
    onLine: (line) => lines.push(line), onNote: (text) => notes.push(text), ...options });
  return { lines, notes, summary };
}

test('watchdog timeout with PSM.WDSEL.PROC0: reboot through boot2, REASON = TIMER, SCRATCH kept', async () => {
  const program = staged([
    (a) => { a.puts('first').ldrConst(0, SCRATCH7).ldrConst(1, 0xc0ffee).str(1, 0); wdsel(a); arm(2000)(a); },
    (a) => {
      a.puts('again');
      check(WATCHDOG_REASON, 1, 'timer', 'not timer')(a);
      check(SCRATCH7, 0xc0ffee, 'scratch kept', 'scratch lost')(a);
      check(CHIP_RESET, 0x100, 'chip reset: power-on', 'chip reset: other')(a);
    },
  ], { first: 'first', again: 'again', timer: 'reason: TIMER', 'not timer': 'reason: not TIMER',
    'scratch kept': 'SCRATCH7 kept', 'scratch lost': 'SCRATCH7 lost',
    'chip reset: power-on': 'CHIP_RESET: HAD_POR', 'chip reset: other': 'CHIP_RESET: something else' });
  const { lines, notes, summary } = await boot(program);
  assert.equal(summary.exitCode, 0, notes.join('\n'));
  assert.deepEqual(lines, ['first', 'again', 'reason: TIMER', 'SCRATCH7 kept', 'CHIP_RESET: HAD_POR']);
  assert.equal(summary.watchdogResets, 1);
  assert.match(notes.join('\n'), /watchdog reset #1 at .*watchdog timeout \(REASON=TIMER\)/);
});

test('CTRL.TRIGGER: reboot with REASON = FORCE, and the watchdog is disarmed (no second reset)', async () => {
  const program = staged([
    (a) => { a.puts('first'); wdsel(a); write(WATCHDOG_CTRL, (TRIGGER | ENABLE) >>> 0)(a); },
    (a) => { a.puts('again'); check(WATCHDOG_REASON, 2, 'force', 'not force')(a); },
  ], { first: 'first', again: 'again', force: 'reason: FORCE', 'not force': 'reason: not FORCE' });
  const { lines, summary } = await boot(program);
  assert.deepEqual(lines, ['first', 'again', 'reason: FORCE']);
  assert.equal(summary.watchdogResets, 1);
});

test('a watchdog with PSM.WDSEL = 0 (its reset value) sets REASON but resets nothing', async () => {
  const program = staged([
    (a) => {
      a.puts('first');
      arm(2000)(a);
      a.ldrConst(3, WATCHDOG_REASON).label('poll').ldr(4, 3).cmp(4, 0).beq('poll').puts('fired');
    },
    (a) => a.puts('again'),
  ], { first: 'first', fired: 'REASON set, still running', again: 'rebooted (wrong)' });
  const { lines, summary } = await boot(program);
  assert.deepEqual(lines, ['first', 'REASON set, still running']);
  assert.equal(summary.watchdogResets, 0);
});

test('AIRCR.SYSRESETREQ reboots (a write without VECTKEY does not); REASON, SCRATCH and CHIP_RESET are left alone',
  async () => {
    const program = staged([
      (a) => { a.puts('boot0'); wdsel(a); write(WATCHDOG_CTRL, TRIGGER)(a); },
      (a) => { a.puts('boot1'); write(AIRCR, 0x4)(a); a.puts('nokey'); write(AIRCR, 0x05fa0004)(a); },
      (a) => {
        a.puts('boot2');
        check(WATCHDOG_REASON, 2, 'force', 'not force')(a);
        check(CHIP_RESET, 0x100, 'por', 'not por')(a);
        check(AIRCR, 0xfa050000, 'keystat', 'no keystat')(a);
      },
    ], { boot0: 'boot 0', boot1: 'boot 1', nokey: 'AIRCR write without VECTKEY ignored', boot2: 'boot 2',
      force: 'REASON still FORCE', 'not force': 'REASON changed', por: 'CHIP_RESET: HAD_POR', 'not por': 'CHIP_RESET changed',
      keystat: 'AIRCR reads VECTKEYSTAT', 'no keystat': 'AIRCR reads something else' });
    const { lines, notes, summary } = await boot(program);
    assert.deepEqual(lines, ['boot 0', 'boot 1', 'AIRCR write without VECTKEY ignored', 'boot 2', 'REASON still FORCE',
      'CHIP_RESET: HAD_POR', 'AIRCR reads VECTKEYSTAT']);
    assert.equal(summary.watchdogResets, 1);
    assert.equal(summary.systemResets, 1);
    assert.match(notes.join('\n'), /system reset #1 at .*AIRCR\.SYSRESETREQ/);
  });

// A main loop that feeds a 10 ms watchdog forever: only the hang fault can stop it feeding.
const feedingLoop = staged([
  (a) => {
    a.puts('first');
    wdsel(a);
    arm(20000)(a);
    a.ldrConst(0, WATCHDOG_LOAD).ldrConst(1, 20000).label('feed').str(1, 0).adds(2, 1).b('feed');
  },
  (a) => { a.puts('again'); check(WATCHDOG_REASON, 1, 'timer', 'not timer')(a); },
], { first: 'first', again: 'again', timer: 'reason: TIMER', 'not timer': 'reason: not TIMER' });

test('hang@AT wedges a healthy loop with interrupts masked; the armed watchdog reboots it (REASON = TIMER)', async () => {
  const lan = { hosts: [], bridges: [], sntpSkewMs: 0, faults: [parseFault('hang@5ms')] };
  const { lines, notes, summary } = await boot(feedingLoop, { lan, maxMs: 40 });
  assert.deepEqual(lines, ['first', 'again', 'reason: TIMER']);
  assert.equal(summary.watchdogResets, 1);
  const text = notes.join('\n');
  assert.match(text, /fault: hang: the core spins with interrupts masked at 5 ms emulated/);
  assert.match(text, /the core is wedged at 0x[0-9a-f]+ with interrupts masked/);
  // The watchdog fires 10 ms of emulated time after the last feed, not earlier and not never.
  const at = Number(/watchdog reset #1 at ([0-9.]+) ms/.exec(text)[1]);
  assert.ok(at >= 15 && at < 15.5, `watchdog reset at ${at} ms`);
});

test('hang@AT with no watchdog armed is a lockup: nothing can get the core out', async () => {
  const idle = (a) => {
    a.puts('up').label('loop').adds(2, 1).b('loop');
    a.align4().label('up').ascii('up\n');
  };
  const lan = { hosts: [], bridges: [], sntpSkewMs: 0, faults: [parseFault('hang@1ms')] };
  const { summary } = await boot(idle, { lan, maxMs: 20 });
  assert.equal(summary.exitCode, 3);
  assert.equal(summary.fault.kind, 'lockup');
  assert.match(summary.fault.message, /with interrupts masked/);
});
