// TIMER: the 64-bit microsecond counter (ticked by the watchdog block's 1 µs tick) as the portable Clock, and
// ALARM0 + WFI to sleep until the next deadline instead of spinning.
#pragma once

#include <cstdint>

#include "platform/clock.hpp"

namespace picohub::rp2040 {

class Timer final : public platform::Clock {
 public:
  // Takes TIMER out of reset and routes ALARM0's interrupt (IRQ 0) so it can wake WFI.
  Timer() noexcept;

  std::uint64_t now_us() const noexcept;
  std::uint64_t now_ms() const noexcept override { return now_us() / 1000; }

  // Sleeps (WFI) until `deadline_us` or any other enabled interrupt, whichever comes first; returns at once if
  // the deadline has passed. Never sleeps longer than `max_sleep_us` (a cap so a far deadline cannot outlive
  // the 32-bit alarm compare, and so the caller's loop comes round to feed the watchdog).
  void sleep_until(std::uint64_t deadline_us, std::uint32_t max_sleep_us = 1'000'000) noexcept;
  // Busy-waits `us` microseconds (for the few hardware delays that need one, e.g. a reset pulse).
  void busy_wait_us(std::uint32_t us) const noexcept;
};

}  // namespace picohub::rp2040
