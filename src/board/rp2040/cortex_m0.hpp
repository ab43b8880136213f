// The Cortex-M0+ core's own controls: interrupt masking and the NVIC, WFI, system reset through AIRCR, and
// the MPU region that guards the bottom of the stack.
#pragma once

#include <cstdint>

namespace picohub::rp2040::cortex_m0 {

inline void disable_interrupts() noexcept { asm volatile("cpsid i" ::: "memory"); }
inline void enable_interrupts() noexcept { asm volatile("cpsie i" ::: "memory"); }
// Sleeps until an interrupt is pending (also while masked by PRIMASK, which is how sleep_until avoids races).
inline void wait_for_interrupt() noexcept { asm volatile("dsb\n wfi" ::: "memory"); }

void enable_irq(std::uint32_t irq) noexcept;

// Asks the core for a system reset (AIRCR.SYSRESETREQ). rp2040js does not model it, so after a bounded wait
// this returns and the caller falls back to the watchdog.
void request_system_reset() noexcept;

// Makes [base, base + 256) no-access with the MPU (rest of the map unchanged), so a stack that grows into it
// faults at once instead of overwriting static data. `base` must be 256-byte aligned. False when the core has
// no MPU (rp2040js does not model one; the layout still keeps the stack away from .data/.bss, see the linker
// script).
bool guard_256_bytes(std::uintptr_t base) noexcept;

}  // namespace picohub::rp2040::cortex_m0
