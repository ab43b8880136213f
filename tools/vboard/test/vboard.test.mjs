// The virtual board's own tests, on hand-assembled Thumb images (no firmware build needed): boot through boot2
// like the bootrom, UART0 console, expectations, bounded runs, and every fault the runner must catch.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { runBoard } from '../src/bounded-run.mjs';
import { checkBoot2, encodeUf2, parseUf2, Uf2Error } from '../src/uf2.mjs';
import { LineSplitter } from '../src/console.mjs';
import { Expectations } from '../src/expectations.mjs';
import { makeImage } from './thumb.mjs';

const runner = fileURLToPath(new URL('../run.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'picohub-vboard-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const WATCHDOG_CTRL = 0x40058000;
const WATCHDOG_LOAD = 0x40058004;

const programs = {
  hello: (a) => {
    a.puts('hello').label('loop').puts('tick').b('loop');
    a.align4().label('hello').ascii('vboard test: hello\r\n').label('tick').ascii('tick\n');
  },
  trap: (a) => {
    a.puts('msg').udf(7);
    a.align4().label('msg').ascii('about to trap\n');
  },
  lockup: (a) => a.cpsid().label('self').b('self'),
  hardfault: (a) => a.ldrConst(0, 'hardfault_thumb').bx(0),
  badPc: (a) => a.ldrConst(0, 0x40000001).bx(0),
  romCall: (a) => a.ldrConst(0, 0x00000101).bx(0),
  sleep: (a) => {
    a.puts('msg').wfi().b('reset');
    a.align4().label('msg').ascii('going to sleep\n');
  },
  watchdog: (a) => {
    // Arm a ~1 ms watchdog and never feed it: the board must come back through boot2 and print again.
    a.puts('msg').ldrConst(0, 0x40010008).ldrConst(1, 0x1fffc).str(1, 0)  // PSM.WDSEL: all but the oscillators
      .ldrConst(0, WATCHDOG_LOAD).ldrConst(1, 2000).str(1, 0)
      .ldrConst(0, WATCHDOG_CTRL).ldrConst(1, 1 << 30).str(1, 0).label('spin').b('spin');
    a.align4().label('msg').ascii('booted\n');
  },
};

function uf2For(name, options) {
  const path = join(dir, `${name}${options?.corruptCrc ? '-badcrc' : ''}.uf2`);
  writeFileSync(path, encodeUf2(makeImage(programs[name], options)));
  return path;
}

function run(name, args, options) {
  const result = spawnSync(process.execPath, [runner, '--uf2', uf2For(name, options), ...args],
    { encoding: 'utf8', timeout: 60000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('boots through boot2 and prints UART0 lines on stdout, stopping once every expectation is met', () => {
  const r = run('hello', ['--max-ms', '1000', '--expect', '^vboard test: hello$', '--expect', '^tick$', '--expect', '^tick$']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\n').slice(0, 3), ['vboard test: hello', 'tick', 'tick']);
  assert.match(r.stderr, /stopped: settled/);
  assert.match(r.stderr, /all expected lines seen/);
});

test('an expectation not met within the emulated time limit exits 1 and names it', () => {
  const r = run('hello', ['--max-ms', '0.2', '--expect', 'never printed']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /expected line never appeared: \/never printed\//);
  assert.match(r.stderr, /stopped: time-limit/);
  assert.match(r.stdout, /^vboard test: hello$/m);
});

test('the wall-clock limit ends a run that emulated time would not', () => {
  const r = run('hello', ['--max-ms', '1000000', '--wall-ms', '300', '--expect', 'never printed']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /stopped: wall-limit/);
});

test('a forbidden line fails the run', () => {
  const r = run('hello', ['--max-ms', '1', '--forbid', '^tick$']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /forbidden line \/\^tick\$\/ appeared: tick/);
});

const faults = [
  ['trap', /FAULT \(breakpoint\): HardFault: BKPT\/UDF #7/],
  ['lockup', /FAULT \(lockup\): lockup: core spins at 0x1000.* with interrupts masked/],
  ['hardfault', /FAULT \(hardfault\): HardFault handler entered/],
  ['badPc', /FAULT \(bad-pc\): HardFault: PC 0x40000000 is not executable memory/],
  ['romCall', /FAULT \(bootrom-call\): PC 0x00000100 is in the bootrom/],
  ['sleep', /FAULT \(asleep\): the core sleeps \(WFI\/WFE\) with no timer alarm armed/],
];
for (const [name, message] of faults) {
  test(`detects a fault: ${name}`, () => {
    const r = run(name, ['--max-ms', '100']);
    assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, message);
  });
}

test('console output before a fault is still printed', () => {
  const r = run('trap', ['--max-ms', '100']);
  assert.equal(r.stdout, 'about to trap\n');
});

test('a watchdog timeout reboots the board through boot2', () => {
  const r = run('watchdog', ['--max-ms', '50', '--expect', '^booted$', '--expect', '^booted$']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /watchdog reset #1/);
});

test('--fail-on-watchdog turns a watchdog reset into a fault', () => {
  const r = run('watchdog', ['--max-ms', '50', '--fail-on-watchdog']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /FAULT \(watchdog\)/);
});

test('a UF2 whose boot2 CRC is wrong is refused as the bootrom would (exit 2)', () => {
  const r = run('hello', ['--max-ms', '1'], { corruptCrc: true });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /boot2 CRC mismatch .* a real RP2040 would not boot this image/);
  assert.equal(r.stdout, '');
});

test('a file that is not a UF2 is refused (exit 2)', () => {
  const path = join(dir, 'not.uf2');
  writeFileSync(path, Buffer.alloc(512, 0x41));
  const result = spawnSync(process.execPath, [runner, '--uf2', path], { encoding: 'utf8' });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /wrong magic number/);
});

test('bad arguments exit 2 with the usage', () => {
  const result = spawnSync(process.execPath, [runner, '--max-ms', '5'], { encoding: 'utf8' });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /usage: run\.mjs --uf2 FILE/);
});

test('parseUf2 applies the RP2040 rules', () => {
  const good = encodeUf2(new Uint8Array(300).fill(1));
  assert.equal(parseUf2(good).length, 2);
  const wrongFamily = Uint8Array.from(good);
  new DataView(wrongFamily.buffer).setUint32(28, 0x12345678, true);
  assert.throws(() => parseUf2(wrongFamily), Uf2Error);
  const unaligned = Uint8Array.from(good);
  new DataView(unaligned.buffer).setUint32(12, 0x10000004, true);
  assert.throws(() => parseUf2(unaligned), /256-aligned/);
  const shortPayload = Uint8Array.from(good);
  new DataView(shortPayload.buffer).setUint32(16, 128, true);
  assert.throws(() => parseUf2(shortPayload), /payload of 128 bytes/);
  assert.throws(() => parseUf2(good.subarray(0, 511)), /not a multiple of 512/);
});

test('checkBoot2 uses CRC-32/MPEG-2 over bytes 0..251', () => {
  const flash = new Uint8Array(256);
  flash.set(Buffer.from('123456789'));
  // The check value of "123456789" is 0x0376E6E7; here the CRC covers 252 bytes, so compare with a known image.
  const image = makeImage(programs.hello);
  assert.equal(checkBoot2(image).ok, true);
  image[3] ^= 1;
  assert.equal(checkBoot2(image).ok, false);
});

test('LineSplitter handles CRLF, bare LF and a partial last line', () => {
  const lines = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const byte of Buffer.from('one\r\ntwo\nthr')) splitter.push(byte);
  splitter.flush();
  assert.deepEqual(lines, ['one', 'two', 'thr']);
});

test('patterns written /body/flags take their flags', () => {
  const e = new Expectations(['/entropy.*failed/i']);
  assert.equal(e.see('Entropy health test FAILED'), true);
});

test('Expectations need one line per occurrence', () => {
  const e = new Expectations(['retrying', 'retrying']);
  assert.equal(e.see('W5100S not responding; retrying in 2 s'), false);
  assert.deepEqual(e.unmet(), ['retrying']);
  assert.equal(e.see('W5100S not responding; retrying in 2 s'), true);
});

test('the summary reports the deepest stack the application used', async () => {
  const pushes = (a) => {
    a.push(0xff).push(0x0f).puts('msg').label('done').b('done');
    a.align4().label('msg').ascii('pushed\n');
  };
  const summary = await runBoard({ uf2: encodeUf2(makeImage(pushes)), maxMs: 1, wallMs: 10000, expect: ['pushed'] });
  assert.equal(summary.exitCode, 0);
  assert.equal(summary.stackPeakBytes, 48);  // eight registers, then four more
});

test('runBoard is usable as a library (the full virtual board of the next step builds on it)', async () => {
  const lines = [];
  const summary = await runBoard({ uf2: encodeUf2(makeImage(programs.hello)), maxMs: 1, wallMs: 10000,
    expect: ['tick'], onLine: (line) => lines.push(line) });
  assert.equal(summary.exitCode, 0);
  assert.equal(lines[0], 'vboard test: hello');
  assert.ok(summary.emulatedMs < 1);
});
