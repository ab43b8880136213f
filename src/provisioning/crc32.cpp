#include "provisioning/crc32.hpp"

namespace picohub::provisioning {

std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t running) noexcept {
  std::uint32_t crc = ~running;
  for (const std::uint8_t byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

}  // namespace picohub::provisioning
