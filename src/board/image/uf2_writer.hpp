// Writes a UF2 file for the RP2040's USB drive from flash regions (firmware, config sector, ...). Regions may
// start and end anywhere: each is cut into the 256-byte pages that contain it, and the parts of a page no
// region covers are 0xFF, which is what an erased page holds anyway. Blocks are ordered by address.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "board/image/uf2_format.hpp"
#include "common/error.hpp"

namespace picohub::board_image {

struct FlashRegion {
  std::string name;           // for the caller's summary ("firmware", "config")
  std::uint32_t address = 0;  // absolute, e.g. 0x10000000
  std::span<const std::uint8_t> bytes;
};

struct Uf2Options {
  std::uint32_t family_id = rp2040_family_id;
  std::uint32_t flash_base = rp2040_flash_base;
  std::uint32_t flash_size = rp2040_flash_window;  // regions must fit [flash_base, flash_base + flash_size)
};

// Refuses empty input, regions outside the flash and regions that overlap.
Result<std::vector<std::uint8_t>> write_uf2(std::span<const FlashRegion> regions, const Uf2Options& options = {});

}  // namespace picohub::board_image
