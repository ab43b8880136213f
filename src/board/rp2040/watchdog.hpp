// Watchdog: resets the chip when the main loop stops feeding it, and remembers why the last reset happened.
#pragma once

#include <cstdint>

namespace picohub::rp2040 {

enum class ResetReason : std::uint8_t {
  power_on,          // power-on or the RUN pin (no watchdog, no request recorded)
  watchdog_timeout,  // the loop stopped feeding the watchdog: something hung
  watchdog_forced,   // the watchdog was triggered on purpose without a recorded request
  software_request,  // restart() (AIRCR or watchdog) with a reason code in scratch
};

const char* describe(ResetReason reason) noexcept;

class Watchdog {
 public:
  // The counter is 24 bits and, per erratum RP2040-E1, decrements twice per 1 µs tick: at most ~8.38 s.
  static constexpr std::uint32_t max_timeout_ms = 0xFF'FFFF / 2 / 1000;

  // Reads and clears the record of the last reset. Call once, early.
  Watchdog() noexcept;

  ResetReason last_reset() const noexcept { return reason_; }
  // The code passed to restart() before the last reset (0 unless last_reset() is software_request).
  std::uint32_t last_restart_code() const noexcept { return restart_code_; }
  // The word the previous boot last passed to record() (0 after a power-on): what it was doing when it reset.
  std::uint32_t previous_record() const noexcept { return previous_record_; }
  // Keeps `word` where a watchdog or software reset leaves it (SCRATCH2); one register write, cheap to repeat.
  void record(std::uint32_t word) noexcept;

  // Starts (or restarts) the countdown; `timeout_ms` is clamped to max_timeout_ms. Paused under a debugger.
  void enable(std::uint32_t timeout_ms) noexcept;
  void feed() noexcept;
  // Records `code` and resets the chip: AIRCR first, the watchdog's trigger if that did not take.
  [[noreturn]] void restart(std::uint32_t code) noexcept;

 private:
  ResetReason reason_ = ResetReason::power_on;
  std::uint32_t restart_code_ = 0;
  std::uint32_t previous_record_ = 0;
  std::uint32_t load_ = 0;
};

}  // namespace picohub::rp2040
