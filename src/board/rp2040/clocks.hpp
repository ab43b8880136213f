// Clock tree bring-up: the 12 MHz crystal (XOSC), PLL_SYS at 125 MHz for clk_sys and clk_peri (UART, SPI),
// PLL_USB at 48 MHz for clk_adc, clk_ref from the crystal, and the watchdog's 1 µs tick that the TIMER counts.
#pragma once

#include <cstdint>

namespace picohub::rp2040::clocks {

inline constexpr std::uint32_t xosc_hz = 12'000'000;
inline constexpr std::uint32_t sys_hz = 125'000'000;
inline constexpr std::uint32_t peri_hz = sys_hz;
inline constexpr std::uint32_t adc_hz = 48'000'000;

// Settle failures: which status bits never came up within their bounded wait (0 = all fine). The boot continues either
// way so the console can say what is wrong; on silicon a set bit means the crystal or a PLL did not start.
inline constexpr std::uint32_t xosc_not_stable = 1u << 0;
inline constexpr std::uint32_t pll_sys_not_locked = 1u << 1;
inline constexpr std::uint32_t pll_usb_not_locked = 1u << 2;
inline constexpr std::uint32_t clk_ref_not_switched = 1u << 3;
inline constexpr std::uint32_t clk_sys_not_switched = 1u << 4;
inline constexpr std::uint32_t pll_not_out_of_reset = 1u << 5;

// Runs once at start-up, before any peripheral that depends on a clock rate. Returns the failure bits above.
std::uint32_t init() noexcept;

}  // namespace picohub::rp2040::clocks
