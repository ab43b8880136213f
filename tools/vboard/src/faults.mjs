// How a run goes wrong in rp2040js, which raises no HardFault of its own: the core keeps executing whatever
// it finds. A real RP2040 would fault or lock up in each of these cases, so the virtual board stops and says so.
export const SRAM_BASE = 0x20000000;
export const SRAM_END = 0x20042000;
export const FLASH_BASE = 0x10000000;
export const FLASH_END = 0x11000000;
const BOOTROM_END = 0x4000;
const EXC_HARDFAULT = 3;
const STUCK_INSTRUCTIONS = 100000;  // a branch-to-self this long with interrupts masked is a lockup

export class BoardFault extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const hex = (n) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

// Checked after every instruction: cheap comparisons only.
export class FaultWatch {
  constructor(core) {
    this.core = core;
    this.lastPC = -1;
    this.samePC = 0;
    this.hardFaultHandler = -1;
    this.initialSP = SRAM_END;
    this.lowestSP = SRAM_END;  // the stack's high-water mark, measured rather than painted
    this.canEscape = () => false;  // the board: true while an armed watchdog will end any spin
    this.spinning = false;  // a branch-to-self with interrupts masked that the watchdog will end
  }

  // After a restart: whatever spun before does not any more.
  forgetSpin() {
    this.lastPC = -1;
    this.samePC = 0;
    this.spinning = false;
  }

  // The firmware's HardFault vector (entry 3 of its table at 0x10000100, Thumb bit cleared), if it has one.
  learnVectorTable(flash) {
    const word = (i) => (flash[0x100 + i * 4] | (flash[0x101 + i * 4] << 8) | (flash[0x102 + i * 4] << 16) | (flash[0x103 + i * 4] << 24)) >>> 0;
    this.initialSP = word(0);
    this.lowestSP = this.initialSP;
    const reset = word(1) & ~1;
    const hardFault = word(3) & ~1;
    this.hardFaultHandler = hardFault >= FLASH_BASE && hardFault < FLASH_END && hardFault !== reset ? hardFault : -1;
  }

  // Bytes of stack the application has used at most (boot2, in the first 256 bytes of flash, is not counted).
  get stackPeakBytes() {
    return Math.max(0, this.initialSP - this.lowestSP);
  }

  afterInstruction() {
    const { core } = this;
    const pc = core.PC >>> 0;
    const sp = core.SP >>> 0;
    if (sp < this.lowestSP && pc >= FLASH_BASE + 0x100) this.lowestSP = sp;
    if (pc === this.lastPC) {
      if (++this.samePC >= STUCK_INSTRUCTIONS && (core.PM || core.IPSR !== 0)) {
        if (this.canEscape()) {
          this.spinning = true;
          return;
        }
        const where = core.IPSR !== 0 ? `inside exception ${core.IPSR}` : 'with interrupts masked';
        throw new BoardFault('lockup', `lockup: core spins at ${hex(pc)} ${where}, nothing can get it out`);
      }
    } else {
      this.lastPC = pc;
      this.samePC = 0;
      this.spinning = false;
      if (pc < BOOTROM_END) {
        throw new BoardFault('bootrom-call', `PC ${hex(pc)} is in the bootrom: the firmware called a ROM function, ` +
          'which the virtual board does not have (and picohub firmware must not need)');
      }
      const executable = (pc >= FLASH_BASE && pc < FLASH_END) || (pc >= SRAM_BASE && pc < SRAM_END);
      if (!executable) throw new BoardFault('bad-pc', `HardFault: PC ${hex(pc)} is not executable memory (LR ${hex(core.LR)})`);
      if (pc === this.hardFaultHandler || core.IPSR === EXC_HARDFAULT) {
        throw new BoardFault('hardfault', `HardFault handler entered at ${hex(pc)} (LR ${hex(core.LR)})`);
      }
    }
  }
}

// rp2040js reports through its logger: unimplemented instructions and unaligned word reads are faults on a
// real core; reads/writes of unmapped or unimplemented registers are counted for the summary.
export class FaultLogger {
  constructor({ verbose = false, print = (text) => process.stderr.write(`${text}\n`) } = {}) {
    this.verbose = verbose;
    this.print = print;
    this.warnings = new Map();  // message without the address -> count
  }

  debug() {}
  info(component, message) {
    if (this.verbose) this.print(`[vboard] ${component}: ${message}`);
  }
  warn(component, message) {
    if (/not implemented yet|Opcode: /.test(message)) {
      throw new BoardFault('undefined-instruction', `HardFault: ${message}`);
    }
    const key = `${component}: ${message.replace(/0x[0-9a-f]+|\b[0-9a-f]{5,8}\b/gi, '…')}`;
    this.warnings.set(key, (this.warnings.get(key) ?? 0) + 1);
    if (this.verbose) this.print(`[vboard] ${component}: ${message}`);
  }
  error(component, message) {
    throw new BoardFault('bus-fault', `HardFault: ${component}: ${message}`);
  }
}
