// HMAC-SHA256 (RFC 2104) on two mbedtls_sha256 contexts held in the object — on the caller's stack, no heap.
// mbedTLS's own HMAC goes through mbedtls_md_setup, which callocs its pads; on the board that memory would come
// out of the TLS arena in the middle of a session. SAS signing uses this instead.
#pragma once

#include <mbedtls/sha256.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/error.hpp"

namespace picohub::iothub {

class HmacSha256 {
 public:
  static constexpr std::size_t block_size = 64;
  static constexpr std::size_t mac_size = 32;
  using Mac = std::array<std::uint8_t, mac_size>;

  // Any key length: keys longer than a block are hashed first, as RFC 2104 says.
  explicit HmacSha256(std::span<const std::uint8_t> key) noexcept;
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  void update(std::span<const std::uint8_t> data) noexcept;
  void update(std::string_view text) noexcept;
  // Once per object. Errc::crypto_failure if any SHA-256 step failed.
  Result<void> finish(Mac& mac) noexcept;

 private:
  mbedtls_sha256_context inner_;
  mbedtls_sha256_context outer_;
  int rc_ = 0;  // first SHA-256 failure, reported by finish()
  bool finished_ = false;
};

}  // namespace picohub::iothub
