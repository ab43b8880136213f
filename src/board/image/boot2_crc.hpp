// The RP2040 bootrom copies the first 256 bytes of flash (boot2) to SRAM and runs them only if a CRC over the
// first 252 bytes equals the little-endian word at 252..255. The CRC is CRC-32/MPEG-2: polynomial 0x04C11DB7,
// init 0xFFFFFFFF, bits taken most significant first, no final XOR (check value of "123456789": 0x0376E6E7).
// A firmware image whose boot2 fails this check does not boot: the board drops into USB mode instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.hpp"

namespace picohub::board_image {

inline constexpr std::size_t boot2_size = 256;
inline constexpr std::size_t boot2_checked_size = 252;

std::uint32_t crc32_mpeg2(std::span<const std::uint8_t> bytes) noexcept;

// The CRC stored at 252..255 of `image` (which starts with boot2).
Result<std::uint32_t> stored_boot2_crc(std::span<const std::uint8_t> image) noexcept;

// True when the image is at least 256 bytes and its stored CRC matches bytes 0..251.
bool boot2_crc_ok(std::span<const std::uint8_t> image) noexcept;

// Computes the CRC of bytes 0..251 and stores it at 252..255.
Result<std::uint32_t> patch_boot2_crc(std::span<std::uint8_t> image) noexcept;

}  // namespace picohub::board_image
