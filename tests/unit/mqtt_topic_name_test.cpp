// mqtt::TopicName: validated once, then published without a second scan; the string_view publish still refuses
// a bad topic from outside.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "mqtt/codec.hpp"
#include "mqtt/session.hpp"
#include "mqtt/topic_name.hpp"
#include "mqtt_test_util.hpp"

namespace picohub::mqtt {
namespace {

TEST(MqttTopicName, ValidateAcceptsTopicNamesAndRefusesWhatAPublishMayNotCarry) {
  auto ok = TopicName::validate("devices/d1/messages/events/%24.ct=application%2Fjson");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->view(), "devices/d1/messages/events/%24.ct=application%2Fjson");
  EXPECT_TRUE(TopicName::validate("caf\xC3\xA9/\xF0\x9F\x8C\xA1"));  // UTF-8 is fine
  for (std::string_view bad :
       {std::string_view{}, std::string_view("a/+/b"), std::string_view("a/#"), std::string_view("bad\xC3"),
        std::string_view("over\xC0\xAFlong"), std::string_view("nul\0here", 8)}) {
    auto r = TopicName::validate(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
  }
  EXPECT_FALSE(TopicName::validate(std::string(0x10000, 'a')));  // longer than an MQTT string
}

TEST(MqttTopicName, CodecWritesTheSameBytesForATopicNameAsForTheCheckedString) {
  auto topic = TopicName::validate("devices/bench/messages/events/");
  ASSERT_TRUE(topic);
  const Publish p{topic->view(), test::view("{\"t\":1}"), QoS::at_least_once, false, false, 7};
  const Publish ignored_topic{"other", p.payload, p.qos, p.retain, p.dup, p.packet_id};
  test::Bytes a(256), b(256);
  auto na = encode(p, a);
  auto nb = encode(ignored_topic, *topic, b);
  ASSERT_TRUE(na && nb);
  a.resize(*na);
  b.resize(*nb);
  EXPECT_EQ(a, b);
  auto size = encoded_size(ignored_topic, *topic);
  ASSERT_TRUE(size);
  EXPECT_EQ(*size, *na);
  // The other rules still hold for a TopicName publish.
  const Publish no_id{topic->view(), p.payload, QoS::at_least_once, false, false, 0};
  EXPECT_EQ(encode(no_id, *topic, b).error().code, Errc::invalid_argument);
}

TEST(MqttTopicName, SessionPublishesATopicNameAndStillRefusesABadStringTopic) {
  auto memory = std::make_unique<StaticSessionMemory<512, 512, 4, 128>>();
  Session session(memory->view(), {});
  ConnectOptions o;
  o.client_id = "dev";
  ASSERT_TRUE(session.connect(o, 0));
  session.consume_output(session.pending_output().size());
  const test::Bytes connack = test::bytes({0x20, 2, 0, 0});
  ASSERT_TRUE(session.receive(connack, 0));
  while (session.poll_event()) {
  }
  ASSERT_TRUE(session.connected());

  auto topic = TopicName::validate("t/1");
  ASSERT_TRUE(topic);
  auto id = session.publish(*topic, test::view("x"), QoS::at_least_once, false, 0);
  ASSERT_TRUE(id);
  auto out = session.pending_output();
  const test::Bytes expected = test::encoded(Publish{"t/1", test::view("x"), QoS::at_least_once, false, false, *id});
  EXPECT_EQ(test::Bytes(out.begin(), out.end()), expected);

  auto bad = session.publish("t/#", test::view("x"), QoS::at_least_once, false, 0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  EXPECT_EQ(session.in_flight(), 1u);
}

}  // namespace
}  // namespace picohub::mqtt
