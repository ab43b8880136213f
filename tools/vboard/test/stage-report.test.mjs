// The per-stage report: console lines in, stage rows out (emulated time and CPU cycles between markers), with
// reconnects, failed handshakes and resets. No firmware needed: the lines are the firmware's wording.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { StageReport, formatStageTable, markersOf } from '../src/stage-report.mjs';

const MS = 1e6;  // nanos per ms

// Feeds [ms, cycles, line] triples; a line 'RESET' is a reboot with `cycles` the core count before it.
function feed(report, script) {
  for (const [ms, cycles, line] of script) {
    if (line === 'RESET') report.onReset(ms * MS, cycles);
    else report.onLine(line, ms * MS, cycles);
  }
  return report;
}

const bringUp = [
  [0.5, 10_000, 'picohub firmware 0.1.0 for W5100S-EVB-Pico'],
  [130, 4_000_000, 'Ethernet link up'],
  [140, 4_100_000, 'DHCP: 192.0.2.10/24, gateway 192.0.2.1, DNS 192.0.2.53, lease 3600 s'],
  [145, 4_150_000, 'SNTP: time is 2026-12-04T03:22:35Z (round trip 5 ms)'],
  [150, 4_200_000, 'connecting to localhost:8883 (192.0.2.20), TLS 1.2'],
  [1150, 104_200_000, 'TLS: TLSv1.2 TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256 in 1.0 s, longest step 300 ms; chain verified; arena peak 41000 B'],
  [1200, 104_700_000, 'connected to IoT Hub as b1; SAS token valid until 2026-12-04T04:22:35Z'],
  [1400, 105_000_000, 'Sending message 1: {"messageId":1}'],
  [1450, 105_200_000, '  acknowledged by the hub (PUBACK, packet id 2)'],
];

test('every bring-up stage gets its emulated time and the cycles executed in it', () => {
  const rows = feed(new StageReport(), bringUp).rows();
  const by = Object.fromEntries(rows.map((r) => [r.stage, r]));
  assert.deepEqual(rows.map((r) => r.stage),
    ['boot', 'dhcp', 'sntp', 'dns', 'tls', 'connect', 'first-puback', 'reset-to-puback']);
  assert.equal(by.boot.emulatedMs, 130);
  assert.equal(by.boot.cycles, 4_000_000);
  assert.equal(by.dhcp.cycles, 100_000);
  assert.equal(by.tls.emulatedMs, 1000);
  assert.equal(by.tls.cycles, 100_000_000);
  assert.equal(by.tls.cpuMs, 800);  // 100 M cycles at 125 MHz
  assert.equal(by['first-puback'].emulatedMs, 250);
  assert.equal(by['reset-to-puback'].emulatedMs, 1450);
  assert.equal(by['reset-to-puback'].cycles, 105_200_000);
});

test('the summary carries the headline figures and the arena peak the firmware printed', () => {
  const summary = feed(new StageReport(), bringUp).summary();
  assert.equal(summary.firstHandshakeCpuMs, 800);
  assert.equal(summary.resetToFirstPubackMs, 1450);
  assert.equal(summary.arenaPeakBytes, 41000);
  assert.deepEqual(summary.reconnectHandshakeCpuMs, []);
});

test('a reconnect after a loss is its own handshake row; a failed attempt is counted, not timed', () => {
  const summary = feed(new StageReport(), [
    ...bringUp,
    [5000, 110_000_000, 'hub connection: link down (the network went away); retrying in 1.0 s (attempt 1)'],
    [6000, 111_000_000, 'connecting to localhost:8883 (192.0.2.20), TLS 1.2'],
    [6100, 112_000_000, 'hub connection: TLS failed (the server closed the connection); retrying in 2.0 s (attempt 2)'],
    [8000, 113_000_000, 'connecting to localhost:8883 (192.0.2.20), TLS 1.2'],
    [8450, 163_000_000, 'TLS: TLSv1.2 X in 0.4 s, longest step 90 ms; chain as cached; arena peak 39000 B'],
    [8500, 163_500_000, 'connected to IoT Hub as b1; SAS token valid until 2026-12-04T04:22:35Z'],
  ]).summary();
  const reconnect = summary.rows.find((r) => r.stage === 'tls-reconnect-1');
  assert.equal(reconnect.cycles, 50_000_000);
  assert.equal(reconnect.emulatedMs, 450);
  assert.match(reconnect.what, /chain as cached/);
  assert.deepEqual(summary.reconnectHandshakeCpuMs, [400]);
  assert.equal(summary.failedHandshakes, 1);
  assert.equal(summary.arenaPeakBytes, 41000);  // the largest the firmware reported
});

test('a reset starts a new boot and cycles keep counting across it', () => {
  const report = feed(new StageReport(), [
    ...bringUp.slice(0, 3),
    [2000, 9_000_000, 'RESET'],  // the core had executed 9 M cycles when the watchdog fired
    [2130, 3_000_000, 'Ethernet link up'],
    [2140, 3_100_000, 'DHCP: 192.0.2.10/24, gateway 192.0.2.1, DNS 192.0.2.53, lease 3600 s'],
  ]);
  const rows = report.rows();
  const second = rows.filter((r) => r.boot === 1);
  assert.deepEqual(second.map((r) => r.stage), ['boot', 'dhcp']);
  assert.equal(second[0].emulatedMs, 130);
  assert.equal(second[0].cycles, 3_000_000);
  assert.equal(second[1].startMs, 2130);
  assert.equal(rows.filter((r) => r.boot === 0).length, 2);  // boot and DHCP of the first boot
});

test('lines that mark nothing are ignored; the TLS line is both a stage end and the arena figure', () => {
  assert.deepEqual(markersOf('Sending message 3: {}'), []);
  assert.deepEqual(markersOf('TLS: TLSv1.2 X in 1.0 s, longest step 1 ms; chain verified; arena peak 7 B').map((m) => m.marker),
    ['tls-done', 'arena']);
  const lines = formatStageTable(new StageReport().summary(), { stackPeakBytes: 3000 });
  assert.match(lines.join('\n'), /no stage completed/);
  assert.match(lines.join('\n'), /stack peak: 3000 bytes/);
});
