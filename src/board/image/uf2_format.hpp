// UF2 as the RP2040 bootrom accepts it: 512-byte blocks, little-endian fields, each carrying one 256-byte
// page for a flash address. The bootrom takes a block only if the family-id flag is set, the family is the
// RP2040's, the payload is 256 bytes, the target is 256-aligned and inside flash, and block_no < num_blocks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace picohub::board_image {

inline constexpr std::size_t uf2_block_size = 512;
inline constexpr std::size_t uf2_page_size = 256;              // payload per block (the RP2040 takes only 256)
inline constexpr std::size_t uf2_data_capacity = 476;          // bytes 32..507 of a block
inline constexpr std::uint32_t uf2_magic_start0 = 0x0A324655;  // "UF2\n"
inline constexpr std::uint32_t uf2_magic_start1 = 0x9E5D5157;
inline constexpr std::uint32_t uf2_magic_end = 0x0AB16F30;
inline constexpr std::uint32_t uf2_flag_not_main_flash = 0x00000001;
inline constexpr std::uint32_t uf2_flag_family_id_present = 0x00002000;
inline constexpr std::uint32_t rp2040_family_id = 0xE48BFF56;

// The RP2040's XIP flash window (16 MiB addressable; the board has 2 MiB).
inline constexpr std::uint32_t rp2040_flash_base = 0x10000000;
inline constexpr std::uint32_t rp2040_flash_window = 16 * 1024 * 1024;

// Byte offsets inside a block.
namespace uf2_offset {
inline constexpr std::size_t magic_start0 = 0, magic_start1 = 4, flags = 8, target_address = 12, payload_size = 16,
                             block_no = 20, num_blocks = 24, family_id = 28, data = 32, magic_end = 508;
}

}  // namespace picohub::board_image
