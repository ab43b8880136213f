// The status LED's patterns (led_pattern.hpp): what the board shows without a serial console.
#include <gtest/gtest.h>

#include "led_pattern.hpp"

namespace picohub::firmware {
namespace {

// Lit milliseconds and off-to-on changes of one pattern over [from, from + 1000).
struct Second {
  int lit_ms = 0;
  int flashes = 0;
};
Second one_second(LedPattern pattern, std::uint64_t from) {
  Second s;
  bool before = led_lit(pattern, from - 1);
  for (std::uint64_t t = from; t < from + 1000; ++t) {
    const bool lit = led_lit(pattern, t);
    s.lit_ms += lit ? 1 : 0;
    s.flashes += lit && !before ? 1 : 0;
    before = lit;
  }
  return s;
}

TEST(FirmwareLedPattern, ConfigErrorIsTwoShortFlashesASecond) {
  for (const std::uint64_t from : {1'000ull, 61'337ull, 86'400'123ull}) {
    const Second s = one_second(LedPattern::config_error, from);
    EXPECT_EQ(s.flashes, 2) << from;
    EXPECT_EQ(s.lit_ms, 200) << from;
  }
}

TEST(FirmwareLedPattern, ConnectingIsAnEvenBlinkTwiceASecond) {
  const Second s = one_second(LedPattern::connecting, 5'000);
  EXPECT_EQ(s.flashes, 2);
  EXPECT_EQ(s.lit_ms, 500);
}

TEST(FirmwareLedPattern, NextChangeIsExactlyWhereTheLedChanges) {
  for (const LedPattern pattern : {LedPattern::config_error, LedPattern::connecting}) {
    for (std::uint64_t now = 10'000; now < 12'000; now += 7) {
      const std::uint64_t next = led_next_change_ms(pattern, now);
      ASSERT_GT(next, now);
      for (std::uint64_t t = now; t < next; ++t)
        ASSERT_EQ(led_lit(pattern, t), led_lit(pattern, now)) << now << " " << t;
      EXPECT_NE(led_lit(pattern, next), led_lit(pattern, now)) << now;
    }
  }
}

}  // namespace
}  // namespace picohub::firmware
