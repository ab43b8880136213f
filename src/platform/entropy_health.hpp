// SP 800-90B-style health testing and conditioning for a raw one-bit-per-sample noise source (the RP2040's
// ROSC RANDOMBIT). Portable: the board passes its register read as the bit source, tests pass fake streams.
//
// Assumption (ours, not a certification): each raw sample carries at least H = 0.5 bits of min-entropy. The
// RANDOMBIT output is sampled from a free-running ring oscillator; successive reads are correlated, so a full
// bit per sample would be optimistic. Everything below is derived from H and a false-alarm rate of 2^-20
// (SP 800-90B 4.4):
//   repetition count test   cutoff C = 1 + ceil(20 / H)                        = 41 identical samples in a row
//   adaptive proportion     window W = 1024 (binary source), cutoff C = 1 + CRITBINOM(1024, 2^-H, 1 - 2^-20)
//                           = 793: the window's first value seen 793 times or more in the window
//   start-up                both tests over 4096 samples (four APT windows) before any output; samples discarded
//   conditioning            SHA-256 over (256 + 64) / H = 640 raw samples per 32-byte output block, so the input
//                           carries 64 bits more min-entropy than the output (SP 800-90B 3.1.5.1.2)
// A failure latches: fill() refuses to produce output until restart() passes a fresh start-up test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.hpp"
#include "platform/entropy.hpp"

namespace picohub::platform {

namespace entropy_params {
inline constexpr std::uint32_t repetition_cutoff = 41;
inline constexpr std::uint32_t proportion_window = 1024;
inline constexpr std::uint32_t proportion_cutoff = 793;
inline constexpr std::uint32_t startup_samples = 4096;
inline constexpr std::uint32_t samples_per_block = 640;
inline constexpr std::size_t block_bytes = 32;
}  // namespace entropy_params

// Fails once the same sample value has been seen `repetition_cutoff` times in a row (a stuck source).
class RepetitionCountTest {
 public:
  bool feed(std::uint8_t sample) noexcept;  // false = failure
  void reset() noexcept { run_ = 0; }

 private:
  std::uint8_t last_ = 0;
  std::uint32_t run_ = 0;
};

// Fails when the first sample of a 1024-sample window occurs `proportion_cutoff` times within the window (a
// source that leans too far towards one value).
class AdaptiveProportionTest {
 public:
  bool feed(std::uint8_t sample) noexcept;  // false = failure
  void reset() noexcept { seen_ = 0; }

 private:
  std::uint8_t reference_ = 0;
  std::uint32_t seen_ = 0;   // samples of the current window so far
  std::uint32_t count_ = 0;  // how many of them equal `reference_`
};

// One raw sample (only bit 0 counts) from the noise source. `context` is the caller's.
using RawBitSource = std::uint8_t (*)(void* context);

class HealthTestedEntropy final : public Entropy {
 public:
  HealthTestedEntropy(RawBitSource source, void* context) noexcept : source_(source), context_(context) {}

  // Runs the start-up test (if it has not run) and returns the resulting health.
  EntropyHealth start() noexcept;
  // Forgets a failure and runs a fresh start-up test (SP 800-90B: recovery only through a new start-up test).
  EntropyHealth restart() noexcept;

  // Conditioned bytes; starts the source first if needed. Errc::crypto_failure when the source is unhealthy
  // (the message names the failed test) or SHA-256 failed; `out` is then left zeroed.
  Result<void> fill(std::span<std::uint8_t> out) override;
  EntropyHealth health() const noexcept override { return health_; }

  // Raw samples drawn so far (start-up + conditioning), for diagnostics.
  std::uint64_t samples_drawn() const noexcept { return samples_drawn_; }

 private:
  // Draws one sample through both continuous tests; records and returns false on a failure.
  bool draw(std::uint8_t& bit) noexcept;
  Result<void> condition_block(std::span<std::uint8_t, entropy_params::block_bytes> out) noexcept;

  RawBitSource source_;
  void* context_;
  EntropyHealth health_ = EntropyHealth::untested;
  RepetitionCountTest repetition_;
  AdaptiveProportionTest proportion_;
  std::uint64_t samples_drawn_ = 0;
  std::uint32_t blocks_ = 0;
};

}  // namespace picohub::platform
