// The config-flash region: the last 64 KiB of the 2 MiB flash (0x101F0000..0x10200000), reserved by the
// linker script for the provisioning block that `picohub board uf2` writes. The firmware only reads it,
// through the XIP window; the block's own format and checks live with the provisioning code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace picohub::rp2040 {

inline constexpr std::uintptr_t config_flash_address = 0x101F'0000;
inline constexpr std::size_t config_flash_size = 64 * 1024;

// The whole region as bytes (erased flash reads 0xFF).
std::span<const std::uint8_t> config_flash() noexcept;

}  // namespace picohub::rp2040
