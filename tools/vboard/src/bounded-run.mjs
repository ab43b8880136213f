// One bounded run of a UF2 in the virtual board: console to stdout, expectations checked, faults reported.
import { BoardFault } from './faults.mjs';
import { Expectations } from './expectations.mjs';
import { VirtualBoard } from './board.mjs';
import { attachEvb } from './evb.mjs';
import { attachRosc } from './rosc.mjs';
import { scheduleFaults } from './fault-script.mjs';
import { StageReport } from './stage-report.mjs';
import { CycleProfile } from './cycle-profile.mjs';

export const EXIT_OK = 0;
export const EXIT_EXPECTATION = 1;  // an expected line did not appear in time, or a forbidden one did
export const EXIT_USAGE = 2;        // bad arguments, unreadable or unbootable UF2
export const EXIT_FAULT = 3;        // HardFault, lockup, bootrom call, or asleep with nothing to wake it

const SLICE = 100000;  // instructions between looks at the wall clock (~3-5 ms of host time)

// options: { uf2 (bytes), maxMs (emulated), wallMs, expect [], forbid [], failOnWatchdog, verbose,
//            onLine(line, nanos), onNote(text), ledTrace (notes every LED change),
//            lan: null | { hosts: [[name, ip]], bridges: [{ ip, port, target }], sntpSkewMs } (attaches the
//            W5100S and the virtual LAN; faults: parsed --fault scripts, see fault-script.mjs; fastIdle: sleeps
//            with no bridged connection open run ahead of the wall clock), rosc: 'random' | 'stuck' | undefined (undefined: random with the
//            LAN, rp2040js's stuck ROSC without), stopSignal (an AbortSignal: ends the run as if its time were
//            up, e.g. on SIGTERM), profile: null | FILE (cycle-profile.mjs: cycles per address in the handshakes) }. Resolves to a summary object with `exitCode`.
export async function runBoard(options) {
  const note = options.onNote ?? (() => {});
  const expectations = new Expectations(options.expect ?? [], options.forbid ?? []);
  let settled = false;
  const lines = [];
  let watchdogResets = 0;
  const stages = new StageReport();  // per-stage emulated time and CPU cycles (stage-report.mjs)
  let systemResets = 0;
  const board = new VirtualBoard({
    verbose: options.verbose,
    onConsoleLine: (line) => {
      lines.push(line);
      stages.onLine(line, board.nanos, board.mcu.core.cycles);
      board.profile?.onLine(line);
      options.onLine?.(line, board.nanos);  // the emulated time the line was completed
      if (expectations.see(line)) {
        settled = true;
        board.requestStop();
      }
    },
    onEvent: (event) => {
      if (/reset/.test(event.type)) stages.onReset(event.nanos, board.mcu.core.cycles);  // before the core's reset
      const at = `${(event.nanos / 1e6).toFixed(1)} ms`;
      if (event.type === 'watchdog-reset') {
        watchdogResets = event.count;
        note(`watchdog reset #${event.count} at ${at}: ${event.description}`);
      } else if (event.type === 'system-reset') {
        systemResets = event.count;
        note(`system reset #${event.count} at ${at}: ${event.description}`);
      } else if (event.type === 'hang') {
        note(`the core is wedged at 0x${event.pc.toString(16)} with interrupts masked (${at})`);
      }
    },
  });

  if (options.profile) board.profile = new CycleProfile();
  let evb = null;
  const rosc = options.rosc ?? (options.lan ? 'random' : undefined);
  if (options.lan) {
    const onLed = options.ledTrace ? (on, nanos) => note(`LED ${on ? 'on' : 'off'} at ${(nanos / 1e6).toFixed(1)} ms`)
      : undefined;
    evb = attachEvb(board, { ...options.lan, rosc, onLed, log: options.verbose ? (text) => note(text) : undefined });
    scheduleFaults(options.lan.faults ?? [], { chip: evb.chip, lan: evb.lan, board, scheduler: evb.chip.scheduler, note });
    if (options.lan.fastIdle) board.realtimeGate = () => evb.lan.busy;  // pace sleeps only while a bridge is open
  } else if (rosc) {
    attachRosc(board.mcu, { stuck: rosc === 'stuck' });
  }

  const summary = { exitCode: EXIT_OK, reason: '', emulatedMs: 0, wallMs: 0, lines: lines.length, watchdogResets: 0, systemResets: 0,
    unmet: [], fault: null, warnings: [] };
  const started = Date.now();
  options.stopSignal?.addEventListener('abort', () => board.requestStop(), { once: true });
  try {
    const loaded = board.loadUf2(options.uf2);
    note(`loaded ${loaded.blocks} UF2 blocks (${loaded.bytes} bytes); boot2 CRC ok; running for at most ` +
      `${options.maxMs} ms emulated / ${options.wallMs} ms wall`);
    const untilNanos = options.maxMs * 1e6;
    let state = 'ran';
    while (!settled && state === 'ran') {
      state = board.runSlice(SLICE, untilNanos);
      if (options.failOnWatchdog && watchdogResets > 0) throw new BoardFault('watchdog', 'the watchdog reset the board');
      if (Date.now() - started > options.wallMs) state = 'wall-limit';
      else if (state === 'ran') await new Promise((resolve) => setImmediate(resolve));
      else if (state === 'io-wait') {
        await new Promise((resolve) => setTimeout(resolve, 1));  // the board sleeps on the network: let it come
        state = 'ran';
      }
    }
    if (state === 'asleep-forever') {
      throw new BoardFault('asleep', 'the core sleeps (WFI/WFE) with no timer alarm armed: nothing will wake it');
    }
    summary.reason = settled ? 'settled' : state;
  } catch (error) {
    if (!(error instanceof BoardFault)) throw error;
    summary.fault = { kind: error.kind, message: error.message, pc: board.mcu.core.PC >>> 0 };
  } finally {
    board.flushConsole();
    evb?.chip.shutdown();  // no bridged connection outlives the run
  }
  if (options.profile) board.profile.write(options.profile);
  summary.emulatedMs = board.nanos / 1e6;
  summary.networkWaitMs = board.pacedNanos / 1e6;
  summary.wallMs = Date.now() - started;
  summary.lines = lines.length;
  summary.watchdogResets = watchdogResets;
  summary.systemResets = systemResets;
  summary.stackPeakBytes = board.stackPeakBytes;
  summary.stages = stages.summary();
  summary.unmet = expectations.unmet();
  summary.violation = expectations.violation;
  summary.warnings = board.warningSummary();
  if (evb) summary.lan = { ...evb.lan.stats };
  if (summary.fault) summary.exitCode = summary.fault.kind === 'boot2-crc' ? EXIT_USAGE : EXIT_FAULT;
  else if (summary.violation || summary.unmet.length > 0) summary.exitCode = EXIT_EXPECTATION;
  return summary;
}
