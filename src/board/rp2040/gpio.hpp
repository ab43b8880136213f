// GPIO: pin function (IO_BANK0), pad electrical settings (PADS_BANK0) and the SIO's fast output/input registers.
// Pads are always written explicitly, input enable included: the silicon resets them with IE set, rp2040js
// with IE clear, and code that relied on the reset value would read 0 from every input in the emulator.
#pragma once

#include <cstdint>

#include "platform/spi_bus.hpp"

namespace picohub::rp2040::gpio {

enum class Function : std::uint8_t { spi = 1, uart = 2, sio = 5, null = 0x1F };
enum class Pull : std::uint8_t { none, up, down };

// Takes IO_BANK0 and PADS_BANK0 out of reset. False if they did not come out.
bool init() noexcept;

// Selects the pin's function and sets its pad: input enabled, output enabled, 4 mA, Schmitt trigger, `pull`.
void set_function(std::uint32_t pin, Function function, Pull pull = Pull::none) noexcept;

// SIO-driven pins.
void make_output(std::uint32_t pin, bool initial_high) noexcept;
void make_input(std::uint32_t pin, Pull pull) noexcept;
void write(std::uint32_t pin, bool high) noexcept;
void toggle(std::uint32_t pin) noexcept;
bool read(std::uint32_t pin) noexcept;

// Lets a falling edge on `pin` wake the core from WFI (IO_BANK0 interrupt, IRQ 13): e.g. the W5100S's INTn, so
// the main loop can sleep until the chip has news. The handler only acknowledges the edge; the loop then
// polls whoever owns the pin. A level that is already low raised no edge: check the pin before sleeping.
void wake_on_falling_edge(std::uint32_t pin) noexcept;

// A SIO output pin as the portable DigitalOut (the W5100S reset line).
class OutputPin final : public platform::DigitalOut {
 public:
  OutputPin(std::uint32_t pin, bool initial_high) noexcept;
  void write(bool high) override;
  void toggle() noexcept;
  std::uint32_t pin() const noexcept { return pin_; }

 private:
  std::uint32_t pin_;
};

}  // namespace picohub::rp2040::gpio
