#include "board/rp2040/resets.hpp"

#include "board/rp2040/mmio.hpp"

namespace picohub::rp2040::resets {
namespace {
constexpr Address reset_reg = base::resets + 0x0;
constexpr Address reset_done = base::resets + 0x8;

std::uint32_t bit(Block block) noexcept { return 1u << static_cast<std::uint32_t>(block); }
}  // namespace

void hold(Block block) noexcept { reg_set(reset_reg, bit(block)); }

bool release(Block block) noexcept {
  reg_clear(reset_reg, bit(block));
  return wait_bits(reset_done, bit(block), bit(block));
}

}  // namespace picohub::rp2040::resets
