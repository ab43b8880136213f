#include <gtest/gtest.h>

#include <array>
#include <string_view>
#include <vector>

#include "board/image/boot2_crc.hpp"

namespace picohub::board_image {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// A stand-in boot2: 252 bytes of a fixed pattern (i*3+1), then room for the CRC, then some "application".
std::vector<std::uint8_t> pattern_image() {
  std::vector<std::uint8_t> image(300, 0xEE);
  for (std::size_t i = 0; i < boot2_checked_size; ++i) image[i] = static_cast<std::uint8_t>(i * 3 + 1);
  return image;
}

TEST(Boot2Crc, MatchesTheCrc32Mpeg2CheckValue) { EXPECT_EQ(crc32_mpeg2(bytes_of("123456789")), 0x0376E6E7u); }

TEST(Boot2Crc, EmptyInputGivesTheInitialValue) { EXPECT_EQ(crc32_mpeg2({}), 0xFFFFFFFFu); }

TEST(Boot2Crc, AppendingTheCrcBigEndianLeavesAZeroRemainder) {
  // Property of a CRC without reflection or final XOR: message || crc(message) (MSB first) checks to 0.
  std::vector<std::uint8_t> message(bytes_of("boot2").begin(), bytes_of("boot2").end());
  const std::uint32_t crc = crc32_mpeg2(message);
  for (int shift = 24; shift >= 0; shift -= 8) message.push_back(static_cast<std::uint8_t>(crc >> shift));
  EXPECT_EQ(crc32_mpeg2(message), 0u);
}

TEST(Boot2Crc, PatchStoresTheKnownValueLittleEndianAt252) {
  auto image = pattern_image();
  EXPECT_FALSE(boot2_crc_ok(image));
  const auto crc = patch_boot2_crc(image);
  ASSERT_TRUE(crc.has_value());
  EXPECT_EQ(*crc, 0x2183D540u);  // computed independently for this pattern
  EXPECT_EQ(image[252], 0x40);
  EXPECT_EQ(image[253], 0xD5);
  EXPECT_EQ(image[254], 0x83);
  EXPECT_EQ(image[255], 0x21);
  EXPECT_EQ(image[256], 0xEE);  // the application after boot2 is untouched
  EXPECT_TRUE(boot2_crc_ok(image));
  EXPECT_EQ(stored_boot2_crc(image).value(), 0x2183D540u);
}

TEST(Boot2Crc, AnyFlippedBitInTheChecked252BytesFailsVerification) {
  auto image = pattern_image();
  ASSERT_TRUE(patch_boot2_crc(image).has_value());
  for (std::size_t byte = 0; byte < boot2_size; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      auto damaged = image;
      damaged[byte] ^= static_cast<std::uint8_t>(1u << bit);
      ASSERT_FALSE(boot2_crc_ok(damaged)) << byte << ":" << bit;
    }
  }
}

TEST(Boot2Crc, BytesAfterBoot2DoNotMatter) {
  auto image = pattern_image();
  ASSERT_TRUE(patch_boot2_crc(image).has_value());
  image[299] ^= 0xFF;
  EXPECT_TRUE(boot2_crc_ok(image));
}

TEST(Boot2Crc, ImageShorterThanBoot2IsRefused) {
  std::vector<std::uint8_t> image(255, 0);
  EXPECT_FALSE(boot2_crc_ok(image));
  EXPECT_FALSE(patch_boot2_crc(image).has_value());
  EXPECT_EQ(stored_boot2_crc(image).error().code, Errc::truncated);
}

}  // namespace
}  // namespace picohub::board_image
