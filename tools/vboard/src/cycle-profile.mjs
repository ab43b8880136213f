// Cycle profile (`--profile FILE`): the CPU cycles each flash/SRAM instruction address executed while a TLS
// handshake was in progress (from the firmware's "connecting to" line to its "TLS:" line, the stage report's
// handshake window), written as "0xADDRESS CYCLES" lines. bench/firmware_profile.py folds them into functions
// with the ELF's symbols: where the handshake's time goes, before choosing what to make faster.
import { writeFileSync } from 'node:fs';

const REGIONS = [
  { base: 0x10000000, bytes: 2 * 1024 * 1024 },  // XIP flash
  { base: 0x20000000, bytes: 264 * 1024 },  // SRAM (code copied to RAM, if any)
];
const START = /^connecting to \S+ \(\d+\.\d+\.\d+\.\d+\), TLS/;
const STOP = /^TLS: /;

export class CycleProfile {
  constructor() {
    this.counts = REGIONS.map((region) => new Float64Array(region.bytes / 2));
    this.active = false;
    this.other = 0;  // cycles at addresses outside both regions (the bootrom's, if ever)
  }

  onLine(line) {
    if (START.test(line)) this.active = true;
    else if (STOP.test(line)) this.active = false;
  }

  // pc: the address of the instruction that took `cycles`.
  add(pc, cycles) {
    if (!this.active) return;
    for (let i = 0; i < REGIONS.length; i++) {
      const offset = pc - REGIONS[i].base;
      if (offset >= 0 && offset < REGIONS[i].bytes) {
        this.counts[i][offset >>> 1] += cycles;
        return;
      }
    }
    this.other += cycles;
  }

  write(file) {
    const lines = [];
    REGIONS.forEach((region, i) => {
      this.counts[i].forEach((cycles, index) => {
        if (cycles > 0) lines.push(`0x${(region.base + index * 2).toString(16)} ${cycles}`);
      });
    });
    if (this.other > 0) lines.push(`other ${this.other}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
  }
}
