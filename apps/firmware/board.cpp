#include "board.hpp"

#include "board/rp2040/clocks.hpp"
#include "board/rp2040/rosc.hpp"
#include "board/rp2040/stack.hpp"

namespace picohub::firmware {

Board::BringUp::BringUp() noexcept {
  clock_failures = rp2040::clocks::init();
  gpio_ready = rp2040::gpio::init();
}

Board::Board() noexcept
    : w5100s_reset_(pin_w5100s_reset, true),  // high = chip running; the driver pulses it low to reset
      led_(pin_led, false),
      entropy_(rp2040::rosc::random_bit, nullptr) {
  rp2040::gpio::make_input(pin_w5100s_interrupt, rp2040::gpio::Pull::up);  // open-drain, active low
}

bool Board::w5100s_interrupt_asserted() const noexcept { return !rp2040::gpio::read(pin_w5100s_interrupt); }

std::uint32_t Board::stack_size_bytes() const noexcept { return rp2040::stack::size_bytes(); }
std::uint32_t Board::stack_high_water_bytes() const noexcept { return rp2040::stack::high_water_bytes(); }

}  // namespace picohub::firmware
