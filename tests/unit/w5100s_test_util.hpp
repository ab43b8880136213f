// Shared fixture for the W5100S tests: a fake chip on the bus, a driver over it, and fake time for the reset.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "drivers/w5100s/chip.hpp"
#include "w5100s_fake_chip.hpp"

namespace picohub::w5100s::testing {

class W5100sTest : public ::testing::Test {
 protected:
  // Runs the reset sequence on fake time, one millisecond per poll; returns the time it took.
  std::uint64_t bring_up() {
    chip.begin_reset(now);
    const std::uint64_t start = now;
    for (int i = 0; i < 1000; ++i) {
      auto done = chip.poll_reset(now);
      if (!done) {
        ADD_FAILURE() << done.error().what;
        return 0;
      }
      if (*done) return now - start;
      ++now;
    }
    ADD_FAILURE() << "reset never completed";
    return 0;
  }

  void TearDown() override {
    for (const auto& v : fake.violations()) ADD_FAILURE() << "fake chip: " << v;
  }

  static std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t first = 1) {
    std::vector<std::uint8_t> bytes(n);
    std::iota(bytes.begin(), bytes.end(), first);
    return bytes;
  }

  FakeChip fake;
  Chip chip{fake, fake.reset_pin()};
  std::uint64_t now = 5000;
};

}  // namespace picohub::w5100s::testing
