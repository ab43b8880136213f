// The arena's high-water mark by painting (tls/arena.hpp): what was written after painting, and nothing else,
// counts as used; the highest written byte decides, whatever lies below it.
#include <gtest/gtest.h>

#include <array>
#include <cstring>

#include "tls/arena.hpp"

namespace picohub::tls {
namespace {

TEST(TlsArena, HighWaterIsTheEndOfTheHighestByteWrittenSincePainting) {
  std::array<unsigned char, 1024> arena{};
  paint_arena(arena, 64);
  EXPECT_EQ(painted_arena_high_water(arena), 64u) << "only the unpainted allocator header is in use";
  std::memset(arena.data() + 100, 0, 300);  // calloc zeroes what it hands out
  EXPECT_EQ(painted_arena_high_water(arena), 400u);
  arena[700] = 0x55;  // a block header written at a split
  EXPECT_EQ(painted_arena_high_water(arena), 701u);
  std::memset(arena.data() + 100, 0xA5, 300);  // lower bytes returning to the pattern change nothing
  EXPECT_EQ(painted_arena_high_water(arena), 701u);
}

TEST(TlsArena, AFullyUsedArenaReportsItsSizeAndNoneInstalledReportsZero) {
  std::array<unsigned char, 256> arena{};
  paint_arena(arena, 16);
  arena.back() = 0;
  EXPECT_EQ(painted_arena_high_water(arena), arena.size());
  EXPECT_EQ(arena_peak_bytes(), 0u);  // the host build installs no arena
}

}  // namespace
}  // namespace picohub::tls
