// The live feed's server-sent-event framing (no payload can end an event or forge a field) and its request.
#include <gtest/gtest.h>

#include "telemetry_feed.hpp"

namespace {

using namespace picohub::gateway;

TEST(SseFraming, OneLineEvent) {
  EXPECT_EQ(sse_event("telemetry", "7", R"({"a":1})"), "event: telemetry\nid: 7\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(sse_event("telemetry", "", "x"), "event: telemetry\ndata: x\n\n");
}

TEST(SseFraming, EveryLineBreakStartsANewDataField) {
  EXPECT_EQ(sse_event("e", "1", "a\nb\r\nc\rd"), "event: e\nid: 1\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
  EXPECT_EQ(sse_event("e", "", "a\n\nevent: forged"), "event: e\ndata: a\ndata: \ndata: event: forged\n\n");
  EXPECT_EQ(sse_event("e", "", "end\n"), "event: e\ndata: end\ndata: \n\n");
  EXPECT_EQ(sse_event("e", "", ""), "event: e\ndata: \n\n");
}

TEST(SseFraming, CommentsStayOnOneLine) {
  EXPECT_EQ(sse_comment("keep-alive"), ": keep-alive\n\n");
  EXPECT_EQ(sse_comment("a\nb\rc"), ": a b c\n\n");
}

TEST(FeedRequest, DeviceIdIsOptionalAndDecoded) {
  std::string why;
  EXPECT_TRUE(is_feed_route("/picohub/v1/telemetry?deviceId=x"));
  EXPECT_FALSE(is_feed_route("/picohub/v1/telemetry/x"));
  auto all = parse_feed_request("/picohub/v1/telemetry", why);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->device_id, "");
  EXPECT_EQ(feed_topic_filter(*all), "$picohub/v1/telemetry/#");
  auto one = parse_feed_request("/picohub/v1/telemetry?api-version=1&deviceId=sensor%20%281%29&x", why);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->device_id, "sensor (1)");
  EXPECT_EQ(feed_topic_filter(*one), "$picohub/v1/telemetry/sensor (1)");
}

TEST(FeedRequest, WildcardsAndSlashesAreRefused) {
  std::string why;
  for (const char* bad :
       {"?deviceId=%23", "?deviceId=a%2Bb", "?deviceId=a/b", "?deviceId=", "?deviceId=%zz", "?deviceId=a%0Ab"}) {
    why.clear();
    EXPECT_FALSE(parse_feed_request(std::string("/picohub/v1/telemetry") + bad, why)) << bad;
    EXPECT_FALSE(why.empty());
  }
}

TEST(TelemetryFrame, RecordBecomesOneEventWithItsSequence) {
  const auto frame = telemetry_event_frame("$picohub/v1/telemetry/dev1",
                                           "{\"sequence\":42,\"deviceId\":\"dev1\",\"body\":\"{\\\"t\\\":1}\\n\"}");
  ASSERT_TRUE(frame);
  EXPECT_EQ(
      *frame,
      "event: telemetry\nid: 42\ndata: {\"body\":\"{\\\"t\\\":1}\\n\",\"deviceId\":\"dev1\",\"sequence\":42}\n\n");
  EXPECT_FALSE(telemetry_event_frame("$picohub/v1/response", "{}"));
  EXPECT_FALSE(telemetry_event_frame("$picohub/v1/telemetry/dev1", "not json"));
}

}  // namespace
