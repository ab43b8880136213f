// The board's replacement for printf("%.2f"): two decimals from an integer in hundredths.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

#include "device/fixed_point.hpp"

namespace picohub::device {
namespace {

std::string hundredths(std::int32_t v) {
  std::array<char, 16> out{};
  auto s = format_hundredths(v, out);
  return s ? std::string(*s) : std::string("ERR");
}

TEST(DeviceFixedPoint, WritesTwoDecimals) {
  EXPECT_EQ(hundredths(2150), "21.50");
  EXPECT_EQ(hundredths(2105), "21.05");
  EXPECT_EQ(hundredths(0), "0.00");
  EXPECT_EQ(hundredths(7), "0.07");
  EXPECT_EQ(hundredths(100), "1.00");
  EXPECT_EQ(hundredths(4999), "49.99");
}

TEST(DeviceFixedPoint, NegativesIncludingBetweenMinusOneAndZero) {
  EXPECT_EQ(hundredths(-305), "-3.05");
  EXPECT_EQ(hundredths(-5), "-0.05");  // the sign is not lost when the integer part is 0
  EXPECT_EQ(hundredths(INT32_MIN), "-21474836.48");
  EXPECT_EQ(hundredths(INT32_MAX), "21474836.47");
}

TEST(DeviceFixedPoint, RefusesABufferTooSmall) {
  std::array<char, 4> small{};
  EXPECT_FALSE(format_hundredths(2150, small));  // "21.50" needs 5
  std::array<char, 5> exact{};
  auto s = format_hundredths(2150, exact);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, "21.50");
  std::array<char, 0> none{};
  EXPECT_FALSE(format_hundredths(-1, none));
}

}  // namespace
}  // namespace picohub::device
