// Board: the W5100S-EVB-Pico's hardware, brought up in order and handed to the application through the
// portable interfaces (Clock, Entropy, SpiBus, DigitalOut) plus the few board-only services the main loop
// needs (console, LED, temperature, watchdog, reset reason, stack watermark). Construct exactly one, early:
// the constructor sets up clocks before any peripheral that depends on them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "board/rp2040/adc.hpp"
#include "board/rp2040/config_flash.hpp"
#include "board/rp2040/gpio.hpp"
#include "board/rp2040/spi0.hpp"
#include "board/rp2040/timer.hpp"
#include "board/rp2040/uart0.hpp"
#include "board/rp2040/watchdog.hpp"
#include "platform/clock.hpp"
#include "platform/entropy.hpp"
#include "platform/entropy_health.hpp"
#include "platform/spi_bus.hpp"

namespace picohub::firmware {

class Board {
 public:
  static constexpr std::uint32_t pin_w5100s_reset = 20, pin_w5100s_interrupt = 21, pin_led = 25;

  Board() noexcept;
  Board(const Board&) = delete;
  Board& operator=(const Board&) = delete;

  platform::Clock& clock() noexcept { return timer_; }
  // ROSC RANDOMBIT behind the health tests. Call start_entropy() once at boot to run the start-up test.
  platform::Entropy& entropy() noexcept { return entropy_; }
  platform::EntropyHealth start_entropy() noexcept { return entropy_.start(); }
  platform::SpiBus& w5100s_spi() noexcept { return spi_; }
  platform::DigitalOut& w5100s_reset() noexcept { return w5100s_reset_; }
  // INTn is active low: true while the W5100S signals an interrupt.
  bool w5100s_interrupt_asserted() const noexcept;
  // From now on INTn falling wakes sleep_until_ms() (for the W5100S stage, once it enables chip interrupts).
  void wake_on_w5100s_interrupt() noexcept { rp2040::gpio::wake_on_falling_edge(pin_w5100s_interrupt); }

  void console_write(std::string_view text) noexcept { uart_.write(text); }
  void set_led(bool on) noexcept { led_.write(on); }
  void toggle_led() noexcept { led_.toggle(); }
  std::optional<rp2040::TemperatureReading> temperature() noexcept { return temperature_.read(); }

  // The provisioning block's 64 KiB region at the end of flash (read-only, XIP).
  std::span<const std::uint8_t> config_flash() const noexcept { return rp2040::config_flash(); }

  rp2040::ResetReason reset_reason() const noexcept { return watchdog_.last_reset(); }
  std::uint32_t restart_code() const noexcept { return watchdog_.last_restart_code(); }
  void enable_watchdog(std::uint32_t timeout_ms) noexcept { watchdog_.enable(timeout_ms); }
  void feed_watchdog() noexcept { watchdog_.feed(); }
  [[noreturn]] void restart(std::uint32_t code) noexcept { watchdog_.restart(code); }
  // A word that survives a watchdog reset (what the loop is doing), and the one the previous boot left.
  void record_activity(std::uint32_t word) noexcept { watchdog_.record(word); }
  std::uint32_t previous_activity() const noexcept { return watchdog_.previous_record(); }

  // rp2040::clocks settle-failure bits for oscillators/PLLs that did not report ready (0 = all fine).
  std::uint32_t clock_failures() const noexcept { return bring_up_.clock_failures; }
  bool gpio_ready() const noexcept { return bring_up_.gpio_ready; }
  std::uint32_t stack_size_bytes() const noexcept;
  std::uint32_t stack_high_water_bytes() const noexcept;
  std::uint32_t spi_stalls() const noexcept { return spi_.stalls(); }

  // Sleeps until `deadline_ms` (monotonic, as clock().now_ms()) or an interrupt; at most 1 s at a time.
  void sleep_until_ms(std::uint64_t deadline_ms) noexcept { timer_.sleep_until(deadline_ms * 1000); }

 private:
  // Runs in member order, before the peripherals: clocks and the GPIO banks.
  struct BringUp {
    BringUp() noexcept;
    std::uint32_t clock_failures = 0;
    bool gpio_ready = false;
  };

  rp2040::Watchdog watchdog_;  // first: it reads why the chip last reset before anything changes it
  BringUp bring_up_;
  rp2040::Uart0 uart_;
  rp2040::Timer timer_;
  rp2040::Spi0Bus spi_;
  rp2040::gpio::OutputPin w5100s_reset_;
  rp2040::gpio::OutputPin led_;
  rp2040::TemperatureSensor temperature_;
  platform::HealthTestedEntropy entropy_;
};

}  // namespace picohub::firmware
