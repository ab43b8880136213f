#include "tls/entropy_drbg.hpp"

#include <span>

namespace picohub::tls {

EntropyDrbg::EntropyDrbg() noexcept { mbedtls_ctr_drbg_init(&drbg_); }
EntropyDrbg::~EntropyDrbg() { mbedtls_ctr_drbg_free(&drbg_); }

int EntropyDrbg::pull_entropy(void* self, unsigned char* out, std::size_t len) noexcept {
  auto* drbg = static_cast<EntropyDrbg*>(self);
  if (drbg->source_ == nullptr) return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
  auto filled = drbg->source_->fill(std::span<std::uint8_t>(out, len));
  return filled ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

Result<void> EntropyDrbg::seed(platform::Entropy& source, std::string_view personalisation) noexcept {
  mbedtls_ctr_drbg_free(&drbg_);
  mbedtls_ctr_drbg_init(&drbg_);
  source_ = &source;
  const int rc = mbedtls_ctr_drbg_seed(&drbg_, &EntropyDrbg::pull_entropy, this,
                                       reinterpret_cast<const unsigned char*>(personalisation.data()),
                                       personalisation.size());
  if (rc != 0) {
    source_ = nullptr;
    return fail(Errc::crypto_failure, "the entropy source failed its health tests: TLS stays off");
  }
  return {};
}

int EntropyDrbg::random(void* self, unsigned char* out, std::size_t len) noexcept {
  auto* drbg = static_cast<EntropyDrbg*>(self);
  if (drbg->source_ == nullptr) return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
  return mbedtls_ctr_drbg_random(&drbg->drbg_, out, len);
}

}  // namespace picohub::tls
