// The virtual W5100S-EVB-Pico: an rp2040js RP2040 started the way the bootrom would start it, with UART0 as
// the console. Bare, nothing is on SPI0 (every byte reads back 0, like a missing chip); evb.mjs attaches the
// W5100S model and the virtual LAN through `spi0` and `gpio`.
import { RP2040 } from 'rp2040js';

import { applyReset, describeReset, installResetSources, RESET_KIND } from './chip-reset.mjs';
import { LineSplitter } from './console.mjs';
import { BoardFault, FaultLogger, FaultWatch, FLASH_BASE, SRAM_END } from './faults.mjs';
import { checkBoot2, parseUf2, writeBlocksToFlash } from './uf2.mjs';

const BOOT_STACK = 0x20041f00;  // where the bootrom leaves SP when it enters boot2
const NANOS_PER_CYCLE = 8;  // rp2040js counts 125 MHz whatever clk_sys the firmware sets
const HANG_AWAKE_INSTRUCTIONS = 2000;  // longer than a wake-up's way back out of the sleep into the loop
const HANG_LATEST_NANOS = 1e9;

export class VirtualBoard {
  constructor({ verbose = false, onConsoleLine = () => {}, onEvent = () => {} } = {}) {
    this.mcu = new RP2040();  // its default clock is rp2040js's SimulationClock: virtual nanoseconds
    this.clock = this.mcu.clock;
    this.logger = new FaultLogger({ verbose });
    this.mcu.logger = this.logger;
    this.onEvent = onEvent;
    this.watch = new FaultWatch(this.mcu.core);
    this.console = new LineSplitter(onConsoleLine);
    this.mcu.uart[0].onByte = (byte) => this.console.push(byte);
    this.breakCode = null;
    this.stopRequested = false;
    this.realtimeGate = () => false;  // attachEvb: true once the board talks to a real-time peer
    this.sleepMark = null;
    this.wallClockMs = () => performance.now();  // replaceable in tests
    this.pacedNanos = 0;  // emulated time spent asleep at wall-clock pace (waiting on the bridged network)
    this.mcu.onBreak = (code) => {
      this.breakCode = code;
    };
    this.imageBytes = 0;
    this.watchdogResets = 0;
    this.systemResets = 0;  // AIRCR.SYSRESETREQ
    this.pendingReset = null;  // a reset requested inside an instruction or alarm, done before the next one
    this.pendingHang = false;
    this.hangRequestedAt = 0;
    this.awakeInstructions = 0;  // thread- or handler-mode instructions since the core last slept
    this.wedgedPC = -1;
    this.profile = null;  // a CycleProfile (--profile): cycles per instruction address
    ({ watchdog: this.watchdog } = installResetSources(this.mcu, (kind) => { this.pendingReset ??= kind; }));
    this.watch.canEscape = () => this.watchdog.enable;  // a spin the watchdog will end is not a lockup
    // No bootrom image: a two-word vector table gives reset the bootrom's hand-off (SP, PC = boot2 at the
    // start of flash, LR = 0 so boot2 continues into the application). loadBootrom resets (and erases flash),
    // so it comes before the image.
    this.mcu.loadBootrom(new Uint32Array([BOOT_STACK, 0x10000001]));
  }

  get spi0() {
    return this.mcu.spi[0];
  }

  get gpio() {
    return this.mcu.gpio;
  }

  get nanos() {
    return this.clock.nanos;
  }

  // Loads a UF2 and checks boot2's CRC as the bootrom does (a real board would not boot a bad one).
  loadUf2(bytes) {
    const blocks = parseUf2(bytes);
    writeBlocksToFlash(blocks, this.mcu.flash);
    const boot2 = checkBoot2(this.mcu.flash);
    if (!boot2.ok) {
      throw new BoardFault('boot2-crc', `boot2 CRC mismatch (stored 0x${boot2.stored.toString(16)}, computed ` +
        `0x${boot2.computed.toString(16)}): a real RP2040 would not boot this image and would enter USB mode`);
    }
    this.watch.learnVectorTable(this.mcu.flash);
    this.imageBytes = Math.max(...blocks.map((b) => b.target + 256)) - FLASH_BASE;
    this.#boot();
    return { blocks: blocks.length, bytes: blocks.length * 256 };
  }

  // The bootrom's hand-off: vector table at 0 again (boot2 moves it), thread mode, interrupts on, awake.
  #boot() {
    const { core } = this.mcu;
    core.VTOR = 0;
    core.IPSR = 0;
    core.PM = false;
    core.waiting = false;
    core.reset();
    core.LR = 0;
  }

  // A soft reset (chip-reset.mjs says what each kind keeps) restarts the core the way the bootrom does: through
  // boot2 and the image in flash. rp2040js cannot reset its other peripherals, so the firmware initialises what
  // it uses (it must on real hardware too).
  #restart(kind) {
    this.pendingReset = null;
    this.wedgedPC = -1;
    const watchdog = kind !== RESET_KIND.sysResetReq;
    if (watchdog) this.watchdogResets++;
    else this.systemResets++;
    this.onEvent({ type: watchdog ? 'watchdog-reset' : 'system-reset', kind, description: describeReset(kind),
      nanos: this.clock.nanos, count: watchdog ? this.watchdogResets : this.systemResets });
    applyReset(this.mcu, kind);
    this.watch.forgetSpin();
    this.#boot();
  }

  // Fault injection (`--fault hang@AT`): the main loop wedges the way a firmware bug does it, in a branch-to-self
  // with interrupts masked. Only the watchdog gets the core out. It lands between two thread-mode instructions
  // once the core has run HANG_AWAKE_INSTRUCTIONS since it last woke: inside a loop step, not asleep in WFI, in
  // an interrupt or on the way out of its sleep (after HANG_LATEST_NANOS pending, at the next thread-mode one).
  hang() {
    this.pendingHang = true;
    this.hangRequestedAt = this.clock.nanos;
  }

  #hangLandsNow() {
    const { core } = this.mcu;
    if (core.waiting || core.IPSR !== 0) return false;
    return this.awakeInstructions >= HANG_AWAKE_INSTRUCTIONS || this.clock.nanos - this.hangRequestedAt > HANG_LATEST_NANOS;
  }

  #wedge() {
    this.pendingHang = false;
    const { core } = this.mcu;
    this.wedgedPC = this.#branchToSelf();
    core.PM = true;
    core.waiting = false;
    core.PC = this.wedgedPC;
    this.onEvent({ type: 'hang', nanos: this.clock.nanos, pc: this.wedgedPC });
  }

  // A `b .` (0xE7FE) somewhere in the application's flash image other than its HardFault handler; if the image
  // has none, one is written into the last word of SRAM (the hung core never returns, nothing else reads it).
  #branchToSelf() {
    const { flash } = this.mcu;
    for (let offset = 0x100; offset + 1 < this.imageBytes; offset += 2) {
      const address = FLASH_BASE + offset;
      if (flash[offset] === 0xfe && flash[offset + 1] === 0xe7 && address !== this.watch.hardFaultHandler) return address;
    }
    const address = SRAM_END - 4;
    this.mcu.writeUint16(address, 0xe7fe);
    return address;
  }

  // A core spinning in place with interrupts masked changes nothing but time: skip to the next alarm (the
  // watchdog's, when armed) as a sleep does, paced by the wall clock once the board talks to a real-time peer.
  #fastForward(untilNanos) {
    const { clock } = this;
    const paced = this.realtimeGate();
    if (!paced) this.sleepMark = null;
    let target = Math.min(clock.nextAlarm !== null ? clock.nanos + Math.max(clock.nanosToNextAlarm, 0) : Infinity,
      untilNanos);
    if (paced) target = Math.min(target, this.#wallTarget());
    if (target === Infinity) return 'ran';
    if (target <= clock.nanos && !(clock.nextAlarm !== null && clock.nanosToNextAlarm <= 0)) return paced ? 'io-wait' : 'ran';
    if (paced) this.pacedNanos += Math.max(0, target - clock.nanos);
    clock.tick(Math.max(0, target - clock.nanos));
    return 'ran';
  }

  // While the core sleeps waiting on the bridged network, emulated time may not run ahead of the wall clock
  // from the start of that sleep: timeouts against a real-time peer then mean what they say.
  #wallTarget() {
    const wallNanos = this.wallClockMs() * 1e6;
    if (!this.sleepMark) this.sleepMark = { nanos: this.clock.nanos, wall: wallNanos };
    return this.sleepMark.nanos + (wallNanos - this.sleepMark.wall);
  }

  // Ends the current slice after this instruction (e.g. from a console-line callback).
  requestStop() {
    this.stopRequested = true;
  }

  // Runs at most `instructions` instructions, never past emulated time `untilNanos`. While the core sleeps
  // (WFI/WFE) time jumps to the next timer alarm, except while realtimeGate() holds: then it follows the wall
  // clock, and the slice returns 'io-wait' when it has caught up (the caller lets host I/O run).
  // Returns 'ran' | 'stopped' | 'time-limit' | 'asleep-forever' | 'io-wait';
  // a fault throws a BoardFault.
  runSlice(instructions, untilNanos) {
    const { core } = this.mcu;
    const { clock, watch } = this;
    for (let i = 0; i < instructions; i++) {
      if (this.pendingReset) this.#restart(this.pendingReset);
      if (this.pendingHang && this.#hangLandsNow()) this.#wedge();
      if (this.stopRequested) return 'stopped';
      if (clock.nanos >= untilNanos) return 'time-limit';
      if (watch.spinning && !watch.canEscape()) watch.spinning = false;  // the next instruction reports the lockup
      if (watch.spinning) {
        const state = this.#fastForward(untilNanos);
        if (state !== 'ran') return state;
        continue;
      }
      if (core.waiting) {
        this.awakeInstructions = 0;
        const paced = this.realtimeGate();
        const hasAlarm = clock.nextAlarm !== null;
        if (!paced) {
          this.sleepMark = null;
          if (!hasAlarm) return 'asleep-forever';
        }
        const due = hasAlarm && clock.nanosToNextAlarm <= 0;
        let target = Math.min(hasAlarm ? clock.nanos + Math.max(clock.nanosToNextAlarm, 0) : Infinity, untilNanos);
        if (paced) {
          target = Math.min(target, this.#wallTarget());
          if (target <= clock.nanos && !due) return 'io-wait';
        }
        if (paced) this.pacedNanos += Math.max(0, target - clock.nanos);
        clock.tick(Math.max(0, target - clock.nanos));
        continue;
      }
      this.sleepMark = null;
      this.awakeInstructions++;
      const pc = this.profile ? core.PC >>> 0 : 0;
      const cycles = core.executeInstruction();
      this.profile?.add(pc, cycles);
      clock.tick(cycles * NANOS_PER_CYCLE);
      if (this.breakCode !== null) {
        const pc = (core.PC - 2) >>> 0;
        throw new BoardFault('breakpoint', `HardFault: BKPT/UDF #${this.breakCode} at 0x${pc.toString(16)} ` +
          '(a trap: assert, abort or __builtin_trap)');
      }
      watch.afterInstruction();
    }
    return 'ran';
  }

  flushConsole() {
    this.console.flush();
  }

  get stackPeakBytes() {
    return this.watch.stackPeakBytes;
  }

  warningSummary() {
    return [...this.logger.warnings.entries()].map(([message, count]) => ({ message, count }));
  }
}
