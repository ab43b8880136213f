#include <gtest/gtest.h>

#include <array>
#include <string>

#include "netstack/ipv4.hpp"
#include "netstack/retry_backoff.hpp"

using namespace picohub::netstack;

namespace {

std::string format(Ipv4 a) {
  std::array<char, ipv4_text_capacity> buf{};
  const auto n = format_ipv4(a, buf);
  return std::string(buf.data(), n);
}

TEST(NetstackIpv4, FormatsDottedQuadWithNul) {
  EXPECT_EQ(format(Ipv4{{192, 0, 2, 10}}), "192.0.2.10");
  EXPECT_EQ(format(Ipv4{}), "0.0.0.0");
  EXPECT_EQ(format(ipv4_broadcast), "255.255.255.255");
  std::array<char, 16> buf;
  buf.fill('x');
  ASSERT_EQ(format_ipv4(ipv4_broadcast, buf), 15u);
  EXPECT_EQ(buf[15], '\0');
}

TEST(NetstackIpv4, FormatRefusesTooSmallBuffer) {
  std::array<char, 10> small{};
  EXPECT_EQ(format_ipv4(Ipv4{{192, 0, 2, 10}}, small), 0u);
  std::array<char, 11> exact{};
  EXPECT_EQ(format_ipv4(Ipv4{{192, 0, 2, 10}}, exact), 10u);
}

TEST(NetstackIpv4, ParsesStrictDottedQuad) {
  EXPECT_EQ(parse_ipv4("192.0.2.10"), (Ipv4{{192, 0, 2, 10}}));
  EXPECT_EQ(parse_ipv4("0.0.0.0"), Ipv4{});
  EXPECT_EQ(parse_ipv4("255.255.255.255"), ipv4_broadcast);
  for (const char* bad : {"", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..3.4", "a.b.c.d",
                          "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "1234.1.1.1", "hub.example.com"})
    EXPECT_FALSE(parse_ipv4(bad).has_value()) << bad;
}

TEST(NetstackIpv4, U32RoundTripIsNetworkOrder) {
  EXPECT_EQ(Ipv4::from_u32(0xC000020A), (Ipv4{{192, 0, 2, 10}}));
  EXPECT_EQ((Ipv4{{192, 0, 2, 10}}).to_u32(), 0xC000020Au);
}

TEST(NetstackRetryBackoff, DoublesToTheCapWithBoundedJitter) {
  const RetryBackoff b{4'000, 64'000, 1'000};
  // random % 2001 == 1000 means no jitter
  EXPECT_EQ(b.delay_ms(0, 1000), 4'000u);
  EXPECT_EQ(b.delay_ms(1, 1000), 8'000u);
  EXPECT_EQ(b.delay_ms(4, 1000), 64'000u);
  EXPECT_EQ(b.delay_ms(40, 1000), 64'000u);
  EXPECT_EQ(b.delay_ms(0, 0), 3'000u);
  EXPECT_EQ(b.delay_ms(0, 2000), 5'000u);
  EXPECT_EQ((RetryBackoff{0, 1'000, 0}).delay_ms(0xFFFFFFFF, 0), 0u) << "a zero start does not spin";
  EXPECT_EQ((RetryBackoff{1, 0xFFFFFFFF, 0}).delay_ms(0xFFFFFFFF, 0), 0xFFFFFFFFu);
  for (std::uint32_t r : {0u, 1u, 999u, 12345u, 0xFFFFFFFFu}) {
    EXPECT_GE(b.delay_ms(2, r), 15'000u);
    EXPECT_LE(b.delay_ms(2, r), 17'000u);
  }
}

}  // namespace
