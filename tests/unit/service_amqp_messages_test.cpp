#include "service/amqp/c2d_message.hpp"
#include "service/amqp/event_message.hpp"
#include "service/amqp/feedback_message.hpp"

#include <nlohmann/json.hpp>
#include <proton/annotation_key.hpp>
#include <proton/binary.hpp>
#include <proton/message_id.hpp>
#include <proton/timestamp.hpp>
#include <proton/uuid.hpp>

#include <gtest/gtest.h>

using namespace picohub::service::amqp;

namespace {
proton::message c2d(const std::string& to) {
  proton::message m;
  m.to(to);
  const std::string body = "{\"led\":1}";
  m.body(proton::binary(body.begin(), body.end()));
  return m;
}
}  // namespace

TEST(ServiceAmqpC2d, CarriesIdsPropertiesAndAck) {
  auto m = c2d("/devices/dev1/messages/devicebound");
  m.id(proton::message_id(proton::uuid::copy("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10")));
  m.correlation_id(proton::message_id(std::string("corr-1")));
  m.content_type("application/json");
  m.properties().put("iothub-ack", "full");
  m.properties().put("color", "red");
  m.properties().put("count", 3);
  auto r = c2d_request_from(m, 0);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->device_id, "dev1");
  EXPECT_EQ(r->payload, "{\"led\":1}");
  EXPECT_EQ(r->message_id, "01020304-0506-0708-090a-0b0c0d0e0f10");
  EXPECT_EQ(r->correlation_id, "corr-1");
  EXPECT_EQ(r->content_type, "application/json");
  EXPECT_EQ(r->ack, "full");
  EXPECT_EQ(r->properties.count("iothub-ack"), 0u);
  EXPECT_EQ(r->properties.at("color"), "red");
  EXPECT_EQ(r->properties.at("count"), "3");
  EXPECT_FALSE(r->ttl_seconds);
}

TEST(ServiceAmqpC2d, ExpiryBecomesTheTtlWithinTheHubsRange) {
  auto m = c2d("/devices/dev1/messages/devicebound");
  m.expiry_time(proton::timestamp(1'000'000 + 600'000));
  auto r = c2d_request_from(m, 1'000'000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ttl_seconds, 600);
  m.expiry_time(proton::timestamp(1'000'000 + 1'000));
  EXPECT_EQ(c2d_request_from(m, 1'000'000)->ttl_seconds, 60);
}

TEST(ServiceAmqpC2d, MalformedToIsA400) {
  auto r = c2d_request_from(c2d("/devices/dev1/messages/events"), 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 400);
  EXPECT_NE(r.error().message.find("/devices/{deviceId}/messages/devicebound"), std::string::npos);
}

TEST(ServiceAmqpEvents, PartitionOfIsStableAndInRange) {
  EXPECT_EQ(partition_of("dev1"), partition_of("dev1"));
  EXPECT_LT(partition_of("dev1"), k_partition_count);
  bool seen[2] = {false, false};
  for (int i = 0; i < 20; ++i) seen[partition_of("device-" + std::to_string(i))] = true;
  EXPECT_TRUE(seen[0] && seen[1]);  // devices spread over both partitions
}

TEST(ServiceAmqpEvents, EventCarriesAnnotationsAndProperties) {
  TelemetryEvent e;
  e.sequence = 42;
  e.device_id = "dev1";
  e.enqueued_ms = 1700000000123;
  e.body = "{\"t\":21.5}";
  e.system_properties = {
      {"message-id", "m1"}, {"content-type", "application/json"}, {"iothub-connection-auth-method", "{}"}};
  e.properties = {{"alert", std::string("high")}, {"bare", std::nullopt}};
  const auto m = event_message(e);
  EXPECT_EQ(proton::get<proton::binary>(m.body()), proton::binary(e.body.begin(), e.body.end()));
  EXPECT_EQ(proton::get<std::string>(m.id()), "m1");
  EXPECT_EQ(m.content_type(), "application/json");
  const auto& a = m.message_annotations();
  EXPECT_EQ(proton::get<std::int64_t>(a.get(proton::symbol("x-opt-sequence-number"))), 42);
  EXPECT_EQ(proton::get<std::string>(a.get(proton::symbol("x-opt-offset"))), "42");
  EXPECT_EQ(proton::get<proton::timestamp>(a.get(proton::symbol("x-opt-enqueued-time"))).milliseconds(), 1700000000123);
  EXPECT_EQ(proton::get<std::string>(a.get(proton::symbol("iothub-connection-device-id"))), "dev1");
  EXPECT_EQ(proton::get<std::string>(a.get(proton::symbol("iothub-message-source"))), "Telemetry");
  EXPECT_EQ(proton::get<std::string>(a.get(proton::symbol("iothub-connection-auth-method"))), "{}");
  EXPECT_FALSE(a.exists(proton::symbol("iothub-connection-module-id")));
  EXPECT_EQ(proton::get<std::string>(m.properties().get("alert")), "high");
  EXPECT_EQ(proton::get<std::string>(m.properties().get("bare")), "");
}

TEST(ServiceAmqpFeedback, BatchIsAJsonArrayInADataSection) {
  const auto m = feedback_message({{"mid-1", "dev1", "Success", "Success", "2026-12-04T10:00:00.000Z"}});
  EXPECT_EQ(m.content_type(), "application/vnd.microsoft.iothub.feedback.json");
  EXPECT_TRUE(m.inferred());  // a data section
  const auto body = proton::get<proton::binary>(m.body());
  const auto batch = nlohmann::json::parse(std::string(body.begin(), body.end()));
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0]["originalMessageId"], "mid-1");
  EXPECT_EQ(batch[0]["deviceId"], "dev1");
  EXPECT_EQ(batch[0]["statusCode"], "Success");
  EXPECT_EQ(batch[0]["enqueuedTimeUtc"], "2026-12-04T10:00:00.000Z");
}
