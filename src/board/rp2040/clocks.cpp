#include "board/rp2040/clocks.hpp"

#include "board/rp2040/mmio.hpp"
#include "board/rp2040/resets.hpp"

namespace picohub::rp2040::clocks {
namespace {

// XOSC registers and fields.
constexpr Address xosc_ctrl = base::xosc + 0x00;
constexpr Address xosc_status = base::xosc + 0x04;
constexpr Address xosc_startup = base::xosc + 0x0C;
constexpr std::uint32_t xosc_range_1_15mhz = 0xAA0;
constexpr std::uint32_t xosc_enable = 0xFABu << 12;
constexpr std::uint32_t xosc_stable = 1u << 31;
// Start-up delay in units of 256 crystal cycles: about 1 ms at 12 MHz.
constexpr std::uint32_t xosc_startup_delay = (xosc_hz / 1000 + 128) / 256;

// PLL registers (same layout for PLL_SYS and PLL_USB) and fields.
constexpr Address pll_cs = 0x0, pll_pwr = 0x4, pll_fbdiv = 0x8, pll_prim = 0xC;
constexpr std::uint32_t pll_lock = 1u << 31;
constexpr std::uint32_t pll_pwr_pd = 1u << 0, pll_pwr_postdivpd = 1u << 3, pll_pwr_vcopd = 1u << 5;

// CLOCKS registers and fields.
constexpr Address clk_ref_ctrl = base::clocks + 0x30, clk_ref_div = base::clocks + 0x34,
                  clk_ref_selected = base::clocks + 0x38;
constexpr Address clk_sys_ctrl = base::clocks + 0x3C, clk_sys_div = base::clocks + 0x40,
                  clk_sys_selected = base::clocks + 0x44;
constexpr Address clk_peri_ctrl = base::clocks + 0x48;
constexpr Address clk_adc_ctrl = base::clocks + 0x60, clk_adc_div = base::clocks + 0x64;
constexpr Address clk_sys_resus_ctrl = base::clocks + 0x78;
constexpr std::uint32_t clk_enable = 1u << 11;
constexpr std::uint32_t div_by_one = 1u << 8;  // integer part starts at bit 8
constexpr std::uint32_t ref_src_mask = 0x3, ref_src_rosc = 0, ref_src_xosc = 2;
constexpr std::uint32_t sys_src_aux = 1, sys_auxsrc_mask = 0x7u << 5, sys_auxsrc_pll_sys = 0u << 5;
constexpr std::uint32_t peri_auxsrc_clk_sys = 0u << 5;
constexpr std::uint32_t adc_auxsrc_pll_usb = 0u << 5;

// The watchdog block's tick generator: TIMER and watchdog count its 1 µs ticks.
constexpr Address watchdog_tick = base::watchdog + 0x2C;
constexpr std::uint32_t tick_enable = 1u << 9;

struct PllSettings {
  Address base;
  resets::Block block;
  std::uint32_t fbdiv, postdiv1, postdiv2;
};
// 12 MHz / REFDIV 1 x FBDIV = VCO (750..1600 MHz), then / POSTDIV1 / POSTDIV2.
constexpr PllSettings pll_sys_125mhz{base::pll_sys, resets::Block::pll_sys, 125, 6, 2};  // 1500 MHz VCO
constexpr PllSettings pll_usb_48mhz{base::pll_usb, resets::Block::pll_usb, 100, 5, 5};   // 1200 MHz VCO

std::uint32_t start_xosc() noexcept {
  reg(xosc_ctrl) = xosc_range_1_15mhz;
  reg(xosc_startup) = xosc_startup_delay;
  reg(xosc_ctrl) = xosc_enable | xosc_range_1_15mhz;
  return wait_bits(xosc_status, xosc_stable, xosc_stable) ? 0 : xosc_not_stable;
}

// Runs clk_sys and clk_ref from the ring oscillator so the PLLs can be reset under them.
std::uint32_t fall_back_to_rosc() noexcept {
  std::uint32_t failure = 0;
  reg_clear(clk_sys_ctrl, sys_src_aux);
  if (!wait_bits(clk_sys_selected, 0xFFFFFFFF, 1u << 0)) failure |= clk_sys_not_switched;
  reg_write_masked(clk_ref_ctrl, ref_src_rosc, ref_src_mask);
  if (!wait_bits(clk_ref_selected, 0xFFFFFFFF, 1u << ref_src_rosc)) failure |= clk_ref_not_switched;
  return failure;
}

std::uint32_t start_pll(const PllSettings& pll, std::uint32_t not_locked) noexcept {
  resets::hold(pll.block);
  if (!resets::release(pll.block)) return pll_not_out_of_reset;
  reg(pll.base + pll_cs) = 1;  // REFDIV
  reg(pll.base + pll_fbdiv) = pll.fbdiv;
  reg_clear(pll.base + pll_pwr, pll_pwr_pd | pll_pwr_vcopd);
  const bool locked = wait_bits(pll.base + pll_cs, pll_lock, pll_lock);
  reg(pll.base + pll_prim) = (pll.postdiv1 << 16) | (pll.postdiv2 << 12);
  reg_clear(pll.base + pll_pwr, pll_pwr_postdivpd);
  return locked ? 0 : not_locked;
}

std::uint32_t switch_to_plls() noexcept {
  std::uint32_t failure = 0;
  reg(clk_ref_div) = div_by_one;
  reg_write_masked(clk_ref_ctrl, ref_src_xosc, ref_src_mask);
  if (!wait_bits(clk_ref_selected, 0xFFFFFFFF, 1u << ref_src_xosc)) failure |= clk_ref_not_switched;

  // The aux mux is glitchy: change it only while clk_sys runs from clk_ref, then switch the glitchless mux.
  reg(clk_sys_div) = div_by_one;
  reg_write_masked(clk_sys_ctrl, sys_auxsrc_pll_sys, sys_auxsrc_mask);
  reg_set(clk_sys_ctrl, sys_src_aux);
  if (!wait_bits(clk_sys_selected, 0xFFFFFFFF, 1u << 1)) failure |= clk_sys_not_switched;

  // Peripheral clocks have no glitchless mux: disable, select, enable.
  reg(clk_peri_ctrl) = 0;
  reg(clk_peri_ctrl) = clk_enable | peri_auxsrc_clk_sys;
  reg(clk_adc_ctrl) = 0;
  reg(clk_adc_div) = div_by_one;
  reg(clk_adc_ctrl) = clk_enable | adc_auxsrc_pll_usb;
  return failure;
}

}  // namespace

std::uint32_t init() noexcept {
  reg(clk_sys_resus_ctrl) = 0;
  std::uint32_t failure = start_xosc();
  failure |= fall_back_to_rosc();
  failure |= start_pll(pll_sys_125mhz, pll_sys_not_locked);
  failure |= start_pll(pll_usb_48mhz, pll_usb_not_locked);
  failure |= switch_to_plls();
  reg(watchdog_tick) = tick_enable | (xosc_hz / 1'000'000);  // clk_ref cycles per µs
  return failure;
}

}  // namespace picohub::rp2040::clocks
