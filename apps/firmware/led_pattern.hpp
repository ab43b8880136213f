// The status LED's patterns as a pure function of time, so host tests can check them: what a maker without a
// serial console reads off the board. Each pattern repeats with a 1 s period.
//
//   connecting     even blink, 250 ms on / 250 ms off (the loop runs; not connected yet)
//   config_error   two short flashes, then a pause: 100 on, 150 off, 100 on, 650 off (fix the provisioning)
#pragma once

#include <cstdint>

namespace picohub::firmware {

enum class LedPattern : std::uint8_t { connecting, config_error };

constexpr bool led_lit(LedPattern pattern, std::uint64_t now_ms) noexcept {
  const std::uint64_t phase = now_ms % 1000;
  switch (pattern) {
    case LedPattern::connecting: return phase % 500 < 250;
    case LedPattern::config_error: return phase < 100 || (phase >= 250 && phase < 350);
  }
  return false;
}

// When led_lit() next changes after `now_ms` (the main loop sleeps until then).
constexpr std::uint64_t led_next_change_ms(LedPattern pattern, std::uint64_t now_ms) noexcept {
  constexpr std::uint64_t connecting[] = {250, 500, 750, 1000};
  constexpr std::uint64_t config_error[] = {100, 250, 350, 1000};
  const auto& edges = pattern == LedPattern::connecting ? connecting : config_error;
  const std::uint64_t start = now_ms - now_ms % 1000;
  for (const std::uint64_t edge : edges)
    if (now_ms % 1000 < edge) return start + edge;
  return start + 1000;
}

}  // namespace picohub::firmware
