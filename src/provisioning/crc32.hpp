// CRC-32 as zlib, Ethernet and PNG compute it (reflected polynomial 0xEDB88320, init and xorout 0xFFFFFFFF;
// check value of "123456789" is 0xCBF43926). Bitwise, no table: the config block is read once per boot, and
// 1 KiB of table would cost more flash than the few milliseconds it saves.
#pragma once

#include <cstdint>
#include <span>

namespace picohub::provisioning {

// `running` lets a caller checksum several spans as one: pass the previous result back in.
std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t running = 0) noexcept;

}  // namespace picohub::provisioning
