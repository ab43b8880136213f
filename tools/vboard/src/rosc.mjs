// ROSC (0x40060000): rp2040js leaves it unimplemented (every read is 0xFFFFFFFF, so RANDOMBIT is stuck at 1).
// This model gives RANDOMBIT host randomness, or keeps it stuck on request (`--rosc stuck`) to prove that
// the firmware's entropy health test refuses a dead source.
import { randomBytes } from 'node:crypto';

const CTRL = 0x00, STATUS = 0x18, RANDOMBIT = 0x1c;
const STATUS_STABLE = 1 << 31, STATUS_ENABLED = 1 << 12;

export class Rosc {
  constructor({ stuck = false } = {}) {
    this.stuck = stuck;
    this.registers = new Map([[CTRL, 0xfab000], [0x10, 0], [0x14, 0]]);  // enabled at reset
    this.pool = Buffer.alloc(0);
    this.bit = 0;
    this.reads = 0;
  }

  randomBit() {
    this.reads++;
    if (this.stuck) return 1;
    if (this.bit >= this.pool.length * 8) {
      this.pool = randomBytes(4096);
      this.bit = 0;
    }
    const value = (this.pool[this.bit >> 3] >> (this.bit & 7)) & 1;
    this.bit++;
    return value;
  }

  readUint32(offset) {
    switch (offset & 0xfff) {
      case RANDOMBIT: return this.randomBit();
      case STATUS: return (STATUS_STABLE | STATUS_ENABLED) >>> 0;
      default: return this.registers.get(offset & 0xfff) ?? 0;
    }
  }

  writeUint32(offset, value) {
    this.registers.set(offset & 0xfff, value >>> 0);
  }

  // rp2040js calls this for the atomic aliases (+0x1000 XOR, +0x2000 SET, +0x3000 CLR).
  writeUint32Atomic(offset, value, atomicType) {
    const current = this.readUint32(offset);
    const next = [value, current ^ value, current | value, current & ~value][atomicType] ?? value;
    this.writeUint32(offset, next);
  }
}

export function attachRosc(mcu, options) {
  const rosc = new Rosc(options);
  mcu.peripherals[0x40060] = rosc;
  return rosc;
}
