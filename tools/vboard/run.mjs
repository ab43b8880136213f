#!/usr/bin/env node
// picohub virtual board: runs a UF2 in rp2040js 1.4.1, prints the board's UART0 console on stdout (exactly the
// lines a USB-serial adapter would show) and its own notes on stderr ("[vboard] ..."), and stops by itself.
//
//   node tools/vboard/run.mjs --uf2 board.uf2 [--max-ms 5000] [--wall-ms 60000]
//        [--expect REGEX]... [--forbid REGEX]... [--fail-on-watchdog] [--verbose] [--json]
//        [--lan] [--host NAME=192.0.2.X]... [--bridge 192.0.2.X:PORT=127.0.0.1:PORT]... [--sntp-skew-ms N]
//        [--rosc random|stuck] [--temperature C] [--fault KIND@AT[:FOR]]... [--led-trace] [--report]
//        [--timestamps] [--fast-idle] [--profile FILE]
//
// --report prints, after the run, each stage's emulated time and the CPU cycles executed in it (boot, DHCP,
// SNTP, DNS, every TLS handshake, CONNECT, first PUBACK, reset → first PUBACK; src/stage-report.mjs); the
// --json summary always carries it as `stages`. --profile FILE writes the cycles each instruction address
// executed inside the TLS handshakes (src/cycle-profile.mjs; bench/firmware_profile.py names the functions).
//
// --lan (implied by --host/--bridge) puts the W5100S model on SPI0 and the virtual LAN 192.0.2.0/24 behind
// it (DHCP gives 192.0.2.10; DNS 192.0.2.53 answers the --host names; SNTP 192.0.2.123 serves host time;
// TCP to a --bridge address is carried to a loopback port). --rosc defaults to random with the LAN and to
// rp2040js's stuck RANDOMBIT without it. --timestamps prefixes each console line with the emulated time it
// was printed at ("[  62.114 s] "), for tests that measure the firmware's own schedule (back-off, renewal).
// Once the board has talked to the hub, every sleep follows the wall clock; --fast-idle keeps that only while a
// bridged connection is open, so minutes of back-off with nothing open take no wall time (back-off tests).
//
// Patterns are JavaScript regexes, optionally /body/flags. Each --expect needs its own console line (give one twice to require two lines); the run ends as soon as all
// are met. Exit: 0 ok (all expectations met, or none given and the time ran out without a fault),
// 1 an expectation unmet in time or a forbidden line seen, 2 bad arguments or a UF2 the RP2040 would refuse,
// 3 a fault (HardFault, lockup, bootrom call, sleeping with nothing to wake it).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { EXIT_USAGE, runBoard } from './src/bounded-run.mjs';
import { toRegex } from './src/expectations.mjs';
import { parseHost } from './src/lan/virtual-lan.mjs';
import { parseBridge } from './src/lan/tcp-bridge.mjs';
import { parseFault } from './src/fault-script.mjs';
import { formatStageTable } from './src/stage-report.mjs';
import { Uf2Error } from './src/uf2.mjs';

const usage = 'usage: run.mjs --uf2 FILE [--max-ms N] [--wall-ms N] [--expect REGEX]... [--forbid REGEX]... ' +
  '[--fail-on-watchdog] [--verbose] [--json] [--lan] [--host NAME=192.0.2.X]... ' +
  '[--bridge 192.0.2.X:PORT=127.0.0.1:PORT]... [--sntp-skew-ms N] [--rosc random|stuck] [--temperature C] ' +
  '[--fault KIND@AT[:FOR]]... [--led-trace] [--report] [--timestamps] [--fast-idle] [--profile FILE]';
const note = (text) => process.stderr.write(`[vboard] ${text}\n`);

function parseCommandLine() {
  const { values } = parseArgs({
    options: {
      uf2: { type: 'string' },
      'max-ms': { type: 'string', default: '5000' },
      'wall-ms': { type: 'string', default: '60000' },
      expect: { type: 'string', multiple: true, default: [] },
      forbid: { type: 'string', multiple: true, default: [] },
      'fail-on-watchdog': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      lan: { type: 'boolean', default: false },
      host: { type: 'string', multiple: true, default: [] },
      bridge: { type: 'string', multiple: true, default: [] },
      'sntp-skew-ms': { type: 'string', default: '0' },
      rosc: { type: 'string' },
      temperature: { type: 'string', default: '24' },
      fault: { type: 'string', multiple: true, default: [] },
      'led-trace': { type: 'boolean', default: false },
      report: { type: 'boolean', default: false },
      timestamps: { type: 'boolean', default: false },
      'fast-idle': { type: 'boolean', default: false },
      profile: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const maxMs = Number(values['max-ms']);
  const wallMs = Number(values['wall-ms']);
  if (!values.uf2 || !(maxMs > 0) || !(wallMs > 0)) throw new Error(usage);
  for (const source of [...values.expect, ...values.forbid]) toRegex(source);  // refuse a bad regex up front
  if (values.rosc !== undefined && !['random', 'stuck'].includes(values.rosc)) throw new Error(usage);
  const useLan = values.lan || values.host.length > 0 || values.bridge.length > 0 || values.fault.length > 0 ||
    values['fast-idle'];
  const sntpSkewMs = Number(values['sntp-skew-ms']);
  if (!Number.isFinite(sntpSkewMs)) throw new Error(usage);
  const temperatureC = Number(values.temperature);
  if (!Number.isFinite(temperatureC)) throw new Error(usage);
  const lan = useLan ? { hosts: values.host.map(parseHost), bridges: values.bridge.map(parseBridge), sntpSkewMs,
    temperatureC, faults: values.fault.map(parseFault), fastIdle: values['fast-idle'] }
    : null;
  return { ...values, maxMs, wallMs, failOnWatchdog: values['fail-on-watchdog'], ledTrace: values['led-trace'], lan };
}

function report(summary, options) {
  if (options.json && options.report) for (const line of formatStageTable(summary.stages, summary)) note(line);
  if (options.json) {
    process.stderr.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  const waited = summary.networkWaitMs > 0 ? ` (${summary.networkWaitMs.toFixed(1)} ms of it asleep on the network, at wall-clock pace)` : '';
  note(`ran ${summary.emulatedMs.toFixed(3)} ms emulated${waited} in ${summary.wallMs} ms wall; ${summary.lines} console ` +
    `lines; ${summary.watchdogResets} watchdog resets; ${summary.systemResets} system resets; stack peak ${summary.stackPeakBytes} bytes; stopped: ${summary.fault ? 'fault' : summary.reason}`);
  if (summary.fault) note(`FAULT (${summary.fault.kind}): ${summary.fault.message}`);
  if (summary.violation) note(`forbidden line /${summary.violation.source}/ appeared: ${summary.violation.line}`);
  for (const source of summary.unmet) note(`expected line never appeared: /${source}/`);
  if (summary.lan) {
    const { dhcpAcks, dnsQueries, sntpReplies, tcpOpened, tcpRefused } = summary.lan;
    note(`LAN: ${dhcpAcks} DHCP ACKs, ${dnsQueries} DNS queries, ${sntpReplies} SNTP replies, ${tcpOpened} bridged TCP ` +
      `connections, ${tcpRefused} refused`);
  }
  if (options.report) for (const line of formatStageTable(summary.stages, summary)) note(line);
  for (const { message, count } of summary.warnings.slice(0, 8)) note(`rp2040js: ${message} (x${count})`);
  if (summary.exitCode === 0 && options.expect.length > 0) note('all expected lines seen');
}

async function main() {
  let options;
  try {
    options = parseCommandLine();
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    return EXIT_USAGE;
  }
  let uf2;
  try {
    uf2 = readFileSync(options.uf2);
  } catch (error) {
    note(`cannot read ${options.uf2}: ${error.message}`);
    return EXIT_USAGE;
  }
  try {
    // SIGINT/SIGTERM end the run between two instructions, with the summary (a test or Ctrl-C stopping it).
    const stop = new AbortController();
    for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => stop.abort());
    const stamp = (nanos) => (options.timestamps ? `[${(nanos / 1e9).toFixed(3).padStart(9)} s] ` : '');
    const onLine = (line, nanos) => process.stdout.write(`${stamp(nanos)}${line}\n`);
    const summary = await runBoard({ ...options, uf2, stopSignal: stop.signal, onLine, onNote: note });
    report(summary, options);
    return summary.exitCode;
  } catch (error) {
    if (!(error instanceof Uf2Error)) throw error;
    note(`${options.uf2}: ${error.message}`);
    return EXIT_USAGE;
  }
}

process.exitCode = await main();
