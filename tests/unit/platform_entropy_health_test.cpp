// HealthTestedEntropy against streams whose verdict is known: stuck (all ones, what rp2040js's ROSC returns),
// biased, periodic-but-balanced, and good (a seeded generator and the host's random device).
#include "platform/entropy_health.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>

namespace picohub::platform {
namespace {

std::uint8_t all_ones(void*) { return 1; }

// Repeats "1 1 1 1 0": 80 % ones and never more than four equal samples in a row.
std::uint8_t four_ones_one_zero(void* context) {
  auto& i = *static_cast<std::uint32_t*>(context);
  return static_cast<std::uint8_t>(i++ % 5 != 4);
}

std::uint8_t alternating(void* context) {
  auto& i = *static_cast<std::uint32_t*>(context);
  return static_cast<std::uint8_t>(i++ & 1u);
}

struct SeededBits {
  std::mt19937 engine;
  std::bernoulli_distribution ones;
  static std::uint8_t read(void* context) {
    auto& self = *static_cast<SeededBits*>(context);
    return static_cast<std::uint8_t>(self.ones(self.engine));
  }
};

std::uint8_t host_random(void* context) {
  auto& device = *static_cast<std::random_device*>(context);
  return static_cast<std::uint8_t>(device() & 1u);
}

// A source that can be switched between working and stuck.
struct SwitchableSource {
  bool stuck = false;
  std::uint32_t i = 0;
  static std::uint8_t read(void* context) {
    auto& self = *static_cast<SwitchableSource*>(context);
    return self.stuck ? 1 : alternating(&self.i);
  }
};

TEST(EntropyHealth, StuckSourceFailsTheRepetitionCountTestAtTheCutoff) {
  HealthTestedEntropy entropy(all_ones, nullptr);
  EXPECT_EQ(entropy.health(), EntropyHealth::untested);
  EXPECT_EQ(entropy.start(), EntropyHealth::failed_repetition);
  EXPECT_EQ(entropy.samples_drawn(), entropy_params::repetition_cutoff);
  std::array<std::uint8_t, 32> out{};
  out.fill(0xAA);
  auto r = entropy.fill(out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::crypto_failure);
  EXPECT_EQ(std::string_view(r.error().what), describe(EntropyHealth::failed_repetition));
  for (auto b : out) EXPECT_EQ(b, 0);  // no half-made output left behind
}

TEST(EntropyHealth, BiasedButNeverStuckSourceFailsTheAdaptiveProportionTest) {
  std::uint32_t i = 0;
  HealthTestedEntropy entropy(four_ones_one_zero, &i);
  EXPECT_EQ(entropy.start(), EntropyHealth::failed_proportion);
  // 793 ones need 4 x 198 + 1 samples of "11110": the first window trips it.
  EXPECT_LE(entropy.samples_drawn(), entropy_params::proportion_window);
}

TEST(EntropyHealth, RandomlyBiasedSourceFails) {
  SeededBits biased{std::mt19937(42), std::bernoulli_distribution(0.85)};
  HealthTestedEntropy entropy(SeededBits::read, &biased);
  EXPECT_NE(entropy.start(), EntropyHealth::ok);
  std::array<std::uint8_t, 16> out{};
  EXPECT_FALSE(entropy.fill(out));
}

TEST(EntropyHealth, SeededFairSourcePassesAndProducesDistinctBlocks) {
  SeededBits fair{std::mt19937(7), std::bernoulli_distribution(0.5)};
  HealthTestedEntropy entropy(SeededBits::read, &fair);
  EXPECT_EQ(entropy.start(), EntropyHealth::ok);
  std::array<std::uint8_t, 64> a{}, b{};
  ASSERT_TRUE(entropy.fill(a));
  ASSERT_TRUE(entropy.fill(b));
  EXPECT_NE(a, b);
  EXPECT_FALSE(std::equal(a.begin(), a.begin() + 32, a.begin() + 32));  // the two blocks of one fill differ
}

TEST(EntropyHealth, HostRandomSourcePasses) {
  std::random_device device;
  HealthTestedEntropy entropy(host_random, &device);
  EXPECT_EQ(entropy.start(), EntropyHealth::ok);
  std::array<std::uint8_t, 48> out{};
  ASSERT_TRUE(entropy.fill(out));
  EXPECT_EQ(entropy.health(), EntropyHealth::ok);
}

TEST(EntropyHealth, FillStartsTheSourceAndDrawsTheDocumentedSampleCounts) {
  std::uint32_t i = 0;
  HealthTestedEntropy entropy(alternating, &i);
  std::array<std::uint8_t, 33> out{};  // two blocks: 32 bytes + 1
  ASSERT_TRUE(entropy.fill(out));
  EXPECT_EQ(entropy.samples_drawn(), entropy_params::startup_samples + 2 * entropy_params::samples_per_block);
}

TEST(EntropyHealth, OutputIsSha256OfBlockCounterAndPackedSamples) {
  // After the (even-length) start-up test the alternating source gives 0,1,0,1,...: packed MSB first that is
  // 0x55 per byte. Block 1 = SHA-256(00 00 00 01 || 80 x 0x55), computed independently (Python hashlib).
  std::uint32_t i = 0;
  HealthTestedEntropy entropy(alternating, &i);
  std::array<std::uint8_t, 32> out{};
  ASSERT_TRUE(entropy.fill(out));
  const std::array<std::uint8_t, 32> expected{0xa1, 0xec, 0xf0, 0xed, 0x3c, 0x88, 0x44, 0xd6, 0xd8, 0x38, 0x57,
                                              0x01, 0x2b, 0xb0, 0x73, 0xe7, 0x5e, 0xcf, 0xf7, 0xf0, 0x1e, 0x53,
                                              0xd5, 0x52, 0x58, 0x20, 0x10, 0x98, 0x6c, 0x00, 0xe2, 0xde};
  EXPECT_EQ(out, expected);
}

TEST(EntropyHealth, OutputIsRefusedAfterAContinuousTestFailsUntilARestartPasses) {
  SwitchableSource source;
  HealthTestedEntropy entropy(SwitchableSource::read, &source);
  std::array<std::uint8_t, 32> out{};
  ASSERT_TRUE(entropy.fill(out));
  source.stuck = true;
  EXPECT_FALSE(entropy.fill(out));
  EXPECT_EQ(entropy.health(), EntropyHealth::failed_repetition);
  source.stuck = false;  // working again, but the failure is latched
  EXPECT_FALSE(entropy.fill(out));
  EXPECT_EQ(entropy.restart(), EntropyHealth::ok);
  EXPECT_TRUE(entropy.fill(out));
}

TEST(RepetitionCountTest, FailsOnTheCutoffthIdenticalSampleNotBefore) {
  RepetitionCountTest test;
  for (std::uint32_t n = 1; n < entropy_params::repetition_cutoff; ++n) ASSERT_TRUE(test.feed(0)) << n;
  EXPECT_FALSE(test.feed(0));
  EXPECT_TRUE(test.feed(1));  // a change starts a new run
}

TEST(AdaptiveProportionTest, CountsOnlyWithinOneWindow) {
  AdaptiveProportionTest test;
  // Each window: 792 ones (one below the cutoff) then zeros. Never fails, however many windows.
  for (int window = 0; window < 3; ++window) {
    for (std::uint32_t k = 0; k < entropy_params::proportion_window; ++k) {
      ASSERT_TRUE(test.feed(k < entropy_params::proportion_cutoff - 1 ? 1 : 0)) << window << ":" << k;
    }
  }
  // The 793rd occurrence of the window's first value fails.
  for (std::uint32_t k = 0; k < entropy_params::proportion_cutoff - 1; ++k) ASSERT_TRUE(test.feed(1));
  EXPECT_FALSE(test.feed(1));
}

}  // namespace
}  // namespace picohub::platform
