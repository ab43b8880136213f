// iothub::TelemetryTopicBuilder: the same bytes as telemetry_topic(), as an mqtt::TopicName; ids checked once.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "iothub/telemetry_topic_builder.hpp"
#include "iothub/topics.hpp"
#include "mqtt/topic_name.hpp"

using namespace picohub;
using namespace picohub::iothub;

namespace {

std::string plain(std::string_view device, std::string_view module, const MessageProperties& props) {
  std::array<char, 512> out{};
  auto r = telemetry_topic(device, module, props, out);
  EXPECT_TRUE(r);
  return r ? std::string(*r) : std::string("<error>");
}

std::string built(std::string_view device, std::string_view module, const MessageProperties& props) {
  auto builder = TelemetryTopicBuilder::make(device, module);
  EXPECT_TRUE(builder);
  if (!builder) return "<error>";
  std::array<char, 512> out{};
  auto r = builder->build(props, out);
  EXPECT_TRUE(r);
  if (!r) return "<error>";
  EXPECT_TRUE(mqtt::TopicName::validate(r->view())) << "the builder made an invalid topic: " << r->view();
  return std::string(r->view());
}

}  // namespace

TEST(IothubTelemetryTopicBuilder, SameBytesAsTelemetryTopicForDevicesModulesAndAwkwardProperties) {
  const KeyValue app[] = {{"temp alert", "a+b#c/d&e=f"}, {"caf\xC3\xA9", "\xF0\x9F\x8C\xA1"}, {"flag", {}, true}};
  const MessageProperties cases[] = {
      MessageProperties{},
      MessageProperties{{}, {}, "application/json", "utf-8", {}},
      MessageProperties{"mid 1", "cid/2", "text/plain", "utf-8", app},
  };
  for (const auto& props : cases) {
    EXPECT_EQ(built("bench", "", props), plain("bench", "", props));
    EXPECT_EQ(built("my_device", "my_module_id", props), plain("my_device", "my_module_id", props));
    EXPECT_EQ(built("d\xC3\xA9v", "", props), plain("d\xC3\xA9v", "", props));
  }
  EXPECT_EQ(built("bench", "", cases[1]), "devices/bench/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8");
}

TEST(IothubTelemetryTopicBuilder, IdsThatWouldBreakTheTopicAreRefusedOnce) {
  for (std::string_view bad : {std::string_view{}, std::string_view("a/b"), std::string_view("a+"),
                               std::string_view("#"), std::string_view("bad\xC3"), std::string_view("n\0l", 3)}) {
    auto r = TelemetryTopicBuilder::make(bad, "");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
  }
  EXPECT_FALSE(TelemetryTopicBuilder::make("dev", "m/1"));
  EXPECT_FALSE(TelemetryTopicBuilder::make("dev", "m\xFF"));
  EXPECT_TRUE(TelemetryTopicBuilder::make("dev", ""));
}

TEST(IothubTelemetryTopicBuilder, TooSmallBufferIsTooLargeAndBadPropertiesAreRefused) {
  auto builder = TelemetryTopicBuilder::make("dev1", "");
  ASSERT_TRUE(builder);
  std::array<char, 20> small{};
  auto r = builder->build(MessageProperties{}, small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::too_large);
  std::array<char, 40> tight{};
  r = builder->build(MessageProperties{{}, {}, "application/json", "utf-8", {}}, tight);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::too_large);
  const KeyValue empty_key[] = {{"", "v"}};
  std::array<char, 512> out{};
  r = builder->build(MessageProperties{{}, {}, {}, {}, empty_key}, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}
