#include "board/image/uf2_reader.hpp"

#include <algorithm>
#include <set>

namespace picohub::board_image {
namespace {

std::uint32_t get_u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

}  // namespace

Result<std::vector<Uf2Block>> read_uf2(std::span<const std::uint8_t> file) {
  if (file.empty()) return fail(Errc::truncated, "UF2 file is empty");
  if (file.size() % uf2_block_size != 0) return fail(Errc::truncated, "UF2 file size is not a multiple of 512");
  std::vector<Uf2Block> blocks;
  for (std::size_t at = 0; at < file.size(); at += uf2_block_size) {
    const std::uint8_t* b = file.data() + at;
    if (get_u32(b + uf2_offset::magic_start0) != uf2_magic_start0 ||
        get_u32(b + uf2_offset::magic_start1) != uf2_magic_start1 ||
        get_u32(b + uf2_offset::magic_end) != uf2_magic_end)
      return fail(Errc::malformed, "UF2 block with a wrong magic number");
    Uf2Block block;
    block.flags = get_u32(b + uf2_offset::flags);
    block.target_address = get_u32(b + uf2_offset::target_address);
    block.payload_size = get_u32(b + uf2_offset::payload_size);
    block.block_no = get_u32(b + uf2_offset::block_no);
    block.num_blocks = get_u32(b + uf2_offset::num_blocks);
    block.family_id = get_u32(b + uf2_offset::family_id);
    std::copy(b + uf2_offset::data, b + uf2_offset::data + uf2_data_capacity, block.data.begin());
    blocks.push_back(block);
  }
  return blocks;
}

Result<void> check_rp2040_blocks(std::span<const Uf2Block> blocks, std::uint32_t flash_size) {
  if (blocks.empty()) return fail(Errc::truncated, "UF2 has no blocks");
  std::set<std::uint32_t> targets;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const Uf2Block& b = blocks[i];
    if (!(b.flags & uf2_flag_family_id_present) || b.family_id != rp2040_family_id)
      return fail(Errc::protocol_violation, "UF2 block is not marked for the RP2040 family");
    if (b.flags & uf2_flag_not_main_flash) return fail(Errc::protocol_violation, "UF2 block is not for main flash");
    if (b.payload_size != uf2_page_size) return fail(Errc::malformed, "UF2 payload is not 256 bytes");
    if (b.num_blocks != blocks.size() || b.block_no != i)
      return fail(Errc::malformed, "UF2 block numbers are not 0..n-1 of n");
    if (b.target_address % uf2_page_size != 0) return fail(Errc::malformed, "UF2 target is not 256-byte aligned");
    if (b.target_address < rp2040_flash_base ||
        std::uint64_t{b.target_address} + uf2_page_size > std::uint64_t{rp2040_flash_base} + flash_size)
      return fail(Errc::invalid_argument, "UF2 target lies outside the flash");
    if (!targets.insert(b.target_address).second) return fail(Errc::malformed, "UF2 writes one page twice");
  }
  return {};
}

std::vector<std::uint8_t> flash_bytes(std::span<const Uf2Block> blocks, std::uint32_t address, std::size_t length,
                                      std::uint8_t fill) {
  std::vector<std::uint8_t> out(length, fill);
  const std::uint64_t end = std::uint64_t{address} + length;
  for (const Uf2Block& b : blocks) {
    const std::size_t size = std::min<std::size_t>(b.payload_size, uf2_data_capacity);
    for (std::size_t i = 0; i < size; ++i) {
      const std::uint64_t at = std::uint64_t{b.target_address} + i;
      if (at >= address && at < end) out[static_cast<std::size_t>(at - address)] = b.data[i];
    }
  }
  return out;
}

}  // namespace picohub::board_image
