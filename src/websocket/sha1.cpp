#include "websocket/sha1.hpp"

namespace picohub::websocket {
namespace {

constexpr std::uint32_t rotl(std::uint32_t x, int n) noexcept { return (x << n) | (x >> (32 - n)); }

}  // namespace

void Sha1::block() noexcept {
  std::uint32_t w[16];
  for (int i = 0; i < 16; ++i)
    w[i] = static_cast<std::uint32_t>(buffer_[4 * i]) << 24 | static_cast<std::uint32_t>(buffer_[4 * i + 1]) << 16 |
           static_cast<std::uint32_t>(buffer_[4 * i + 2]) << 8 | buffer_[4 * i + 3];
  std::uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
  for (int t = 0; t < 80; ++t) {
    if (t >= 16) w[t & 15] = rotl(w[(t + 13) & 15] ^ w[(t + 8) & 15] ^ w[(t + 2) & 15] ^ w[t & 15], 1);
    std::uint32_t f, k;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999u;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1u;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDCu;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6u;
    }
    const std::uint32_t next = rotl(a, 5) + f + e + k + w[t & 15];
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = next;
  }
  h_[0] += a;
  h_[1] += b;
  h_[2] += c;
  h_[3] += d;
  h_[4] += e;
}

void Sha1::update(std::span<const std::uint8_t> bytes) noexcept {
  for (const std::uint8_t byte : bytes) {
    buffer_[used_++] = byte;
    if (used_ == buffer_.size()) {
      block();
      used_ = 0;
    }
  }
  length_ += bytes.size();
}

std::array<std::uint8_t, 20> Sha1::finish() noexcept {
  const std::uint64_t bits = length_ * 8;
  const std::uint8_t one = 0x80;
  update({&one, 1});
  const std::uint8_t zero = 0;
  while (used_ != 56) update({&zero, 1});
  std::uint8_t tail[8];
  for (int i = 0; i < 8; ++i) tail[i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
  update(tail);
  std::array<std::uint8_t, 20> digest{};
  for (std::size_t i = 0; i < digest.size(); ++i)
    digest[i] = static_cast<std::uint8_t>(h_[i / 4] >> (24 - 8 * (i % 4)));
  return digest;
}

}  // namespace picohub::websocket
