#include "board/rp2040/gpio.hpp"

#include "board/rp2040/cortex_m0.hpp"
#include "board/rp2040/mmio.hpp"
#include "board/rp2040/resets.hpp"

namespace picohub::rp2040::gpio {
namespace {

Address ctrl(std::uint32_t pin) noexcept { return base::io_bank0 + 8 * pin + 4; }
Address pad(std::uint32_t pin) noexcept { return base::pads_bank0 + 4 + 4 * pin; }

// PADS_BANK0 GPIOn bits.
// OD (bit 7) stays clear: the selected function's own output enable decides.
constexpr std::uint32_t pad_input_enable = 1u << 6, pad_drive_4ma = 1u << 4, pad_pull_up = 1u << 3,
                        pad_pull_down = 1u << 2, pad_schmitt = 1u << 1;

// SIO registers.
constexpr Address sio_in = base::sio + 0x004;
constexpr Address sio_out_set = base::sio + 0x014, sio_out_clr = base::sio + 0x018, sio_out_xor = base::sio + 0x01C;
constexpr Address sio_oe_set = base::sio + 0x024, sio_oe_clr = base::sio + 0x028;

// IO_BANK0 interrupt registers: 4 bits per pin (LEVEL_LOW, LEVEL_HIGH, EDGE_LOW, EDGE_HIGH), 8 pins per word.
constexpr Address intr0 = base::io_bank0 + 0x0F0, proc0_inte0 = base::io_bank0 + 0x100;
constexpr std::uint32_t edge_low = 1u << 2;
constexpr std::uint32_t io_bank0_irq = 13;
Address pin_word(Address first, std::uint32_t pin) noexcept { return first + 4 * (pin / 8); }
std::uint32_t pin_bits(std::uint32_t pin, std::uint32_t bits) noexcept { return bits << (4 * (pin % 8)); }

std::uint32_t pull_bits(Pull pull) noexcept {
  switch (pull) {
    case Pull::up: return pad_pull_up;
    case Pull::down: return pad_pull_down;
    case Pull::none: break;
  }
  return 0;
}

}  // namespace

bool init() noexcept {
  const bool io = resets::release(resets::Block::io_bank0);
  const bool pads = resets::release(resets::Block::pads_bank0);
  return io && pads;
}

void set_function(std::uint32_t pin, Function function, Pull pull) noexcept {
  reg(pad(pin)) = pad_input_enable | pad_drive_4ma | pad_schmitt | pull_bits(pull);
  reg(ctrl(pin)) = static_cast<std::uint32_t>(function);  // no overrides
}

void make_output(std::uint32_t pin, bool initial_high) noexcept {
  write(pin, initial_high);  // level first, so the pin never glitches to the wrong state
  reg(sio_oe_set) = 1u << pin;
  set_function(pin, Function::sio);
}

void make_input(std::uint32_t pin, Pull pull) noexcept {
  reg(sio_oe_clr) = 1u << pin;
  set_function(pin, Function::sio, pull);
}

void write(std::uint32_t pin, bool high) noexcept { reg(high ? sio_out_set : sio_out_clr) = 1u << pin; }
void toggle(std::uint32_t pin) noexcept { reg(sio_out_xor) = 1u << pin; }
bool read(std::uint32_t pin) noexcept { return (reg(sio_in) >> pin) & 1u; }

void wake_on_falling_edge(std::uint32_t pin) noexcept {
  reg(pin_word(intr0, pin)) = pin_bits(pin, edge_low);  // forget an old edge
  reg_set(pin_word(proc0_inte0, pin), pin_bits(pin, edge_low));
  cortex_m0::enable_irq(io_bank0_irq);
}

OutputPin::OutputPin(std::uint32_t pin, bool initial_high) noexcept : pin_(pin) { make_output(pin, initial_high); }
void OutputPin::write(bool high) { gpio::write(pin_, high); }
void OutputPin::toggle() noexcept { gpio::toggle(pin_); }

}  // namespace picohub::rp2040::gpio

// A wake-up edge: acknowledge every latched edge (the write-1-to-clear bits) so the line drops.
extern "C" void picohub_isr_io_bank0() {
  using namespace picohub::rp2040;
  using namespace picohub::rp2040::gpio;
  for (std::uint32_t word = 0; word < 4; ++word) {
    const Address intr = intr0 + 4 * word;
    reg(intr) = reg(intr) & 0xCCCC'CCCCu;  // EDGE_LOW/EDGE_HIGH bits of the 8 pins
  }
}
