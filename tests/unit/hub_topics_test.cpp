// The hub's std::string adapters over the iothub core's topic and property-bag builders.
#include "hub/hub_topics.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "hub/codec.hpp"

using namespace picohub::hub;

TEST(HubTopics, PropertyBagEncodesNamesAndValuesAndWritesNullsBare) {
  const std::array<BagItem, 4> items{
      {{"$.mid", "m 1"}, {"$.to", "/devices/d1/messages/deviceBound"}, {"flag", std::nullopt}, {"color", "deep&blue"}}};
  auto bag = encode_property_bag(items);
  ASSERT_TRUE(bag);
  EXPECT_EQ(*bag, "%24.mid=m%201&%24.to=%2Fdevices%2Fd1%2Fmessages%2FdeviceBound&flag&color=deep%26blue");
  auto back = parse_property_bag(*bag);  // the hub's reader gets back what went in
  ASSERT_TRUE(back);
  ASSERT_EQ(back->size(), 4u);
  EXPECT_EQ((*back)[3].second, "deep&blue");
  EXPECT_FALSE((*back)[2].second.has_value());
}

TEST(HubTopics, EmptyPropertyNameIsRefused) {
  const std::array<BagItem, 1> items{{{"", "x"}}};
  EXPECT_FALSE(encode_property_bag(items));
  EXPECT_EQ(*encode_property_bag({}), "");
}

TEST(HubTopics, TopicsTheHubSendsComeFromTheCoreBuilders) {
  EXPECT_EQ(*twin_response_topic(200, "7"), "$iothub/twin/res/200/?$rid=7");
  EXPECT_EQ(*twin_response_topic(204, "r", 18446744073709551615ull),
            "$iothub/twin/res/204/?$rid=r&$version=18446744073709551615");
  EXPECT_EQ(twin_desired_topic(3), "$iothub/twin/PATCH/properties/desired/?$version=3");
  EXPECT_EQ(*method_request_topic("reboot", "1f"), "$iothub/methods/POST/reboot/?$rid=1f");
  EXPECT_EQ(*c2d_topic("d1", "%24.mid=1"), "devices/d1/messages/devicebound/%24.mid=1");
  EXPECT_EQ(*c2d_topic("d1", ""), "devices/d1/messages/devicebound/");
  const std::string long_id(128, 'd'), long_bag(65536, 'b');
  auto big = c2d_topic(long_id, long_bag);
  ASSERT_TRUE(big);
  EXPECT_EQ(*big, "devices/" + long_id + "/messages/devicebound/" + long_bag);
}

TEST(HubTopics, RequestIdsAndMethodNamesThatWouldBreakTheTopicAreRefused) {
  EXPECT_FALSE(twin_response_topic(200, "a/b"));
  EXPECT_FALSE(twin_response_topic(200, ""));
  EXPECT_FALSE(method_request_topic("a#", "1"));
  EXPECT_FALSE(method_request_topic("ok", "1+"));
}
