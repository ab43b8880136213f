// SHA-1 (FIPS 180-4), small and allocation-free, for the one thing RFC 6455 needs it for: the Sec-WebSocket-Accept
// check. Not for security: the accept value only proves the server read our key. A rolled loop rather than
// mbedTLS's unrolled block function: 550 B instead of 4,944 B on the Cortex-M0+ (object .text at -Os), and the
// board's mbedTLS carries no SHA-1 at all.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace picohub::websocket {

class Sha1 {
 public:
  void update(std::span<const std::uint8_t> bytes) noexcept;
  std::array<std::uint8_t, 20> finish() noexcept;  // the digest; the object is spent afterwards

 private:
  void block() noexcept;

  std::array<std::uint32_t, 5> h_{0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t used_ = 0;
  std::uint64_t length_ = 0;  // bytes hashed
};

}  // namespace picohub::websocket
