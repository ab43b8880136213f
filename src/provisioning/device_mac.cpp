#include "provisioning/device_mac.hpp"

#include <cstdint>

namespace picohub::provisioning {

MacAddress mac_from_device_id(std::string_view device_id) noexcept {
  std::uint64_t hash = 0xCBF29CE484222325ull;  // FNV-1a 64 offset basis
  for (const char c : device_id) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 0x100000001B3ull;  // FNV-1a 64 prime
  }
  MacAddress mac{};
  mac[0] = static_cast<std::uint8_t>((hash & 0xFCu) | 0x02u);
  for (std::size_t i = 1; i < 6; ++i) mac[i] = static_cast<std::uint8_t>(hash >> (64 - 8 * i));
  return mac;
}

}  // namespace picohub::provisioning
