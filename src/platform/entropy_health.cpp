#include "platform/entropy_health.hpp"

#include <mbedtls/sha256.h>

#include <algorithm>
#include <array>

namespace picohub::platform {

bool RepetitionCountTest::feed(std::uint8_t sample) noexcept {
  if (run_ != 0 && sample == last_) {
    ++run_;
  } else {
    last_ = sample;
    run_ = 1;
  }
  return run_ < entropy_params::repetition_cutoff;
}

bool AdaptiveProportionTest::feed(std::uint8_t sample) noexcept {
  if (seen_ == 0) {
    reference_ = sample;
    count_ = 0;
  }
  if (sample == reference_) ++count_;
  seen_ = (seen_ + 1) % entropy_params::proportion_window;
  return count_ < entropy_params::proportion_cutoff;
}

bool HealthTestedEntropy::draw(std::uint8_t& bit) noexcept {
  bit = static_cast<std::uint8_t>(source_(context_) & 1u);
  ++samples_drawn_;
  if (!repetition_.feed(bit)) {
    health_ = EntropyHealth::failed_repetition;
    return false;
  }
  if (!proportion_.feed(bit)) {
    health_ = EntropyHealth::failed_proportion;
    return false;
  }
  return true;
}

EntropyHealth HealthTestedEntropy::start() noexcept {
  if (health_ != EntropyHealth::untested) return health_;
  repetition_.reset();
  proportion_.reset();
  std::uint8_t bit = 0;
  for (std::uint32_t i = 0; i < entropy_params::startup_samples; ++i) {
    if (!draw(bit)) return health_;
  }
  health_ = EntropyHealth::ok;
  return health_;
}

EntropyHealth HealthTestedEntropy::restart() noexcept {
  health_ = EntropyHealth::untested;
  return start();
}

Result<void> HealthTestedEntropy::condition_block(std::span<std::uint8_t, entropy_params::block_bytes> out) noexcept {
  // Raw samples packed 8 per byte, preceded by a block counter so two blocks never hash the same input.
  std::array<std::uint8_t, 4 + entropy_params::samples_per_block / 8> input{};
  ++blocks_;
  for (std::size_t i = 0; i < 4; ++i) input[i] = static_cast<std::uint8_t>(blocks_ >> (24 - 8 * i));
  std::uint8_t bit = 0;
  for (std::uint32_t i = 0; i < entropy_params::samples_per_block; ++i) {
    if (!draw(bit)) return fail(Errc::crypto_failure, describe(health_));
    input[4 + i / 8] = static_cast<std::uint8_t>(input[4 + i / 8] | (bit << (7 - i % 8)));
  }
  mbedtls_sha256_context sha;
  mbedtls_sha256_init(&sha);
  const bool ok = mbedtls_sha256_starts(&sha, 0) == 0 && mbedtls_sha256_update(&sha, input.data(), input.size()) == 0 &&
                  mbedtls_sha256_finish(&sha, out.data()) == 0;
  mbedtls_sha256_free(&sha);
  std::fill(input.begin(), input.end(), std::uint8_t{0});  // raw noise is secret too
  if (!ok) return fail(Errc::crypto_failure, "SHA-256 conditioning of the entropy source failed");
  return {};
}

Result<void> HealthTestedEntropy::fill(std::span<std::uint8_t> out) {
  std::fill(out.begin(), out.end(), std::uint8_t{0});
  if (start() != EntropyHealth::ok) return fail(Errc::crypto_failure, describe(health_));
  std::array<std::uint8_t, entropy_params::block_bytes> block{};
  for (std::size_t done = 0; done < out.size();) {
    if (auto r = condition_block(block); !r) {
      std::fill(out.begin(), out.end(), std::uint8_t{0});
      return r;
    }
    const std::size_t n = std::min(block.size(), out.size() - done);
    std::copy_n(block.begin(), n, out.begin() + static_cast<std::ptrdiff_t>(done));
    done += n;
  }
  std::fill(block.begin(), block.end(), std::uint8_t{0});
  return {};
}

}  // namespace picohub::platform
