// The cycle profile (--profile): cycles are counted per instruction address only inside TLS handshakes (from the
// firmware's "connecting to" line to its "TLS:" line), in flash and SRAM, and written as "0xADDRESS CYCLES".
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { CycleProfile } from '../src/cycle-profile.mjs';

function written(profile) {
  const dir = mkdtempSync(join(tmpdir(), 'cycle-profile-'));
  try {
    profile.write(join(dir, 'p.txt'));
    return readFileSync(join(dir, 'p.txt'), 'utf8').trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('counts only between the connecting line and the TLS line, for every handshake', () => {
  const p = new CycleProfile();
  p.add(0x10000100, 5);  // boot: not a handshake
  p.onLine('connecting to localhost:8883 (192.0.2.20), TLS 1.2');
  p.add(0x10000100, 2);
  p.add(0x10000102, 3);
  p.add(0x10000100, 1);
  p.onLine('TLS: TLSv1.2 TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384 in 0.7 s, longest step 283 ms; chain verified');
  p.add(0x10000102, 100);  // telemetry: not counted
  p.onLine('connecting to localhost:8883 (192.0.2.20), TLS 1.2, MQTT over WebSockets');  // a reconnect
  p.add(0x10000102, 4);
  p.onLine('TLS: TLSv1.2 ... chain as cached');
  assert.deepEqual(written(p), ['0x10000100 3', '0x10000102 7']);
});

test('keeps SRAM addresses apart and sums anything else as other', () => {
  const p = new CycleProfile();
  p.onLine('connecting to hub.example (10.0.0.1), TLS 1.2');
  p.add(0x20000040, 2);
  p.add(0x00000100, 9);  // the bootrom's region: outside both
  p.add(0x101fffff & ~1, 1);  // the last halfword of flash
  assert.deepEqual(written(p), ['0x101ffffe 1', '0x20000040 2', 'other 9']);
});
