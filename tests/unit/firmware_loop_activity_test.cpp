#include <gtest/gtest.h>

#include "loop_activity.hpp"

namespace picohub::firmware {
namespace {

TEST(LoopActivity, EveryActivityRoundTripsThroughTheScratchWord) {
  for (auto code = static_cast<std::uint8_t>(LoopActivity::status_led);
       code <= static_cast<std::uint8_t>(LoopActivity::dps_registration); ++code) {
    const auto activity = static_cast<LoopActivity>(code);
    const auto decoded = decode_activity(encode_activity(activity));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, activity);
    EXPECT_STRNE(describe(activity), "an unknown step");
  }
}

TEST(LoopActivity, AWordNotWrittenByTheLoopReadsAsNothing) {
  EXPECT_FALSE(decode_activity(0).has_value());             // power-on value of SCRATCH2
  EXPECT_FALSE(decode_activity(0x9C0B'4B0Bu).has_value());  // some other record
  EXPECT_FALSE(decode_activity(encode_activity(LoopActivity::dps_registration) + 1).has_value());  // past the last code
  EXPECT_FALSE(decode_activity(encode_activity(LoopActivity::status_led) - 1).has_value());        // tag with code 0
}

TEST(LoopActivity, BeforeConfigurationTheAppIsWaiting) {
  EXPECT_EQ(app_activity(nullptr, nullptr), LoopActivity::hub_waiting);
}

TEST(LoopActivity, TheHandshakeIsNamedAsSuch) {
  EXPECT_STREQ(describe(LoopActivity::hub_tls_handshake), "the TLS handshake with the hub");
}

}  // namespace
}  // namespace picohub::firmware
