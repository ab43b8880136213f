// How the RP2040 resets itself, which rp2040js leaves to the harness (its watchdog only warns on a trigger and
// its PPB ignores AIRCR). Facts modelled, from the RP2040 datasheet:
//
// - WATCHDOG: a timeout sets REASON = TIMER, CTRL.TRIGGER sets REASON = FORCE; either restarts the power-on
//   state machine's domains selected by PSM.WDSEL (reset value 0: a watchdog that nobody pointed at anything
//   resets nothing). The core restarts when WDSEL.PROC0 is set. The watchdog disarms itself when it fires.
//   SCRATCH0..7 persist through any of these soft resets (only the RUN pin or a power cycle clears them).
// - AIRCR.SYSRESETREQ (VECTKEY 0x05FA): restarts the processor; the watchdog block, its REASON (only the RP2350
//   clears REASON on it) and SCRATCH are left as they were, and so is VREG_AND_CHIP_RESET.CHIP_RESET.
// - VREG_AND_CHIP_RESET.CHIP_RESET reports the last chip-level reset: HAD_POR since the harness powered the
//   board; neither kind of soft reset changes it.
//
// SRAM keeps its contents through a soft reset on the chip, and here too: the restarted firmware's start-up code
// sets up .data/.bss from the flash image again. rp2040js cannot hold its peripherals in reset; what a restart
// must not inherit (armed TIMER alarms, the NVIC, SysTick) is cleared here, the rest the firmware re-initialises.
import { BasePeripheral } from 'rp2040js';

export const WATCHDOG_BASE = 0x40058;
const REASON_TIMER = 1 << 0, REASON_FORCE = 1 << 1;
const PSM_WDSEL_PROC0 = 1 << 15;
const AIRCR = 0xd0c;
const AIRCR_VECTKEY = 0x05fa, AIRCR_VECTKEYSTAT = 0xfa05, AIRCR_SYSRESETREQ = 1 << 2;
const CHIP_RESET_HAD_POR = 1 << 8;

export const RESET_KIND = {
  watchdogTimeout: 'watchdog-timeout',
  watchdogForce: 'watchdog-force',
  sysResetReq: 'sysresetreq',
};

export function describeReset(kind) {
  switch (kind) {
    case RESET_KIND.watchdogTimeout: return 'watchdog timeout (REASON=TIMER)';
    case RESET_KIND.watchdogForce: return 'watchdog forced by CTRL.TRIGGER (REASON=FORCE)';
    case RESET_KIND.sysResetReq: return 'AIRCR.SYSRESETREQ (core restart; REASON unchanged)';
    default: return kind;
  }
}

// VREG_AND_CHIP_RESET (0x40064000): VREG and BOD hold their reset values; CHIP_RESET says power-on.
class VregAndChipReset extends BasePeripheral {
  constructor(rp2040, name) {
    super(rp2040, name);
    this.vreg = 0xb1;  // EN, VSEL 1.10 V
    this.bod = 0x91;   // EN, VSEL 0.86 V
    this.chipReset = CHIP_RESET_HAD_POR;
  }

  readUint32(offset) {
    switch (offset) {
      case 0x00: return this.vreg;
      case 0x04: return this.bod;
      case 0x08: return this.chipReset;
      default: return super.readUint32(offset);
    }
  }

  writeUint32(offset, value) {
    switch (offset) {
      case 0x00: this.vreg = value & 0xf3; break;
      case 0x04: this.bod = value & 0xf1; break;
      case 0x08: break;  // PSM_RESTART_FLAG (write 1 to clear) is never set: no debugger here
      default: super.writeUint32(offset, value);
    }
  }
}

// Hooks the reset sources into `mcu`; `requestReset(kind)` is called from inside an instruction or an alarm,
// so the caller performs the restart between instructions (applyReset).
export function installResetSources(mcu, requestReset) {
  const watchdog = mcu.peripherals[WATCHDOG_BASE];
  const psm = mcu.peripherals[0x40010];
  const disarm = () => {  // the watchdog disarms itself when it fires
    watchdog.enable = false;
    watchdog.timer.enable = false;
    watchdog.alarm.enable = false;
  };
  // rp2040js sets REASON before calling this (TIMER from its alarm, FORCE from a CTRL write).
  watchdog.onWatchdogTrigger = () => {
    disarm();
    if ((psm.wdsel & PSM_WDSEL_PROC0) === 0) return;  // REASON says it fired, but nothing was selected to reset
    requestReset(watchdog.reason & REASON_FORCE ? RESET_KIND.watchdogForce : RESET_KIND.watchdogTimeout);
  };
  // A CTRL write with TRIGGER resets at once: the rest of the written value (ENABLE, say) never takes effect.
  const watchdogWrite = watchdog.writeUint32.bind(watchdog);
  watchdog.writeUint32 = (offset, value) => {
    if (offset !== 0 || (value & 0x80000000) === 0) return watchdogWrite(offset, value);
    watchdog.reason = REASON_FORCE;
    watchdog.onWatchdogTrigger();
    return undefined;
  };

  const { ppb } = mcu;
  const ppbRead = ppb.readUint32.bind(ppb);
  const ppbWrite = ppb.writeUint32.bind(ppb);
  ppb.readUint32 = (offset) => (offset === AIRCR ? (AIRCR_VECTKEYSTAT << 16) >>> 0 : ppbRead(offset));
  ppb.writeUint32 = (offset, value) => {
    if (offset !== AIRCR) return ppbWrite(offset, value);
    if (value >>> 16 === AIRCR_VECTKEY && value & AIRCR_SYSRESETREQ) requestReset(RESET_KIND.sysResetReq);
    return undefined;  // without the key the write is ignored, as on the core
  };

  mcu.peripherals[0x40064] = new VregAndChipReset(mcu, 'VREG_AND_CHIP_RESET_BASE');
  return { watchdog, psm };
}

// What the restart clears before the bootrom-like hand-off (the caller restarts the core).
export function applyReset(mcu, kind) {
  const watchdog = mcu.peripherals[WATCHDOG_BASE];
  if (kind !== RESET_KIND.sysResetReq) {
    watchdog.enable = false;
    watchdog.timer.enable = false;
    watchdog.alarm.enable = false;
  }
  const { core, ppb } = mcu;
  core.enabledInterrupts = 0;
  core.pendingInterrupts = 0;
  core.interruptPriorities = [0xffffffff, 0, 0, 0];
  core.SHPR2 = 0;
  core.SHPR3 = 0;
  core.pendingSVCall = false;
  core.pendingPendSV = false;
  core.pendingSystick = false;
  core.pendingNMI = false;
  core.interruptsUpdated = true;
  ppb.systickTimer.enable = false;
  ppb.systickIntEnable = false;
  const timer = mcu.peripherals[0x40054];
  for (const alarm of timer.alarms) {
    alarm.armed = false;
    alarm.clockAlarm.cancel();
  }
  timer.intRaw = 0;
  timer.intEnable = 0;
  timer.intForce = 0;
  timer.checkInterrupts?.();
}

export { REASON_TIMER, REASON_FORCE, PSM_WDSEL_PROC0 };
