// Retry policy as a pure function: the delay before retry `attempt` (0 = the first wait) doubles from `first_ms`
// up to `max_ms`, then moves by a jitter in [-jitter_ms, +jitter_ms] drawn from `random`, so a fleet that lost
// its network together does not retry in lock-step.
#pragma once

#include <cstdint>

namespace picohub::netstack {

struct RetryBackoff {
  std::uint32_t first_ms = 4'000;
  std::uint32_t max_ms = 64'000;
  std::uint32_t jitter_ms = 1'000;

  constexpr std::uint32_t delay_ms(std::uint32_t attempt, std::uint32_t random) const noexcept {
    std::uint64_t base = first_ms;
    for (std::uint32_t i = 0; i < attempt && base != 0 && base < max_ms; ++i) base *= 2;  // <= 64 turns
    if (base > max_ms) base = max_ms;
    if (jitter_ms == 0) return static_cast<std::uint32_t>(base);
    const std::uint64_t span = std::uint64_t{jitter_ms} * 2 + 1;
    const std::uint64_t shifted = base + random % span;  // base - jitter .. base + jitter, never below zero
    return static_cast<std::uint32_t>(shifted > jitter_ms ? shifted - jitter_ms : 0);
  }
};

}  // namespace picohub::netstack
