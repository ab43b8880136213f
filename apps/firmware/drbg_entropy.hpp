// DrbgEntropy: TLS's seeded CTR_DRBG as a platform::Entropy, for the WebSocket upgrade key and the frame masks.
// RFC 6455 wants them unpredictable, not raw entropy: drawing them from the DRBG keeps the health-tested ROSC
// source (slow, conditioned bit by bit) for seeding, and fails as TLS does when the source failed.
#pragma once

#include "platform/entropy.hpp"
#include "tls/entropy_drbg.hpp"

namespace picohub::firmware {

class DrbgEntropy final : public platform::Entropy {
 public:
  explicit DrbgEntropy(tls::EntropyDrbg& drbg) noexcept : drbg_(drbg) {}
  Result<void> fill(std::span<std::uint8_t> out) override {
    if (!drbg_.seeded() || tls::EntropyDrbg::random(&drbg_, out.data(), out.size()) != 0)
      return fail(Errc::crypto_failure, "the random generator is not seeded");
    return {};
  }
  platform::EntropyHealth health() const noexcept override {
    return drbg_.seeded() ? platform::EntropyHealth::ok : platform::EntropyHealth::untested;
  }

 private:
  tls::EntropyDrbg& drbg_;
};

}  // namespace picohub::firmware
