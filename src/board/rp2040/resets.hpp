// RESETS: every peripheral starts held in reset; a driver takes its block out before touching it.
#pragma once

#include <cstdint>

namespace picohub::rp2040::resets {

// Bit numbers in RESETS.RESET / RESET_DONE.
enum class Block : std::uint8_t {
  adc = 0,
  io_bank0 = 5,
  pads_bank0 = 8,
  pll_sys = 12,
  pll_usb = 13,
  spi0 = 16,
  timer = 21,
  uart0 = 22,
};

// Puts the block into reset (its registers return to their reset values).
void hold(Block block) noexcept;
// Takes the block out of reset and waits (bounded) until RESET_DONE says it is running. False on timeout.
bool release(Block block) noexcept;

}  // namespace picohub::rp2040::resets
