// Topics, classifiers and the MQTT identity (reference §1.3, §1.8, §3-§6).
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "iothub/topics.hpp"

using namespace picohub;
using namespace picohub::iothub;

namespace {

template <class F>
std::string build(F&& f) {
  std::array<char, 512> out{};
  auto r = f(std::span<char>(out));
  EXPECT_TRUE(r) << (r ? "" : r.error().what);
  return r ? std::string(*r) : std::string("<error>");
}

}  // namespace

TEST(IothubIdentity, ClientIdAndUsernameForms) {
  EXPECT_EQ(build([](auto out) { return mqtt_client_id("my_device", "", out); }), "my_device");
  EXPECT_EQ(build([](auto out) { return mqtt_client_id("my_device", "my_module_id", out); }), "my_device/my_module_id");
  EXPECT_EQ(build([](auto out) {
              return mqtt_username(UsernameOptions{"contoso.azure-devices.net", "MyDevice01", {}, {}, {}}, out);
            }),
            "contoso.azure-devices.net/MyDevice01/?api-version=2021-04-12");
  EXPECT_EQ(
      build([](auto out) {
        return mqtt_username(
            UsernameOptions{"myiothub.azure-devices.net", "my_device", {}, "azsdk-c/1.6.0-beta.1", {}, "2020-09-30"},
            out);
      }),
      "myiothub.azure-devices.net/my_device/?api-version=2020-09-30&DeviceClientType=azsdk-c%2F1.6.0-beta.1");
  EXPECT_EQ(build([](auto out) {
              return mqtt_username(UsernameOptions{"myiothub.azure-devices.net",
                                                   "my_device",
                                                   {},
                                                   "azsdk-c/1.6.0-beta.1",
                                                   "dtmi:YOUR_COMPANY_NAME_HERE:sample_device;1",
                                                   "2020-09-30"},
                                   out);
            }),
            "myiothub.azure-devices.net/my_device/?api-version=2020-09-30&DeviceClientType=azsdk-c%2F1.6.0-beta.1"
            "&model-id=dtmi%3AYOUR_COMPANY_NAME_HERE%3Asample_device%3B1");
  EXPECT_EQ(
      build([](auto out) {
        return mqtt_username(
            UsernameOptions{"myiothub.azure-devices.net", "my_device", "my_module_id", "azrtos", {}, "2020-09-30"},
            out);
      }),
      "myiothub.azure-devices.net/my_device/my_module_id/?api-version=2020-09-30&DeviceClientType=azrtos");
  EXPECT_EQ(build([](auto out) {
              return mqtt_username(UsernameOptions{"h", "d"}, out);
            }),
            "h/d/?api-version=2021-04-12&DeviceClientType=picohub%2F" PICOHUB_VERSION);
}

TEST(IothubIdentity, RejectsBadIdsAndSmallBuffers) {
  std::array<char, 64> out{};
  EXPECT_FALSE(mqtt_client_id("", "", out));
  EXPECT_FALSE(mqtt_client_id("a/b", "", out));
  EXPECT_FALSE(mqtt_client_id("a", "m#", out));
  EXPECT_FALSE(mqtt_username(UsernameOptions{"", "d"}, out));
  EXPECT_FALSE(mqtt_username(UsernameOptions{"h", "d+"}, out));
  std::array<char, 10> small{};
  auto r = mqtt_username(UsernameOptions{"host", "device"}, small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::too_large);
}

TEST(IothubIdentity, ParsesUsernamesInEveryFormTheSdksSend) {
  auto node = parse_mqtt_username(
      "myhub.azure-devices.net/dev1/?api-version=2021-04-12&model-id=dtmi:com:example:Thermostat;1"
      "&DeviceClientType=azure-iot-device%2F1.18.4%20(node%20v20%3B%20Linux%3B%20x64)");
  ASSERT_TRUE(node);
  EXPECT_EQ(node->host, "myhub.azure-devices.net");
  EXPECT_EQ(node->device_id, "dev1");
  EXPECT_EQ(node->module_id, "");
  EXPECT_EQ(node->api_version, "2021-04-12");
  EXPECT_EQ(node->model_id, "dtmi:com:example:Thermostat;1");
  EXPECT_EQ(node->client_type, "azure-iot-device%2F1.18.4%20(node%20v20%3B%20Linux%3B%20x64)");

  auto module = parse_mqtt_username("h/d/m/?DeviceClientType=azrtos&api-version=2020-09-30");
  ASSERT_TRUE(module);
  EXPECT_EQ(module->module_id, "m");
  EXPECT_EQ(module->api_version, "2020-09-30");

  auto bare = parse_mqtt_username("myhub.azure-devices.net/dev1");  // MicroPython samples
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->device_id, "dev1");
  EXPECT_EQ(bare->api_version, "");
  EXPECT_EQ(bare->query, "");

  auto slash = parse_mqtt_username("h/d/");
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash->device_id, "d");

  auto old = parse_mqtt_username("h/d/api-version=2016-11-14&DeviceClientType=iothubclient%2f1.1");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->device_id, "d");
  EXPECT_EQ(old->module_id, "");
  EXPECT_EQ(old->api_version, "2016-11-14");

  auto odd_id = parse_mqtt_username("h/dev=1/?api-version=2021-04-12");  // '=' is legal in a device id
  ASSERT_TRUE(odd_id);
  EXPECT_EQ(odd_id->device_id, "dev=1");
}

TEST(IothubIdentity, RejectsMalformedUsernames) {
  for (std::string_view bad : {"", "host", "host/", "/dev", "h//", "h/d/m/x/?a=1", "h//m/?api-version=1", "h/d/m/x",
                               "h/d+/?api-version=1", "iothubowner"}) {
    auto r = parse_mqtt_username(bad);
    EXPECT_FALSE(r) << bad;
  }
}

TEST(IothubTopics, TelemetryTopicWithSystemAndApplicationProperties) {
  EXPECT_EQ(build([](auto out) { return telemetry_topic("dev1", "", MessageProperties{}, out); }),
            "devices/dev1/messages/events/");
  const KeyValue app[] = {{"alert", "high temp"}, {"flag", {}, true}, {"empty", ""}};
  MessageProperties props{"id 1", "c$1", "application/json", "utf-8", app};
  EXPECT_EQ(build([&](auto out) { return telemetry_topic("dev1", "", props, out); }),
            "devices/dev1/messages/events/%24.mid=id%201&%24.cid=c%241&%24.ct=application%2Fjson&%24.ce=utf-8"
            "&alert=high%20temp&flag&empty=");
  const KeyValue app2[] = {{"key", "value"}, {"key_two", "value2"}};
  EXPECT_EQ(build([&](auto out) {
              return telemetry_topic("my_device", "my_module_id", MessageProperties{{}, {}, {}, {}, app2}, out);
            }),
            "devices/my_device/modules/my_module_id/messages/events/key=value&key_two=value2");
  std::array<char, 30> small{};
  auto r = telemetry_topic("dev1", "", props, small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::too_large);
  EXPECT_FALSE(telemetry_topic("", "", props, small));
}

TEST(IothubTopics, C2dFilterTopicAndParser) {
  EXPECT_EQ(build([](auto out) { return c2d_subscribe_filter("dev1", out); }), "devices/dev1/messages/devicebound/#");
  EXPECT_EQ(build([](auto out) { return c2d_topic("dev1", "%24.mid=1&iothub-ack=full", out); }),
            "devices/dev1/messages/devicebound/%24.mid=1&iothub-ack=full");
  std::array<char, 64> out{};
  EXPECT_FALSE(c2d_topic("dev1", "a/b", out));

  auto bag = parse_c2d_topic(
      "devices/my-device-1/messages/devicebound/"
      "%24.mid=84c08717&%24.to=%2Fdevices%2Fmy-device-1%2Fmessages%2FdeviceBound"
      "&iothub-ack=full",
      "my-device-1");
  ASSERT_TRUE(bag);
  EXPECT_EQ(*bag, "%24.mid=84c08717&%24.to=%2Fdevices%2Fmy-device-1%2Fmessages%2FdeviceBound&iothub-ack=full");
  auto empty = parse_c2d_topic("devices/d/messages/devicebound/", "d");
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, "");
  for (std::string_view bad :
       {"devices/other/messages/devicebound/a=1", "devices/d/messages/deviceboundx", "devices/d/messages/events/",
        "devices/d/messages/devicebound/a/b", "devices/dd/messages/devicebound/"}) {
    EXPECT_FALSE(parse_c2d_topic(bad, "d")) << bad;
  }
}

TEST(IothubTopics, TwinAndMethodTopicBuilders) {
  EXPECT_EQ(build([](auto out) { return twin_get_topic("1", out); }), "$iothub/twin/GET/?$rid=1");
  EXPECT_EQ(build([](auto out) { return twin_patch_reported_topic("reported_prop", out); }),
            "$iothub/twin/PATCH/properties/reported/?$rid=reported_prop");
  EXPECT_EQ(build([](auto out) { return method_response_topic(200, "7", out); }), "$iothub/methods/res/200/?$rid=7");
  EXPECT_EQ(build([](auto out) { return method_response_topic(-1, "7", out); }), "$iothub/methods/res/-1/?$rid=7");
  EXPECT_EQ(build([](auto out) { return twin_response_topic(200, "1", std::nullopt, out); }),
            "$iothub/twin/res/200/?$rid=1");
  EXPECT_EQ(build([](auto out) { return twin_response_topic(204, "reported_prop", 2, out); }),
            "$iothub/twin/res/204/?$rid=reported_prop&$version=2");
  EXPECT_EQ(build([](auto out) { return twin_desired_topic(8, out); }),
            "$iothub/twin/PATCH/properties/desired/?$version=8");
  EXPECT_EQ(build([](auto out) { return method_request_topic("ping", "1a", out); }),
            "$iothub/methods/POST/ping/?$rid=1a");
  std::array<char, 64> out{};
  EXPECT_FALSE(twin_get_topic("", out));
  EXPECT_FALSE(twin_get_topic("a&b", out));
  EXPECT_FALSE(method_request_topic("a/b", "1", out));
}

TEST(IothubTopics, MethodNamesFollowIotHubsRuleAndStayOneTopicLevel) {
  EXPECT_TRUE(is_valid_method_name("getStatus"));
  EXPECT_TRUE(is_valid_method_name("reboot-now_2.v1&x"));
  EXPECT_TRUE(is_valid_method_name(std::string(128, 'm')));
  EXPECT_FALSE(is_valid_method_name(std::string(129, 'm')));
  for (const char* bad : {"", "a b", "a/b", "a?b", "a=b", "a+b", "a#b", "$x", "a\x01b", "caf\xc3\xa9"}) {
    EXPECT_FALSE(is_valid_method_name(bad)) << bad;
  }
  std::array<char, 64> out{};
  EXPECT_FALSE(method_request_topic("a+b", "1", out));  // a wildcard would make the PUBLISH invalid
}

TEST(IothubTopics, ParsesTopicQueryInAnyOrder) {
  auto q = parse_topic_query("$version=2&$rid=abc&other=x");
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->has_rid);
  EXPECT_EQ(q->rid, "abc");
  ASSERT_TRUE(q->version);
  EXPECT_EQ(*q->version, 2u);
  auto none = parse_topic_query("");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_rid);
  EXPECT_FALSE(none->version);
  EXPECT_FALSE(parse_topic_query("$version=x"));
  EXPECT_FALSE(parse_topic_query("$version="));
  EXPECT_FALSE(parse_topic_query("$rid=1&$rid=2"));
  EXPECT_FALSE(parse_topic_query("$version=1&$version=2"));
}

TEST(IothubClassify, DevicePublishes) {
  auto t = classify_device_publish("devices/dev1/messages/events/a=1&b", "dev1", "");
  EXPECT_EQ(t.kind, DevicePublishKind::telemetry);
  EXPECT_EQ(t.bag, "a=1&b");
  auto plain = classify_device_publish("devices/dev1/messages/events/", "dev1", "");
  EXPECT_EQ(plain.kind, DevicePublishKind::telemetry);
  EXPECT_EQ(plain.bag, "");
  EXPECT_EQ(classify_device_publish("devices/dev1/messages/events", "dev1", "").kind, DevicePublishKind::telemetry);
  auto output = classify_device_publish("devices/d/modules/m/messages/events/%24.on=out1/", "d", "m");
  EXPECT_EQ(output.kind, DevicePublishKind::telemetry);
  EXPECT_EQ(output.bag, "%24.on=out1");

  auto get = classify_device_publish("$iothub/twin/GET/?$rid=42", "dev1", "");
  EXPECT_EQ(get.kind, DevicePublishKind::twin_get);
  EXPECT_EQ(get.rid, "42");
  auto patch = classify_device_publish("$iothub/twin/PATCH/properties/reported/?$rid=r1", "dev1", "");
  EXPECT_EQ(patch.kind, DevicePublishKind::twin_patch_reported);
  EXPECT_EQ(patch.rid, "r1");
  auto res = classify_device_publish("$iothub/methods/res/65535/?$rid=7", "dev1", "");
  EXPECT_EQ(res.kind, DevicePublishKind::method_response);
  EXPECT_EQ(res.status, 65535);
  EXPECT_EQ(res.rid, "7");

  for (std::string_view bad : {
           "devices/dev2/messages/events/",  // another device
           "devices/dev1x/messages/events/",
           "devices/dev1/messages/events/a/b",
           "devices/dev1/messages/devicebound/",
           "devices/dev1/modules/m/messages/events/",  // a device posing as a module
           "devices/+/messages/events/",
           "devices/dev1/messages/events/#",
           "$iothub/twin/GET/",
           "$iothub/twin/GET/?$rid=",
           "$iothub/twin/GET/?$version=1",
           "$iothub/twin/PATCH/properties/desired/?$rid=1",
           "$iothub/methods/res/abc/?$rid=1",
           "$iothub/methods/res/200/?rid=1",
           "$iothub/methods/res/200/x/?$rid=1",
           "$iothub/methods/POST/x/?$rid=1",
           "other/topic",
           "",
       }) {
    EXPECT_EQ(classify_device_publish(bad, "dev1", "").kind, DevicePublishKind::invalid) << bad;
  }
  EXPECT_EQ(classify_device_publish("devices/d/messages/events/", "d", "m").kind, DevicePublishKind::invalid);
  EXPECT_EQ(classify_device_publish("devices/d/modules/m2/messages/events/", "d", "m").kind,
            DevicePublishKind::invalid);
}

TEST(IothubClassify, DeviceSubscriptions) {
  EXPECT_EQ(classify_device_subscription("devices/dev1/messages/devicebound/#", "dev1", ""),
            DeviceSubscriptionKind::c2d);
  EXPECT_EQ(classify_device_subscription("devices/+/messages/devicebound/#", "dev1", ""), DeviceSubscriptionKind::c2d);
  EXPECT_EQ(classify_device_subscription("$iothub/methods/POST/#", "dev1", ""), DeviceSubscriptionKind::methods);
  EXPECT_EQ(classify_device_subscription("$iothub/twin/res/#", "dev1", ""), DeviceSubscriptionKind::twin_res);
  EXPECT_EQ(classify_device_subscription("$iothub/twin/PATCH/properties/desired/#", "dev1", ""),
            DeviceSubscriptionKind::twin_desired);
  EXPECT_EQ(classify_device_subscription("devices/d/modules/m/inputs/#", "d", "m"),
            DeviceSubscriptionKind::module_inputs);
  EXPECT_EQ(classify_device_subscription("devices/d/modules/m/#", "d", "m"), DeviceSubscriptionKind::module_inputs);
  for (std::string_view bad : {
           "devices/dev2/messages/devicebound/#",
           "devices/dev1/messages/devicebound/+",
           "devices/dev1/messages/devicebound/a=1",
           "devices/dev1/messages/devicebound",
           "devices/#",
           "#",
           "+/+/+",
           "$iothub/methods/POST/ping",
           "$iothub/methods/POST/+/#",
           "$iothub/twin/res/200/?$rid=1",
           "$iothub/twin/#",
           "devices/dev1/messages/events/",
           "devices/dev1/messages/devicebound/?",
           "",
       }) {
    EXPECT_EQ(classify_device_subscription(bad, "dev1", ""), DeviceSubscriptionKind::invalid) << bad;
  }
  // Modules receive no C2D, and may not read another module's inputs.
  EXPECT_EQ(classify_device_subscription("devices/d/messages/devicebound/#", "d", "m"),
            DeviceSubscriptionKind::invalid);
  EXPECT_EQ(classify_device_subscription("devices/d/modules/m2/inputs/#", "d", "m"), DeviceSubscriptionKind::invalid);
  EXPECT_EQ(classify_device_subscription("devices/d/modules/m/inputs/+", "d", "m"), DeviceSubscriptionKind::invalid);
}

TEST(IothubClassify, HubPublishesSeenByTheDevice) {
  auto c2d = classify_hub_publish("devices/d/messages/devicebound/%24.mid=1&k=v", "d", "");
  EXPECT_EQ(c2d.kind, HubPublishKind::c2d);
  EXPECT_EQ(c2d.bag, "%24.mid=1&k=v");
  auto res = classify_hub_publish("$iothub/twin/res/204/?$rid=reported_prop&$version=2", "d", "");
  EXPECT_EQ(res.kind, HubPublishKind::twin_response);
  EXPECT_EQ(res.status, 204);
  EXPECT_EQ(res.rid, "reported_prop");
  ASSERT_TRUE(res.version);
  EXPECT_EQ(*res.version, 2u);
  auto desired = classify_hub_publish("$iothub/twin/PATCH/properties/desired/?$version=8", "d", "");
  EXPECT_EQ(desired.kind, HubPublishKind::twin_desired);
  EXPECT_EQ(desired.version.value_or(0), 8u);
  auto method = classify_hub_publish("$iothub/methods/POST/ping/?$rid=1", "d", "");
  EXPECT_EQ(method.kind, HubPublishKind::method_request);
  EXPECT_EQ(method.name, "ping");
  EXPECT_EQ(method.rid, "1");
  auto input = classify_hub_publish("devices/d/modules/m/inputs/in1/a=1", "d", "m");
  EXPECT_EQ(input.kind, HubPublishKind::module_input);
  EXPECT_EQ(input.name, "in1");
  EXPECT_EQ(input.bag, "a=1");
  for (std::string_view bad : {"devices/other/messages/devicebound/", "$iothub/twin/res/200/",
                               "$iothub/twin/res/x/?$rid=1", "$iothub/twin/PATCH/properties/desired/?$rid=1",
                               "$iothub/methods/POST//?$rid=1", "$iothub/methods/POST/ping/?x=1", "foo"}) {
    EXPECT_EQ(classify_hub_publish(bad, "d", "").kind, HubPublishKind::unknown) << bad;
  }
}
