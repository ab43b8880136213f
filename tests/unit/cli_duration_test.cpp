#include <gtest/gtest.h>

#include "duration.hpp"

namespace picohub::cli {
namespace {

std::uint64_t ms(const std::string& text) {
  std::uint64_t out = 12345;
  EXPECT_TRUE(parse_duration_ms(text, out)) << text;
  return out;
}

bool refused(const std::string& text) {
  std::uint64_t out = 12345;
  const bool ok = parse_duration_ms(text, out);
  EXPECT_EQ(out, 12345u) << "a refused duration leaves the output alone: " << text;
  return !ok;
}

TEST(Duration, UnitsAreMillisecondsSecondsAndMinutes) {
  EXPECT_EQ(ms("250ms"), 250u);
  EXPECT_EQ(ms("1s"), 1000u);
  EXPECT_EQ(ms("2m"), 120'000u);
  EXPECT_EQ(ms("0"), 0u);
}

TEST(Duration, BareNumberMeansSeconds) { EXPECT_EQ(ms("5"), 5000u); }

TEST(Duration, AnythingElseIsRefused) {
  for (const char* text : {"", "s", "ms", "-1s", "1.5s", "1 s", "1h", "1sec", "5x", "1s2", " 1s", "0x10"})
    EXPECT_TRUE(refused(text)) << text;
}

TEST(Duration, OverflowIsRefusedNotWrapped) {
  EXPECT_TRUE(refused("18446744073709551615s"));
  EXPECT_TRUE(refused("99999999999999999999"));
  EXPECT_EQ(ms("18446744073709551615ms"), 18446744073709551615ull);
}

}  // namespace
}  // namespace picohub::cli
