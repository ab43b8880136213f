#include <gtest/gtest.h>

#include <vector>

#include "board/image/uf2_reader.hpp"
#include "board/image/uf2_writer.hpp"

namespace picohub::board_image {
namespace {

std::vector<std::uint8_t> counting(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(seed + i * 13);
  return bytes;
}

std::uint32_t word_at(const std::vector<std::uint8_t>& file, std::size_t at) {
  return static_cast<std::uint32_t>(file[at] | file[at + 1] << 8 | file[at + 2] << 16) |
         static_cast<std::uint32_t>(file[at + 3]) << 24;
}

std::vector<Uf2Block> read_back(const std::vector<std::uint8_t>& file) {
  auto blocks = read_uf2(file);
  EXPECT_TRUE(blocks.has_value()) << blocks.error().what;
  if (!blocks) return {};
  const auto checked = check_rp2040_blocks(*blocks);
  EXPECT_TRUE(checked.has_value()) << checked.error().what;
  return *blocks;
}

TEST(Uf2Writer, BlocksCarryTheFieldsTheRp2040BootromChecks) {
  const auto firmware = counting(512, 1);
  const FlashRegion regions[] = {{"firmware", 0x10000000, firmware}};
  const auto file = write_uf2(regions).value();
  ASSERT_EQ(file.size(), 2 * 512u);
  for (std::size_t n = 0; n < 2; ++n) {
    const std::size_t at = n * 512;
    EXPECT_EQ(word_at(file, at + 0), 0x0A324655u);
    EXPECT_EQ(word_at(file, at + 4), 0x9E5D5157u);
    EXPECT_EQ(word_at(file, at + 8), 0x00002000u);  // family id present, nothing else
    EXPECT_EQ(word_at(file, at + 12), 0x10000000u + 256 * n);
    EXPECT_EQ(word_at(file, at + 16), 256u);
    EXPECT_EQ(word_at(file, at + 20), n);
    EXPECT_EQ(word_at(file, at + 24), 2u);
    EXPECT_EQ(word_at(file, at + 28), 0xE48BFF56u);
    EXPECT_EQ(word_at(file, at + 508), 0x0AB16F30u);
    EXPECT_TRUE(std::equal(file.begin() + at + 32, file.begin() + at + 288, firmware.begin() + 256 * n));
    for (std::size_t i = 288; i < 508; ++i) ASSERT_EQ(file[at + i], 0) << "padding at " << i;
  }
}

TEST(Uf2Writer, UnalignedRegionIsPaddedWithErasedBytesToWholePages) {
  const auto bytes = counting(300, 7);
  const FlashRegion regions[] = {{"odd", 0x10000080, bytes}};
  const auto blocks = read_back(write_uf2(regions).value());
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].target_address, 0x10000000u);
  EXPECT_EQ(blocks[1].target_address, 0x10000100u);
  EXPECT_EQ(blocks[0].data[0x7F], 0xFF);
  EXPECT_EQ(blocks[0].data[0x80], bytes[0]);
  EXPECT_EQ(blocks[1].data[300 + 0x80 - 256 - 1], bytes[299]);
  EXPECT_EQ(blocks[1].data[300 + 0x80 - 256], 0xFF);
  EXPECT_EQ(flash_bytes(blocks, 0x10000080, 300), bytes);
}

TEST(Uf2Writer, FirmwareAndConfigSectorBecomeOneOrderedFile) {
  const auto firmware = counting(1000, 3);
  const auto config = counting(100, 9);
  // Given out of order on purpose: the file is ordered by address.
  const FlashRegion regions[] = {{"config", 0x101F0000, config}, {"firmware", 0x10000000, firmware}};
  const auto blocks = read_back(write_uf2(regions).value());
  ASSERT_EQ(blocks.size(), 5u);  // 4 pages of firmware + 1 of config
  for (std::uint32_t n = 0; n < 4; ++n) EXPECT_EQ(blocks[n].target_address, 0x10000000u + 256 * n);
  EXPECT_EQ(blocks[4].target_address, 0x101F0000u);
  for (std::uint32_t n = 0; n < 5; ++n) {
    EXPECT_EQ(blocks[n].block_no, n);
    EXPECT_EQ(blocks[n].num_blocks, 5u);
  }
  EXPECT_EQ(flash_bytes(blocks, 0x10000000, 1000), firmware);
  EXPECT_EQ(flash_bytes(blocks, 0x101F0000, 100), config);
  EXPECT_EQ(flash_bytes(blocks, 0x10000000 + 1000, 24), std::vector<std::uint8_t>(24, 0xFF));
}

TEST(Uf2Writer, TwoRegionsSharingAPageShareOneBlock) {
  const auto a = counting(16, 1);
  const auto b = counting(16, 100);
  const FlashRegion regions[] = {{"a", 0x10000000, a}, {"b", 0x10000020, b}};
  const auto blocks = read_back(write_uf2(regions).value());
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(flash_bytes(blocks, 0x10000000, 16), a);
  EXPECT_EQ(flash_bytes(blocks, 0x10000020, 16), b);
  EXPECT_EQ(blocks[0].data[0x10], 0xFF);
}

TEST(Uf2Writer, RefusesOverlapOutsideFlashAndNothing) {
  const auto bytes = counting(300, 1);
  const FlashRegion overlap[] = {{"a", 0x10000000, bytes}, {"b", 0x10000100, bytes}};
  EXPECT_EQ(write_uf2(overlap).error().code, Errc::invalid_argument);
  const FlashRegion below[] = {{"a", 0x0FFFFF00, bytes}};
  EXPECT_FALSE(write_uf2(below).has_value());
  const FlashRegion past_board_flash[] = {{"a", 0x10200000 - 100, bytes}};
  EXPECT_FALSE(write_uf2(past_board_flash, Uf2Options{rp2040_family_id, 0x10000000, 2 * 1024 * 1024}).has_value());
  EXPECT_FALSE(write_uf2({}).has_value());
  const FlashRegion empty[] = {{"a", 0x10000000, {}}};
  EXPECT_FALSE(write_uf2(empty).has_value());
}

TEST(Uf2Reader, RefusesWrongMagicsAndPartialBlocks) {
  const auto bytes = counting(256, 1);
  const FlashRegion regions[] = {{"a", 0x10000000, bytes}};
  const auto file = write_uf2(regions).value();
  for (std::size_t at : {0u, 4u, 508u}) {
    auto damaged = file;
    damaged[at] ^= 1;
    EXPECT_EQ(read_uf2(damaged).error().code, Errc::malformed) << at;
  }
  EXPECT_EQ(read_uf2(std::span(file).first(511)).error().code, Errc::truncated);
  EXPECT_FALSE(read_uf2({}).has_value());
}

TEST(Uf2Reader, Rp2040RulesRefuseWhatTheBootromWouldIgnore) {
  const auto bytes = counting(512, 1);
  const FlashRegion regions[] = {{"a", 0x10000000, bytes}};
  const auto good = read_uf2(write_uf2(regions).value()).value();
  ASSERT_TRUE(check_rp2040_blocks(good).has_value());
  auto broken = [&](auto mutate) {
    auto blocks = good;
    mutate(blocks);
    return !check_rp2040_blocks(blocks).has_value();
  };
  EXPECT_TRUE(broken([](auto& b) { b[0].family_id = 0x12345678; }));
  EXPECT_TRUE(broken([](auto& b) { b[0].flags = 0; }));
  EXPECT_TRUE(broken([](auto& b) { b[0].flags |= uf2_flag_not_main_flash; }));
  EXPECT_TRUE(broken([](auto& b) { b[1].payload_size = 476; }));
  EXPECT_TRUE(broken([](auto& b) { b[1].target_address += 4; }));
  EXPECT_TRUE(broken([](auto& b) { b[1].block_no = 0; }));
  EXPECT_TRUE(broken([](auto& b) { b[1].num_blocks = 3; }));
  EXPECT_TRUE(broken([](auto& b) { b[1].target_address = b[0].target_address; }));
  EXPECT_TRUE(broken([](auto& b) { b[1].target_address = 0x20000000; }));
}

}  // namespace
}  // namespace picohub::board_image
