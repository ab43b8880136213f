// What the firmware does when it faults (HardFault, or an interrupt nobody handles): print the exception
// number and the stacked registers on UART0, then stop at a breakpoint. Under a debugger or rp2040js (whose
// BKPT stops the simulation) that shows where; on its own the core locks up and the watchdog resets the chip,
// which the next boot reports as a watchdog timeout.
// A stack overflow into the MPU guard faults while stacking the exception frame itself, which the M0+ turns
// into a lockup without running this: the watchdog still resets the chip.
#pragma once

#include <cstdint>

extern "C" [[noreturn]] void picohub_fault_report(const std::uint32_t* frame) noexcept;
