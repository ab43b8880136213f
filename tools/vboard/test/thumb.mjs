// A few Thumb-1 encodings, enough to hand-assemble tiny test firmware for the virtual board (no toolchain
// needed by the Node tests). Labels resolve in a second pass.
import { crc32Mpeg2 } from '../src/uf2.mjs';

export class Assembler {
  constructor(origin) {
    this.origin = origin;
    this.items = [];  // { size, emit(at, resolve) -> number[] (bytes) }
    this.labels = new Map();
    this.literals = [];  // [label, value-or-label] waiting for pool()
  }

  get here() {
    return this.origin + this.items.reduce((sum, item) => sum + item.size, 0);
  }

  label(name) {
    this.labels.set(name, this.here);
    return this;
  }

  #half(fn) {
    this.items.push({ size: 2, emit: (at, resolve) => { const h = fn(at, resolve); return [h & 0xff, h >> 8]; } });
    return this;
  }

  word(value) {
    this.items.push({ size: 4, emit: (_, resolve) => {
      const v = (typeof value === 'string' ? resolve(value) : value) >>> 0;
      return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];
    } });
    return this;
  }

  ascii(text) {
    const bytes = [...Buffer.from(text, 'latin1'), 0];
    this.items.push({ size: bytes.length, emit: () => bytes });
    return this;
  }

  align4() {
    const pad = (4 - (this.here % 4)) % 4;
    if (pad) this.items.push({ size: pad, emit: () => new Array(pad).fill(0) });
    return this;
  }

  movs(rd, imm) { return this.#half(() => 0x2000 | (rd << 8) | imm); }
  adds(rd, imm) { return this.#half(() => 0x3000 | (rd << 8) | imm); }
  subs(rd, imm) { return this.#half(() => 0x3800 | (rd << 8) | imm); }
  cmp(rn, imm) { return this.#half(() => 0x2800 | (rn << 8) | imm); }
  cmpr(rn, rm) { return this.#half(() => 0x4280 | (rm << 3) | rn); }
  ldrb(rt, rn) { return this.#half(() => 0x7800 | (rn << 3) | rt); }
  ldr(rt, rn, offset = 0) { return this.#half(() => 0x6800 | ((offset / 4) << 6) | (rn << 3) | rt); }
  str(rt, rn, offset = 0) { return this.#half(() => 0x6000 | ((offset / 4) << 6) | (rn << 3) | rt); }
  bx(rm) { return this.#half(() => 0x4700 | (rm << 3)); }
  push(registerMask) { return this.#half(() => 0xb400 | registerMask); }
  cpsid() { return this.#half(() => 0xb672); }
  udf(imm = 0) { return this.#half(() => 0xde00 | imm); }
  wfi() { return this.#half(() => 0xbf30); }
  msrMsp(rn) {
    this.#half(() => 0xf380 | rn);
    return this.#half(() => 0x8808);
  }

  // LDR Rt, =label-or-value from a literal placed by `word` at `literal`.
  ldrLit(rt, literal) {
    return this.#half((at, resolve) => {
      const offset = resolve(literal) - ((at + 4) & ~3);
      if (offset < 0 || offset > 1020 || offset % 4) throw new Error(`literal ${literal} out of reach`);
      return 0x4800 | (rt << 8) | (offset / 4);
    });
  }

  // LDR Rt, =value (a number, or a label's address): the word goes into the next pool().
  ldrConst(rt, value) {
    const name = `__literal${this.literals.length}_${this.items.length}`;
    this.literals.push([name, value]);
    return this.ldrLit(rt, name);
  }

  pool() {
    this.align4();
    for (const [name, value] of this.literals.splice(0)) this.label(name).word(value);
    return this;
  }

  // Prints a NUL-terminated string at `label` to UART0 (clobbers r0-r2).
  puts(label) {
    const n = this.items.length;
    return this.ldrConst(0, label).ldrConst(1, UART0_DR)
      .label(`__puts${n}`).ldrb(2, 0).cmp(2, 0).beq(`__done${n}`).str(2, 1).adds(0, 1).b(`__puts${n}`)
      .label(`__done${n}`);
  }

  #branch(target, encode) {
    return this.#half((at, resolve) => encode((resolve(target) - (at + 4)) >> 1));
  }
  b(target) { return this.#branch(target, (o) => 0xe000 | (o & 0x7ff)); }
  beq(target) { return this.#branch(target, (o) => 0xd000 | (o & 0xff)); }
  bne(target) { return this.#branch(target, (o) => 0xd100 | (o & 0xff)); }

  bytes() {
    const resolve = (name) => {
      if (!this.labels.has(name)) throw new Error(`unknown label ${name}`);
      return this.labels.get(name);
    };
    const out = [];
    let at = this.origin;
    for (const item of this.items) {
      out.push(...item.emit(at, resolve));
      at += item.size;
    }
    return Uint8Array.from(out);
  }
}

export const UART0_DR = 0x40034000;
export const STACK_TOP = 0x20042000;

// A flash image as picohub's firmware lays it out: boot2 (with its CRC) in the first 256 bytes, a vector table
// at 0x10000100, the program after it. `program(asm)` writes the reset handler (label 'hardfault' is a
// branch-to-self HardFault handler); literals go into a pool after it.
export function makeImage(program, { corruptCrc = false } = {}) {
  const boot2 = new Assembler(0x10000000)
    .ldrConst(0, 0x10000100).ldrConst(1, 0xe000ed08)
    .str(0, 1)               // VTOR = 0x10000100
    .ldr(1, 0, 4).ldr(0, 0)  // r1 = reset vector, r0 = initial SP
    .msrMsp(0).bx(1)
    .pool();
  const image = new Uint8Array(0x100);
  image.set(boot2.bytes());
  const crc = crc32Mpeg2(image.subarray(0, 252)) ^ (corruptCrc ? 1 : 0);
  new DataView(image.buffer).setUint32(252, crc >>> 0, true);

  const app = new Assembler(0x10000100);
  app.word(STACK_TOP).word('reset_thumb').word('hardfault_thumb').word('hardfault_thumb');
  for (let i = 4; i < 16; i++) app.word(0);
  app.label('hardfault').b('hardfault');
  app.label('reset');
  program(app);
  app.pool();
  app.labels.set('reset_thumb', app.labels.get('reset') + 1);
  app.labels.set('hardfault_thumb', app.labels.get('hardfault') + 1);
  const code = app.bytes();
  const full = new Uint8Array(0x100 + code.length);
  full.set(image);
  full.set(code, 0x100);
  return full;
}
