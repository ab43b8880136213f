#include "board/image/boot2_crc.hpp"

namespace picohub::board_image {

std::uint32_t crc32_mpeg2(std::span<const std::uint8_t> bytes) noexcept {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const std::uint8_t byte : bytes) {
    crc ^= static_cast<std::uint32_t>(byte) << 24;
    for (int bit = 0; bit < 8; ++bit) crc = (crc << 1) ^ (0x04C11DB7u & (0u - (crc >> 31)));
  }
  return crc;
}

Result<std::uint32_t> stored_boot2_crc(std::span<const std::uint8_t> image) noexcept {
  if (image.size() < boot2_size) return fail(Errc::truncated, "image shorter than the 256-byte boot2");
  const auto* p = image.data() + boot2_checked_size;
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

bool boot2_crc_ok(std::span<const std::uint8_t> image) noexcept {
  const auto stored = stored_boot2_crc(image);
  return stored && *stored == crc32_mpeg2(image.first(boot2_checked_size));
}

Result<std::uint32_t> patch_boot2_crc(std::span<std::uint8_t> image) noexcept {
  if (image.size() < boot2_size) return fail(Errc::truncated, "image shorter than the 256-byte boot2");
  const std::uint32_t crc = crc32_mpeg2(image.first(boot2_checked_size));
  for (std::size_t i = 0; i < 4; ++i) image[boot2_checked_size + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  return crc;
}

}  // namespace picohub::board_image
