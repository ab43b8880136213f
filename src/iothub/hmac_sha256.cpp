#include "iothub/hmac_sha256.hpp"

#include <mbedtls/platform_util.h>

namespace picohub::iothub {
namespace {
constexpr std::uint8_t inner_pad = 0x36;
constexpr std::uint8_t outer_pad = 0x5c;
}  // namespace

HmacSha256::HmacSha256(std::span<const std::uint8_t> key) noexcept {
  mbedtls_sha256_init(&inner_);
  mbedtls_sha256_init(&outer_);
  // K0: the key, hashed if longer than a block, zero-padded to a block.
  std::array<std::uint8_t, block_size> k0{};
  if (key.size() > block_size) {
    rc_ = mbedtls_sha256(key.data(), key.size(), k0.data(), 0);
  } else {
    for (std::size_t i = 0; i < key.size(); ++i) k0[i] = key[i];
  }
  std::array<std::uint8_t, block_size> pad{};
  for (std::size_t i = 0; i < block_size; ++i) pad[i] = static_cast<std::uint8_t>(k0[i] ^ inner_pad);
  if (rc_ == 0) rc_ = mbedtls_sha256_starts(&inner_, 0);
  if (rc_ == 0) rc_ = mbedtls_sha256_update(&inner_, pad.data(), pad.size());
  for (std::size_t i = 0; i < block_size; ++i) pad[i] = static_cast<std::uint8_t>(k0[i] ^ outer_pad);
  if (rc_ == 0) rc_ = mbedtls_sha256_starts(&outer_, 0);
  if (rc_ == 0) rc_ = mbedtls_sha256_update(&outer_, pad.data(), pad.size());
  mbedtls_platform_zeroize(k0.data(), k0.size());
  mbedtls_platform_zeroize(pad.data(), pad.size());
}

HmacSha256::~HmacSha256() {
  mbedtls_sha256_free(&inner_);  // zeroises the key-dependent state
  mbedtls_sha256_free(&outer_);
}

void HmacSha256::update(std::span<const std::uint8_t> data) noexcept {
  if (rc_ == 0 && !finished_ && !data.empty()) rc_ = mbedtls_sha256_update(&inner_, data.data(), data.size());
}

void HmacSha256::update(std::string_view text) noexcept {
  update(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

Result<void> HmacSha256::finish(Mac& mac) noexcept {
  if (finished_) return fail(Errc::invalid_argument, "HMAC-SHA256 already finished");
  finished_ = true;
  Mac inner_hash{};
  if (rc_ == 0) rc_ = mbedtls_sha256_finish(&inner_, inner_hash.data());
  if (rc_ == 0) rc_ = mbedtls_sha256_update(&outer_, inner_hash.data(), inner_hash.size());
  if (rc_ == 0) rc_ = mbedtls_sha256_finish(&outer_, mac.data());
  mbedtls_platform_zeroize(inner_hash.data(), inner_hash.size());
  if (rc_ != 0) return fail(Errc::crypto_failure, "HMAC-SHA256 failed");
  return {};
}

}  // namespace picohub::iothub
