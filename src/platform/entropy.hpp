// Entropy: the source that seeds TLS's random generator. On the board it is the ROSC RANDOMBIT behind
// SP 800-90B-style health tests and SHA-256 conditioning; on the host the operating system. A source that
// fails its health tests reports it and refuses to produce output: TLS then stops, it never gets predictable
// bytes instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.hpp"

namespace picohub::platform {

enum class EntropyHealth : std::uint8_t {
  untested,           // no start-up test has run yet
  ok,                 // start-up tests passed and the continuous tests keep passing
  failed_repetition,  // repetition count test: the source repeated one value too often (stuck)
  failed_proportion,  // adaptive proportion test: one value dominates a window (biased)
};

const char* describe(EntropyHealth health) noexcept;

class Entropy {
 public:
  virtual ~Entropy() = default;
  // Fills `out` with conditioned random bytes. Errc::crypto_failure when the source is not healthy.
  virtual Result<void> fill(std::span<std::uint8_t> out) = 0;
  virtual EntropyHealth health() const noexcept = 0;
};

inline const char* describe(EntropyHealth health) noexcept {
  switch (health) {
    case EntropyHealth::untested: return "not tested yet";
    case EntropyHealth::ok: return "passed";
    case EntropyHealth::failed_repetition: return "FAILED (repetition count: the source is stuck)";
    case EntropyHealth::failed_proportion: return "FAILED (adaptive proportion: the source is biased)";
  }
  return "unknown";
}

}  // namespace picohub::platform
