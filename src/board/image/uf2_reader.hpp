// Reads a UF2 file back: the tests check what the writer made with it, and `picohub board` can inspect a file
// before a maker copies it. `check_rp2040_blocks` applies the rules the RP2040 bootrom applies.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "board/image/uf2_format.hpp"
#include "common/error.hpp"

namespace picohub::board_image {

struct Uf2Block {
  std::uint32_t flags = 0;
  std::uint32_t target_address = 0;
  std::uint32_t payload_size = 0;
  std::uint32_t block_no = 0;
  std::uint32_t num_blocks = 0;
  std::uint32_t family_id = 0;  // only meaningful when the family-id flag is set
  std::array<std::uint8_t, uf2_data_capacity> data{};
};

// Splits the file into blocks; refuses a size that is not a multiple of 512 and any block with a wrong magic.
Result<std::vector<Uf2Block>> read_uf2(std::span<const std::uint8_t> file);

// The RP2040 bootrom's acceptance rules, plus: blocks numbered 0..n-1 in order, every target distinct, all
// inside [flash_base, flash_base + flash_size).
Result<void> check_rp2040_blocks(std::span<const Uf2Block> blocks, std::uint32_t flash_size = rp2040_flash_window);

// The bytes the blocks put at [address, address + length); bytes no block writes read as `fill`.
std::vector<std::uint8_t> flash_bytes(std::span<const Uf2Block> blocks, std::uint32_t address, std::size_t length,
                                      std::uint8_t fill = 0xFF);

}  // namespace picohub::board_image
