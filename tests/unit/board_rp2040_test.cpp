// Host tests for the RP2040 port's pure pieces: the temperature transfer function, and the firmware's
// console line builder and loop scheduling helper.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "board/rp2040/temperature.hpp"
#include "console_line.hpp"
#include "loop_task.hpp"

namespace picohub {
namespace {

// Expected values from T = 27 - (raw x 3.3 / 4096 - 0.706) / 0.001721 in double precision.
TEST(Rp2040Temperature, MatchesTheDatasheetFormulaWithinOneMillidegree) {
  struct Case {
    std::uint16_t raw;
    std::int32_t millicelsius;
  };
  for (const Case c : {Case{876, 27'138}, Case{1000, -30'911}, Case{700, 109'531}, Case{0, 437'227}}) {
    const auto t = rp2040::temperature_from_raw(c.raw);
    EXPECT_NEAR(t.millicelsius, c.millicelsius, 1) << c.raw;
    EXPECT_EQ(t.raw, c.raw);
  }
}

TEST(Rp2040Temperature, ReadingsOutsideTheChipsOperatingRangeAreImplausible) {
  EXPECT_TRUE(rp2040::temperature_from_raw(876).plausible);
  EXPECT_FALSE(rp2040::temperature_from_raw(0).plausible);     // unconnected input, e.g. rp2040js's default
  EXPECT_FALSE(rp2040::temperature_from_raw(4095).plausible);  // about -1480 °C
}

TEST(FirmwareConsoleLine, FormatsTextNumbersAndTenthsOfADegree) {
  firmware::ConsoleLine line;
  line << "t=";
  line.milli_one_decimal(27'138) << " ";
  line.milli_one_decimal(-512) << " ";
  line.milli_one_decimal(99'960) << " 0x";
  line.number(0xABu, 16);
  EXPECT_EQ(line.text(), "t=27.1 -0.5 100.0 0xab");
}

TEST(FirmwareConsoleLine, CutsTextThatDoesNotFitInsteadOfOverrunning) {
  firmware::ConsoleLine line;
  for (int i = 0; i < 100; ++i) line << "0123456789";
  EXPECT_EQ(line.text().size(), firmware::ConsoleLine::capacity);
  line.number(12345);  // no room: ignored
  EXPECT_EQ(line.text().size(), firmware::ConsoleLine::capacity);
}

struct FixedTask final : firmware::LoopTask {
  explicit FixedTask(std::uint64_t d) : deadline(d) {}
  void poll(std::uint64_t) noexcept override {}
  std::uint64_t next_deadline_ms() const noexcept override { return deadline; }
  std::uint64_t deadline;
};

TEST(FirmwareLoop, SleepsUntilTheEarliestTaskDeadlineButNoLaterThanTheCap) {
  FixedTask a(500), b(120), c(9000);
  const std::array<firmware::LoopTask*, 3> tasks{&a, &b, &c};
  EXPECT_EQ(firmware::earliest_deadline(tasks, 1000), 120u);
  b.deadline = 5000;
  EXPECT_EQ(firmware::earliest_deadline(tasks, 400), 400u);
}

}  // namespace
}  // namespace picohub
