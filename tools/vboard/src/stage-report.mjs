// Per-stage report of a firmware run (issue 7, "a report of emulated cycles"): for each stage of the board's
// bring-up and of every hub connection, the emulated time it took (CPU time at 125 MHz plus real waiting on the
// bridged network) and the CPU cycles the core actually executed in it (sleeping excluded), so the TLS
// handshake's CPU cost can be told apart from waiting on the real-time hub.
//
// Stage boundaries are the console lines the firmware prints (STAGE_MARKERS below: the one table to change when
// the firmware's wording changes). A line is stamped when its newline leaves UART0, which is a few hundred
// cycles after the event it reports: negligible against the stages measured.
//
// Fed by bounded-run.mjs: `onLine(line, nanos, cycles)` for every console line, `onReset(nanos, cycles)` when
// the board reboots (cycles: the core's running count just before its reset zeroes it).

const CYCLES_PER_SECOND = 125e6;

// Console line → the markers it carries (the TLS line is both 'tls-done' and 'arena').
export const STAGE_MARKERS = [
  { marker: 'link-up', pattern: /^Ethernet link up\b/ },
  { marker: 'lease', pattern: /^(DHCP|static address): \d+\.\d+\.\d+\.\d+\// },
  { marker: 'time', pattern: /^SNTP: time is / },
  { marker: 'connecting', pattern: /^connecting to \S+ \(\d+\.\d+\.\d+\.\d+\), TLS/ },
  { marker: 'tls-done', pattern: /^TLS: TLSv/ },
  { marker: 'connack', pattern: /^connected to IoT Hub as / },
  { marker: 'puback', pattern: /^\s*acknowledged by the hub \(PUBACK/ },
  { marker: 'lost', pattern: /^hub connection: |^the hub refused the credentials/ },
  { marker: 'chain-cached', pattern: /^TLS: .*; chain as cached\b/ },
  { marker: 'arena', pattern: /\barena peak (\d+) B\b/ },
];

export function markersOf(line) {
  const found = [];
  for (const { marker, pattern } of STAGE_MARKERS) {
    const match = pattern.exec(line);
    if (match) found.push({ marker, match });
  }
  return found;
}

// Stages of one boot, each from the first `from` marker to the next `to` marker after it.
const BOOT_STAGES = [
  { stage: 'boot', from: 'reset', to: 'link-up', what: 'reset → Ethernet link up (W5100S reset and configured)' },
  { stage: 'dhcp', from: 'link-up', to: 'lease', what: 'link up → DHCP lease' },
  { stage: 'sntp', from: 'lease', to: 'time', what: 'lease → SNTP time' },
  { stage: 'dns', from: 'time', to: 'connecting', what: "SNTP time → hub's address resolved" },
];

export class StageReport {
  constructor() {
    this.boots = [];
    this.arenaPeakBytes = null;
    this.cycleBase = 0;  // cycles of the boots before this one (a reset zeroes the core's count)
    this.#startBoot(0, 0);
  }

  // The board restarted (watchdog, SYSRESETREQ): a new boot begins; cycles keep counting across it.
  onReset(nanos, coreCyclesBeforeReset) {
    this.cycleBase += coreCyclesBeforeReset;
    this.#startBoot(nanos, this.cycleBase);
  }

  onLine(line, nanos, coreCycles) {
    const at = { nanos, cycles: this.cycleBase + coreCycles };
    for (const { marker, match } of markersOf(line)) {
      if (marker === 'arena') this.arenaPeakBytes = Math.max(this.arenaPeakBytes ?? 0, Number(match[1]));
      else this.#mark(marker, at);
    }
  }

  #startBoot(nanos, cycles) {
    this.boot = { reset: { nanos, cycles }, firsts: new Map(), connections: [], current: null };
    this.boots.push(this.boot);
  }

  #mark(marker, at) {
    const { boot } = this;
    if (!boot.firsts.has(marker)) boot.firsts.set(marker, at);
    const c = boot.current;
    switch (marker) {
      case 'connecting':
        boot.current = { connecting: at, tls: null, connack: null, puback: null, outcome: 'pending' };
        boot.connections.push(boot.current);
        break;
      case 'tls-done':
        if (c && !c.tls) c.tls = at;
        break;
      case 'chain-cached':
        if (c) c.chainCached = true;
        break;
      case 'connack':
        if (c && c.tls && !c.connack) c.connack = at;
        break;
      case 'puback':
        if (c && c.connack && !c.puback) c.puback = at;
        break;
      case 'lost':
        if (c && c.outcome === 'pending') c.outcome = c.tls ? 'lost' : 'handshake failed';
        boot.current = null;
        break;
      default:
        break;
    }
  }

  // Rows: { stage, what, boot, startMs, emulatedMs, cycles, cpuMs }. Only completed stages are listed.
  rows() {
    const rows = [];
    this.boots.forEach((boot, index) => {
      const add = (stage, what, from, to) => {
        if (!from || !to || to.nanos < from.nanos) return;
        rows.push(row(stage, what, index, from, to));
      };
      const marks = new Map(boot.firsts);
      marks.set('reset', boot.reset);
      for (const s of BOOT_STAGES) add(s.stage, s.what, marks.get(s.from), firstAfter(boot, s.to, marks.get(s.from)));
      let handshakes = 0;
      let firstPuback = null;
      for (const c of boot.connections) {
        if (!c.tls) continue;
        const name = handshakes === 0 ? 'tls' : `tls-reconnect-${handshakes}`;
        const chain = c.chainCached ? 'chain as cached' : 'chain verified';
        add(name, `${handshakes === 0 ? 'TLS handshake' : 'TLS handshake on a reconnect'} (TCP connect + TLS; ${chain})`,
          c.connecting, c.tls);
        if (handshakes === 0) {
          add('connect', 'MQTT CONNECT → CONNACK', c.tls, c.connack);
          add('first-puback', 'CONNACK → first PUBACK', c.connack, c.puback);
        }
        if (!firstPuback && c.puback) firstPuback = c.puback;
        handshakes++;
      }
      add('reset-to-puback', 'reset → first PUBACK', boot.reset, firstPuback);
    });
    return rows;
  }

  // Figures for a summary: the rows plus the headline numbers (first handshake, the median reconnect, ...).
  summary() {
    const rows = this.rows();
    const pick = (stage) => rows.find((r) => r.stage === stage && r.boot === 0) ?? null;
    const reconnects = rows.filter((r) => r.stage.startsWith('tls-reconnect-'));
    return {
      rows,
      firstHandshakeCpuMs: pick('tls')?.cpuMs ?? null,
      reconnectHandshakeCpuMs: reconnects.map((r) => r.cpuMs),
      resetToFirstPubackMs: pick('reset-to-puback')?.emulatedMs ?? null,
      arenaPeakBytes: this.arenaPeakBytes,
      failedHandshakes: this.boots.flatMap((b) => b.connections).filter((c) => c.outcome === 'handshake failed').length,
    };
  }
}

function firstAfter(boot, marker, from) {
  if (!from) return null;
  if (marker === 'connecting') return boot.connections.find((c) => c.connecting.nanos >= from.nanos)?.connecting ?? null;
  const at = boot.firsts.get(marker);
  return at && at.nanos >= from.nanos ? at : null;
}

function row(stage, what, boot, from, to) {
  const cycles = to.cycles - from.cycles;
  return { stage, what, boot, startMs: round(from.nanos / 1e6), emulatedMs: round((to.nanos - from.nanos) / 1e6),
    cycles, cpuMs: round((cycles / CYCLES_PER_SECOND) * 1e3) };
}

function round(ms) {
  return Math.round(ms * 1000) / 1000;
}

// The table `--report` prints (stderr, one line each, so it never mixes with the board's console on stdout).
export function formatStageTable(summary, { stackPeakBytes } = {}) {
  const lines = ['stage                 boot   start ms   emulated ms     CPU cycles     CPU ms   what'];
  for (const r of summary.rows) {
    lines.push(`${r.stage.padEnd(20)} ${String(r.boot).padStart(5)} ${r.startMs.toFixed(1).padStart(10)} ` +
      `${r.emulatedMs.toFixed(1).padStart(13)} ${String(r.cycles).padStart(14)} ${r.cpuMs.toFixed(1).padStart(10)}   ${r.what}`);
  }
  if (summary.rows.length === 0) lines.push('(no stage completed: see the console)');
  const arena = summary.arenaPeakBytes === null ? 'not reported by the firmware' : `${summary.arenaPeakBytes} bytes`;
  lines.push(`TLS arena peak: ${arena}; stack peak: ${stackPeakBytes ?? '?'} bytes; ` +
    `CPU ms = cycles executed at 125 MHz (sleep excluded); emulated ms includes waiting on the network`);
  if (summary.failedHandshakes > 0) lines.push(`handshakes that failed: ${summary.failedHandshakes}`);
  return lines;
}
