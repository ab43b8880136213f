#include "board/rp2040/watchdog.hpp"

#include "board/rp2040/cortex_m0.hpp"
#include "board/rp2040/mmio.hpp"

namespace picohub::rp2040 {
namespace {

constexpr Address ctrl = base::watchdog + 0x00, load = base::watchdog + 0x04, reason = base::watchdog + 0x08,
                  scratch0 = base::watchdog + 0x0C, scratch1 = base::watchdog + 0x10, scratch2 = base::watchdog + 0x14;
constexpr std::uint32_t ctrl_trigger = 1u << 31, ctrl_enable = 1u << 30;
constexpr std::uint32_t ctrl_pause_debug = (1u << 26) | (1u << 25) | (1u << 24);  // DBG1, DBG0, JTAG
constexpr std::uint32_t reason_force = 1u << 1, reason_timer = 1u << 0;
// SCRATCH0..3 survive a watchdog or AIRCR reset (not power-on); SCRATCH4..7 belong to the bootrom.
// SCRATCH0/1: restart() request and code; SCRATCH2: the caller's record() word.
constexpr std::uint32_t restart_magic = 0x9C0B'4B0Bu;

// PSM.WDSEL: which power-on state machine blocks a watchdog reset restarts. Everything but the two oscillators
// (bits 0 and 1), so clocks come back the way boot expects them.
constexpr Address psm_wdsel = base::psm + 0x8;
constexpr std::uint32_t wdsel_all_but_oscillators = 0x1'FFFC;

}  // namespace

const char* describe(ResetReason r) noexcept {
  switch (r) {
    case ResetReason::power_on: return "power-on or RUN pin";
    case ResetReason::watchdog_timeout: return "watchdog timeout (the firmware hung)";
    case ResetReason::watchdog_forced: return "watchdog forced";
    case ResetReason::software_request: return "software restart";
  }
  return "unknown";
}

Watchdog::Watchdog() noexcept {
  const std::uint32_t why = reg(reason);
  if (reg(scratch0) == restart_magic) {
    reason_ = ResetReason::software_request;
    restart_code_ = reg(scratch1);
  } else if (why & reason_timer) {
    reason_ = ResetReason::watchdog_timeout;
  } else if (why & reason_force) {
    reason_ = ResetReason::watchdog_forced;
  }
  previous_record_ = reg(scratch2);
  reg(scratch0) = 0;
  reg(scratch1) = 0;
  reg(scratch2) = 0;
}

void Watchdog::record(std::uint32_t word) noexcept { reg(scratch2) = word; }

void Watchdog::enable(std::uint32_t timeout_ms) noexcept {
  if (timeout_ms > max_timeout_ms) timeout_ms = max_timeout_ms;
  load_ = timeout_ms * 1000 * 2;
  reg_clear(ctrl, ctrl_enable);
  reg(psm_wdsel) = wdsel_all_but_oscillators;
  reg_set(ctrl, ctrl_pause_debug);
  reg(load) = load_;
  reg_set(ctrl, ctrl_enable);
}

void Watchdog::feed() noexcept { reg(load) = load_; }

void Watchdog::restart(std::uint32_t code) noexcept {
  reg(scratch0) = restart_magic;
  reg(scratch1) = code;
  cortex_m0::request_system_reset();
  reg(psm_wdsel) = wdsel_all_but_oscillators;
  reg_set(ctrl, ctrl_trigger);
  for (;;) cortex_m0::wait_for_interrupt();  // an emulator without either reset stops here, quietly
}

}  // namespace picohub::rp2040
