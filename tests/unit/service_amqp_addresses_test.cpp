#include "service/amqp/addresses.hpp"
#include "service/amqp/event_position.hpp"

#include <gtest/gtest.h>

using namespace picohub::service::amqp;

TEST(ServiceAmqpAddresses, C2dToNamesTheDevice) {
  EXPECT_EQ(device_of_c2d_to("/devices/dev1/messages/devicebound"), "dev1");
  EXPECT_EQ(device_of_c2d_to("/devices/dev1/messages/deviceBound"), "dev1");  // IoT Hub ignores the case here
  EXPECT_EQ(device_of_c2d_to("/devices/a%40b/messages/devicebound"), "a@b");
}

TEST(ServiceAmqpAddresses, MalformedC2dToIsRefused) {
  EXPECT_FALSE(device_of_c2d_to(""));
  EXPECT_FALSE(device_of_c2d_to("/devices//messages/devicebound"));
  EXPECT_FALSE(device_of_c2d_to("/devices/a/b/messages/devicebound"));
  EXPECT_FALSE(device_of_c2d_to("/devices/dev1/messages/events"));
  EXPECT_FALSE(device_of_c2d_to("devices/dev1/messages/devicebound"));
  EXPECT_FALSE(device_of_c2d_to("/devices/bad%4/messages/devicebound"));
  EXPECT_FALSE(device_of_c2d_to("/devices/bad%/messages/devicebound"));
}

TEST(ServiceAmqpAddresses, PartitionAddressWithOrWithoutHost) {
  auto a = parse_partition_address("hub/ConsumerGroups/$Default/Partitions/1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->entity, "hub");
  EXPECT_EQ(a->consumer_group, "$Default");
  EXPECT_EQ(a->partition, 1u);
  auto b = parse_partition_address("amqps://localhost:5671/hub/ConsumerGroups/cg/Partitions/0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->entity, "hub");
  EXPECT_EQ(b->partition, 0u);
}

TEST(ServiceAmqpAddresses, MalformedPartitionAddressesAreRefused) {
  EXPECT_FALSE(parse_partition_address("hub/ConsumerGroups/$Default/Partitions/x"));
  EXPECT_FALSE(parse_partition_address("hub/ConsumerGroups/$Default/Partitions/"));
  EXPECT_FALSE(parse_partition_address("hub/Partitions/0"));
  EXPECT_FALSE(parse_partition_address("/ConsumerGroups/a/Partitions/0"));
  EXPECT_FALSE(parse_partition_address("hub/ConsumerGroups/a/Partitions/-1"));
}

TEST(ServiceAmqpAddresses, IotHubEventsAddressBeforeTheRedirect) {
  EXPECT_TRUE(is_iothub_events_address("amqps://localhost/messages/events/$management"));
  EXPECT_TRUE(is_iothub_events_address("/messages/events"));
  EXPECT_FALSE(is_iothub_events_address("/messages/eventsx"));
  EXPECT_FALSE(is_iothub_events_address("hub/ConsumerGroups/a/Partitions/0"));
}

TEST(ServiceAmqpSelector, OffsetsAndSequenceNumbers) {
  auto start = parse_selector("amqp.annotation.x-opt-offset > '-1'");
  ASSERT_TRUE(start);
  EXPECT_EQ(start->kind, EventPosition::Kind::after_sequence);
  EXPECT_EQ(start->after_sequence, 0u);
  auto after = parse_selector("amqp.annotation.x-opt-sequence-number > '41'");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->after_sequence, 41u);
  auto inclusive = parse_selector("amqp.annotation.x-opt-offset >= '42'");
  ASSERT_TRUE(inclusive);
  EXPECT_EQ(inclusive->after_sequence, 41u);
  auto latest = parse_selector("amqp.annotation.x-opt-offset > '@latest'");
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->kind, EventPosition::Kind::latest);
}

TEST(ServiceAmqpSelector, EnqueuedTime) {
  auto strict = parse_selector("amqp.annotation.x-opt-enqueued-time > '1700000000000'");
  ASSERT_TRUE(strict);
  EXPECT_EQ(strict->kind, EventPosition::Kind::since_time);
  EXPECT_EQ(strict->since_ms, 1700000000001);
  auto inclusive = parse_selector("amqp.annotation.x-opt-enqueued-time >= '1700000000000'");
  ASSERT_TRUE(inclusive);
  EXPECT_EQ(inclusive->since_ms, 1700000000000);
}

TEST(ServiceAmqpSelector, UnknownExpressionsAreRefused) {
  EXPECT_FALSE(parse_selector(""));
  EXPECT_FALSE(parse_selector("amqp.annotation.x-opt-offset = '3'"));
  EXPECT_FALSE(parse_selector("amqp.annotation.x-opt-offset > 3"));
  EXPECT_FALSE(parse_selector("amqp.annotation.x-opt-offset > 'abc'"));
  EXPECT_FALSE(parse_selector("amqp.annotation.x-opt-partition-key > '1'"));
  EXPECT_FALSE(parse_selector("x-opt-offset > '1'"));
}
