#include "board/rp2040/cortex_m0.hpp"

#include "board/rp2040/mmio.hpp"

namespace picohub::rp2040::cortex_m0 {
namespace {

constexpr Address nvic_iser = base::ppb + 0xE100;
constexpr Address aircr = base::ppb + 0xED0C;
constexpr std::uint32_t aircr_key = 0x05FAu << 16, aircr_sysresetreq = 1u << 2;

constexpr Address mpu_type = base::ppb + 0xED90, mpu_ctrl = base::ppb + 0xED94, mpu_rnr = base::ppb + 0xED98,
                  mpu_rbar = base::ppb + 0xED9C, mpu_rasr = base::ppb + 0xEDA0;
constexpr std::uint32_t mpu_ctrl_enable = 1u << 0, mpu_ctrl_default_map = 1u << 2;
// RASR: execute-never, AP = 000 (no access), SIZE = 7 (2^(7+1) = 256 bytes), region enabled.
constexpr std::uint32_t rasr_guard = (1u << 28) | (0u << 24) | (7u << 1) | 1u;

}  // namespace

void enable_irq(std::uint32_t irq) noexcept { reg(nvic_iser) = 1u << irq; }

void request_system_reset() noexcept {
  asm volatile("dsb" ::: "memory");
  reg(aircr) = aircr_key | aircr_sysresetreq;
  asm volatile("dsb" ::: "memory");
  for (std::uint32_t i = 0; i < 100'000; ++i) asm volatile("nop");  // the reset takes a few cycles to land
}

bool guard_256_bytes(std::uintptr_t base) noexcept {
  const std::uint32_t regions = (reg(mpu_type) >> 8) & 0xFF;  // DREGION
  // An MPU with no regions, or an unmapped register (reads as all ones), means there is nothing to program.
  if (regions == 0 || regions == 0xFF) return false;
  reg(mpu_rnr) = 0;
  reg(mpu_rbar) = static_cast<std::uint32_t>(base) & ~0xFFu;
  reg(mpu_rasr) = rasr_guard;
  reg(mpu_ctrl) = mpu_ctrl_enable | mpu_ctrl_default_map;
  asm volatile("dsb\n isb" ::: "memory");
  return true;
}

}  // namespace picohub::rp2040::cortex_m0
