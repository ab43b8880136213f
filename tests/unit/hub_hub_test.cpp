#include "hub/hub.hpp"

#include "hub_test_util.hpp"

using namespace picohub::hub;
using namespace hubtest;
using nlohmann::json;

namespace {

constexpr std::int64_t kNowMs = kNow * 1000;

class HubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = memory_store();
    add_device(*store, "dev1");
    add_device(*store, "dev2");
    HubOptions options;
    options.telemetry_keep = 1000;
    hub = std::make_unique<Hub>(test_config(), *store, port, options);
  }
  bool connect_device(ConnId conn, const std::string& id, bool clean = true, std::int64_t se = kNow + 3600) {
    return hub->on_basic_auth(conn, id, kHost + "/" + id + "/?api-version=2021-04-12",
                              token(kHost + "/devices/" + id, kKey, static_cast<std::uint64_t>(se)), clean, now);
  }
  bool connect_service(ConnId conn) {
    return hub->on_basic_auth(conn, service_id, "iothubowner",
                              token(kHost, kKey, static_cast<std::uint64_t>(kNow + 3600), "iothubowner"), true, now);
  }
  bool subscribe(ConnId conn, const std::string& filter) {
    return hub->on_acl_check(conn, Access::subscribe, filter, 1, false);
  }
  // Sends a control request and returns the response the service got for it.
  json control(const json& request) {
    hub->on_control(service, service_id, request.dump(), now);
    for (std::size_t i = port.published.size(); i-- > 0;) {  // the newest answer first
      const Published& answer = port.published[i];
      if (answer.client_id == service_id && answer.topic == "$picohub/v1/response") {
        auto r = json::parse(answer.payload);
        if (r["correlationId"] == request["correlationId"]) return r;
      }
    }
    return json();
  }
  json c2d(const std::string& device, int n, const json& extra = json::object()) {
    json r = {{"op", "c2d.send"},
              {"correlationId", "c2d-" + std::to_string(n)},
              {"deviceId", device},
              {"payloadBase64", "aGVsbG8="}};
    r.update(extra);
    return control(r);
  }

  RecordingPort port;
  std::unique_ptr<Store> store;
  std::unique_ptr<Hub> hub;
  std::int64_t now = kNowMs;
  int a = 0, b = 0, svc = 0;
  ConnId dev_conn = &a, other_conn = &b, service = &svc;
  const std::string service_id = "picohub-service-1-x";
};

TEST_F(HubTest, TelemetryIsRecordedPublishedLiveAndDropped) {
  ASSERT_TRUE(connect_service(service));
  ASSERT_TRUE(subscribe(service, "$picohub/v1/telemetry/#"));
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  auto verdict = hub->on_message(
      dev_conn, "devices/dev1/messages/events/%24.mid=m1&%24.ct=application%2Fjson&alert=high%20temp&flag",
      R"({"t":21.5})", 1, true, now);
  EXPECT_EQ(verdict, MessageVerdict::drop);
  ASSERT_EQ(port.published.size(), 1u);
  auto& live = port.published[0];
  EXPECT_EQ(live.client_id, "");
  EXPECT_EQ(live.topic, "$picohub/v1/telemetry/dev1");
  EXPECT_EQ(live.qos, 0);
  auto event = json::parse(live.payload);
  EXPECT_EQ(event["sequence"], 1);
  EXPECT_EQ(event["deviceId"], "dev1");
  EXPECT_TRUE(event["moduleId"].is_null());
  EXPECT_EQ(event["enqueuedTime"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(event["systemProperties"]["message-id"], "m1");
  EXPECT_EQ(event["systemProperties"]["content-type"], "application/json");
  EXPECT_EQ(event["systemProperties"]["iothub-connection-device-id"], "dev1");
  EXPECT_EQ(event["systemProperties"]["iothub-connection-auth-method"],
            R"({"scope":"device","type":"sas","issuer":"iothub"})");
  EXPECT_EQ(event["properties"]["alert"], "high temp");
  EXPECT_TRUE(event["properties"]["flag"].is_null());
  EXPECT_EQ(event["properties"]["mqtt-retain"], "true");
  EXPECT_EQ(event["body"], R"({"t":21.5})");
  EXPECT_EQ(event["bodyBase64"], "eyJ0IjoyMS41fQ==");
  auto log = store->telemetry_query("dev1", 0, 10);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(json::parse(log[0].event_json), event);
}

TEST_F(HubTest, BinaryTelemetryHasNullBodyAndBase64) {
  ASSERT_TRUE(connect_service(service));
  ASSERT_TRUE(subscribe(service, "$picohub/v1/telemetry/#"));
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  hub->on_message(dev_conn, "devices/dev1/messages/events/", std::string("\xff\x00\x01", 3), 0, false, now);
  auto event = json::parse(port.published.at(0).payload);
  EXPECT_TRUE(event["body"].is_null());
  EXPECT_EQ(event["bodyBase64"], "/wAB");
}

std::size_t live_events(const RecordingPort& port) {
  std::size_t n = 0;
  for (auto& m : port.published) n += m.topic.rfind("$picohub/v1/telemetry/", 0) == 0 ? 1 : 0;
  return n;
}

// The ACL check of a PUBLISH keeps its look-up and classification for the MESSAGE that follows (mosquitto sends
// them in pairs); a MESSAGE on another topic or connection, or after the connection went, is classified afresh.
TEST_F(HubTest, MessageAfterItsAclCheckUsesThatCheckOnlyForTheSameConnectionAndTopic) {
  ASSERT_TRUE(connect_service(service));
  ASSERT_TRUE(subscribe(service, "$picohub/v1/telemetry/#"));
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  ASSERT_TRUE(connect_device(other_conn, "dev2"));
  std::string topic = "devices/dev1/messages/events/%24.mid=m1&k=v1";
  ASSERT_TRUE(hub->on_acl_check(dev_conn, Access::write, topic, 1, false));
  const std::string same(topic.data(), topic.size());  // another buffer with the same text
  EXPECT_EQ(hub->on_message(dev_conn, same, "1", 1, false, now), MessageVerdict::drop);
  ASSERT_TRUE(hub->on_acl_check(dev_conn, Access::write, topic, 1, false));
  EXPECT_EQ(hub->on_message(dev_conn, "devices/dev1/messages/events/k=v2", "2", 1, false, now), MessageVerdict::drop);
  ASSERT_TRUE(hub->on_acl_check(dev_conn, Access::write, topic, 1, false));
  EXPECT_EQ(hub->on_message(other_conn, "devices/dev2/messages/events/k=v3", "3", 1, false, now), MessageVerdict::drop);
  ASSERT_TRUE(hub->on_acl_check(dev_conn, Access::write, topic, 1, false));
  hub->on_disconnect(dev_conn, now);
  EXPECT_EQ(hub->on_message(dev_conn, topic, "4", 1, false, now), MessageVerdict::drop);  // gone: not recorded
  ASSERT_EQ(live_events(port), 3u);
  std::vector<std::string> seen;  // deviceId/properties.k/message-id
  for (auto& m : port.published) {
    if (m.topic.rfind("$picohub/v1/telemetry/", 0) != 0) continue;
    auto event = json::parse(m.payload);
    seen.push_back(event["deviceId"].get<std::string>() + "/" + event["properties"]["k"].get<std::string>() + "/" +
                   event["systemProperties"].value("message-id", "-"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"dev1/v1/m1", "dev1/v2/-", "dev2/v3/-"}));
  EXPECT_EQ(store->telemetry_count(), 3);
}

TEST_F(HubTest, TelemetryIsRecordedButNotPublishedWhileNoServiceWatchesIt) {
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  hub->on_message(dev_conn, "devices/dev1/messages/events/", "a", 1, false, now);
  EXPECT_FALSE(hub->telemetry_watched());
  EXPECT_EQ(live_events(port), 0u);
  EXPECT_EQ(store->telemetry_count(), 1);
  // A service subscribed only to responses does not watch telemetry either.
  ASSERT_TRUE(connect_service(service));
  ASSERT_TRUE(subscribe(service, "$picohub/v1/response"));
  hub->on_message(dev_conn, "devices/dev1/messages/events/", "b", 1, false, now);
  EXPECT_EQ(live_events(port), 0u);
  EXPECT_EQ(store->telemetry_count(), 2);
}

TEST_F(HubTest, LiveTelemetryFollowsServiceSubscribeUnsubscribeAndDisconnect) {
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  ASSERT_TRUE(connect_service(service));
  auto send = [&] { hub->on_message(dev_conn, "devices/dev1/messages/events/", "x", 1, false, now); };
  for (const char* filter : {"$picohub/v1/#", "$picohub/v1/+/dev1", "$picohub/v1/telemetry/dev1"}) {
    ASSERT_TRUE(subscribe(service, filter)) << filter;
    EXPECT_TRUE(hub->telemetry_watched()) << filter;
    auto before = live_events(port);
    send();
    EXPECT_EQ(live_events(port), before + 1) << filter;
    EXPECT_TRUE(hub->on_acl_check(service, Access::unsubscribe, filter, 0, false));
    EXPECT_FALSE(hub->telemetry_watched()) << filter;
    send();
    EXPECT_EQ(live_events(port), before + 1) << filter;
  }
  // Two filters: still watched until both are gone; a clean session's disconnect ends them all.
  ASSERT_TRUE(subscribe(service, "$picohub/v1/telemetry/#"));
  ASSERT_TRUE(subscribe(service, "$picohub/v1/#"));
  EXPECT_TRUE(hub->on_acl_check(service, Access::unsubscribe, "$picohub/v1/#", 0, false));
  EXPECT_TRUE(hub->telemetry_watched());
  hub->on_disconnect(service, now);
  EXPECT_FALSE(hub->telemetry_watched());
  EXPECT_EQ(store->telemetry_count(), 6);
}

TEST_F(HubTest, PersistentServiceSessionKeepsWatchingUntilACleanConnect) {
  int other_svc = 0;
  ConnId service2 = &other_svc;
  ASSERT_TRUE(hub->on_basic_auth(service, service_id, "iothubowner",
                                 token(kHost, kKey, static_cast<std::uint64_t>(kNow + 3600), "iothubowner"), false,
                                 now));
  ASSERT_TRUE(subscribe(service, "$picohub/v1/telemetry/#"));
  hub->on_disconnect(service, now);
  EXPECT_TRUE(hub->telemetry_watched());  // mosquitto keeps a clean_session=0 client's subscriptions
  ASSERT_TRUE(hub->on_basic_auth(service2, service_id, "iothubowner",
                                 token(kHost, kKey, static_cast<std::uint64_t>(kNow + 3600), "iothubowner"), true,
                                 now));
  EXPECT_FALSE(hub->telemetry_watched());
}

TEST_F(HubTest, PublishingToAnotherDevicesTopicIsDeniedAndKickedOnTheNextTick) {
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  EXPECT_TRUE(hub->on_acl_check(dev_conn, Access::write, "devices/dev1/messages/events/", 1, false));
  EXPECT_FALSE(hub->on_acl_check(dev_conn, Access::write, "devices/dev2/messages/events/", 1, false));
  EXPECT_TRUE(port.kicked.empty());  // never from inside the client's own callback
  hub->on_tick(now);
  EXPECT_EQ(port.kicked, std::vector<std::string>{"dev1"});
  EXPECT_FALSE(hub->is_connected("dev1"));
}

TEST_F(HubTest, QosTwoPublishIsDeniedAndKicked) {
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  EXPECT_FALSE(hub->on_acl_check(dev_conn, Access::write, "devices/dev1/messages/events/", 2, false));
  hub->on_tick(now);
  EXPECT_EQ(port.kicked.size(), 1u);
}

TEST_F(HubTest, SixthSubscriptionAndForeignFiltersAreDeniedAndKicked) {
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  EXPECT_TRUE(subscribe(dev_conn, "devices/dev1/messages/devicebound/#"));
  EXPECT_TRUE(subscribe(dev_conn, "devices/+/messages/devicebound/#"));
  EXPECT_TRUE(subscribe(dev_conn, "$iothub/methods/POST/#"));
  EXPECT_TRUE(subscribe(dev_conn, "$iothub/twin/res/#"));
  EXPECT_TRUE(subscribe(dev_conn, "$iothub/twin/PATCH/properties/desired/#"));
  EXPECT_TRUE(subscribe(dev_conn, "$iothub/twin/res/#"));  // same filter again: still 5
  EXPECT_EQ(hub->subscription_flags("dev1"), sub_c2d | sub_methods | sub_twin_res | sub_twin_desired);
  hub->on_tick(now);
  EXPECT_TRUE(port.kicked.empty());
  EXPECT_TRUE(hub->on_acl_check(dev_conn, Access::unsubscribe, "$iothub/methods/POST/#", 0, false));
  EXPECT_EQ(hub->subscription_flags("dev1") & sub_methods, 0);
  EXPECT_TRUE(subscribe(dev_conn, "$iothub/methods/POST/#"));
  EXPECT_FALSE(connect_device(other_conn, "dev2") && subscribe(other_conn, "#"));
  hub->on_tick(now);
  EXPECT_EQ(port.kicked, std::vector<std::string>{"dev2"});
}

TEST_F(HubTest, ExtraFilterAfterFiveAllowedOnesIsDeniedAndKicked) {
  // A device has exactly five distinct allowed filters, so the 5-subscription cap and the filter rules coincide;
  // the cap itself is checked first for any new filter once five are held.
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  for (auto f : {"devices/dev1/messages/devicebound/#", "devices/+/messages/devicebound/#", "$iothub/methods/POST/#",
                 "$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#"}) {
    ASSERT_TRUE(subscribe(dev_conn, f));
  }
  EXPECT_FALSE(subscribe(dev_conn, "devices/dev1/messages/events/#"));
  hub->on_tick(now);
  EXPECT_EQ(port.kicked.size(), 1u);
}

TEST_F(HubTest, TakeoverKeepsTheNewConnectionWhenTheOldDisconnectArrivesLate) {
  ASSERT_TRUE(connect_device(dev_conn, "dev1", false));
  ASSERT_TRUE(subscribe(dev_conn, "$iothub/methods/POST/#"));
  ASSERT_TRUE(connect_device(other_conn, "dev1", false));  // BASIC_AUTH(new) ...
  hub->on_disconnect(dev_conn, now);                       // ... then DISCONNECT(old)
  EXPECT_TRUE(hub->is_connected("dev1"));
  EXPECT_EQ(hub->subscription_flags("dev1"), sub_methods);  // clean_session=0 keeps the session's subscriptions
  hub->on_disconnect(other_conn, now);
  EXPECT_FALSE(hub->is_connected("dev1"));
  ASSERT_TRUE(connect_device(dev_conn, "dev1", true));
  EXPECT_EQ(hub->subscription_flags("dev1"), 0);  // clean_session=1 starts empty
}

TEST_F(HubTest, KickDeferredForAnOldConnectionNeverHitsTheNewOne) {
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  EXPECT_FALSE(hub->on_acl_check(dev_conn, Access::write, "bad/topic", 0, false));
  ASSERT_TRUE(connect_device(other_conn, "dev1"));
  hub->on_tick(now);
  EXPECT_TRUE(port.kicked.empty());
}

TEST_F(HubTest, ExpiredTokenIsKickedFromTick) {
  ASSERT_TRUE(connect_device(dev_conn, "dev1", true, kNow + 60));
  hub->on_tick(now + (60 + 300) * 1000);
  EXPECT_TRUE(port.kicked.empty());
  hub->on_tick(now + (60 + 301) * 1000);  // schedules the kick ...
  hub->on_tick(now + (60 + 301) * 1000);  // ... and performs it on the next tick
  EXPECT_EQ(port.kicked, std::vector<std::string>{"dev1"});
}

TEST_F(HubTest, TokenExpiryKicksOnlyExpiredLiveConnectionsInExpiryOrder) {
  add_device(*store, "dev3");
  int c3 = 0;
  ConnId dev3_conn = &c3;
  ASSERT_TRUE(connect_device(dev_conn, "dev1", true, kNow + 100));
  ASSERT_TRUE(connect_device(other_conn, "dev2", true, kNow + 60));
  ASSERT_TRUE(connect_device(dev3_conn, "dev3", true, kNow + 80));
  hub->on_disconnect(dev3_conn, now);  // gone before its token expired: nothing to kick
  hub->on_tick(now + (80 + 301) * 1000);
  hub->on_tick(now + (80 + 301) * 1000);
  EXPECT_EQ(port.kicked, std::vector<std::string>{"dev2"});
  // dev1 reconnects with a fresh token on a new connection; the old connection's expiry must not kick it.
  int c1b = 0;
  ConnId dev1_new = &c1b;
  ASSERT_TRUE(connect_device(dev1_new, "dev1", true, kNow + 3600));
  hub->on_disconnect(dev_conn, now);
  hub->on_tick(now + (100 + 301) * 1000);
  hub->on_tick(now + (100 + 301) * 1000);
  EXPECT_EQ(port.kicked, std::vector<std::string>{"dev2"});
  EXPECT_TRUE(hub->is_connected("dev1"));
}

TEST_F(HubTest, TwinGetAndReportedPatchAnswerOnTheResponseTopic) {
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  hub->on_message(dev_conn, "$iothub/twin/GET/?$rid=1", " ", 0, false, now);
  ASSERT_EQ(port.to("dev1").size(), 1u);
  EXPECT_EQ(port.to("dev1")[0].topic, "$iothub/twin/res/200/?$rid=1");
  EXPECT_EQ(json::parse(port.to("dev1")[0].payload),
            json::parse(R"({"desired":{"$version":1},"reported":{"$version":1}})"));
  hub->on_message(dev_conn, "$iothub/twin/PATCH/properties/reported/?$rid=2", R"({"fw":"1.0"})", 0, false, now);
  EXPECT_EQ(port.to("dev1")[1].topic, "$iothub/twin/res/204/?$rid=2&$version=2");
  EXPECT_EQ(port.to("dev1")[1].payload, "");
  hub->on_message(dev_conn, "$iothub/twin/PATCH/properties/reported/?$rid=3", "{oops", 0, false, now);
  EXPECT_EQ(port.to("dev1")[2].topic, "$iothub/twin/res/400/?$rid=3");
  EXPECT_EQ(json::parse(port.to("dev1")[2].payload)["errorCode"], 400004);
  EXPECT_EQ(store->load_twin("dev1").reported_version, 2);
}

TEST_F(HubTest, ServiceAclAllowsOnlyTheControlChannel) {
  ASSERT_TRUE(connect_service(service));
  EXPECT_TRUE(hub->on_acl_check(service, Access::write, "$CONTROL/picohub/v1", 1, false));
  EXPECT_FALSE(hub->on_acl_check(service, Access::write, "devices/dev1/messages/devicebound/x", 1, false));
  EXPECT_TRUE(hub->on_acl_check(service, Access::subscribe, "$picohub/v1/#", 1, false));
  EXPECT_TRUE(hub->on_acl_check(service, Access::subscribe, "$picohub/v1/telemetry/#", 1, false));
  EXPECT_FALSE(hub->on_acl_check(service, Access::subscribe, "devices/#", 1, false));
  EXPECT_FALSE(hub->on_acl_check(service, Access::subscribe, "#", 1, false));
  // A device may not use the control channel or read hub events.
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  EXPECT_FALSE(hub->on_acl_check(dev_conn, Access::write, "$CONTROL/picohub/v1", 1, false));
  hub->on_control(dev_conn, "dev1", R"({"op":"device.list","correlationId":"x"})", now);
  EXPECT_TRUE(port.to("dev1").empty());
}

TEST_F(HubTest, DeviceCreateListShowUpdateDelete) {
  ASSERT_TRUE(connect_service(service));
  auto r = control({{"op", "device.create"}, {"correlationId", "1"}, {"deviceId", "sensor-7"}});
  EXPECT_EQ(r["status"], 200);
  EXPECT_EQ(r["body"]["deviceId"], "sensor-7");
  EXPECT_EQ(r["body"]["status"], "enabled");
  EXPECT_EQ(r["body"]["connectionState"], "Disconnected");
  EXPECT_EQ(r["body"]["c2dQueueDepth"], 0);
  EXPECT_EQ(r["body"]["primaryKey"].get<std::string>().size(), 44u);
  EXPECT_EQ(control({{"op", "device.create"}, {"correlationId", "2"}, {"deviceId", "sensor-7"}})["body"]["errorCode"],
            409001);
  EXPECT_EQ(control({{"op", "device.create"}, {"correlationId", "3"}, {"deviceId", "bad/id"}})["status"], 400);
  auto reserved = control({{"op", "device.create"}, {"correlationId", "3b"}, {"deviceId", "picohub-service-9-x"}});
  EXPECT_EQ(reserved["status"], 400);
  EXPECT_NE(reserved["body"].dump().find("picohub-service-"), std::string::npos);
  EXPECT_EQ(control({{"op", "device.list"}, {"correlationId", "4"}})["body"]["devices"].size(), 3u);
  EXPECT_EQ(control({{"op", "device.show"}, {"correlationId", "5"}, {"deviceId", "nope"}})["body"]["errorCode"],
            404001);
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  EXPECT_EQ(control({{"op", "device.show"}, {"correlationId", "6"}, {"deviceId", "dev1"}})["body"]["connectionState"],
            "Connected");
  auto info = control({{"op", "hub.info"}, {"correlationId", "7"}});
  EXPECT_EQ(info["body"]["devices"], 3);
  EXPECT_EQ(info["body"]["connectedDevices"], 1);
  EXPECT_EQ(info["body"]["hostName"], kHost);
  auto upd = control({{"op", "device.update"}, {"correlationId", "8"}, {"deviceId", "dev1"}, {"status", "disabled"}});
  EXPECT_EQ(upd["body"]["status"], "disabled");
  hub->on_tick(now);
  EXPECT_EQ(port.kicked, std::vector<std::string>{"dev1"});
  EXPECT_EQ(control({{"op", "device.delete"}, {"correlationId", "9"}, {"deviceId", "dev2"}})["status"], 204);
  EXPECT_EQ(control({{"op", "device.delete"}, {"correlationId", "10"}, {"deviceId", "dev2"}})["body"]["errorCode"],
            404001);
  EXPECT_EQ(control({{"op", "no.such"}, {"correlationId", "11"}})["status"], 400);
}

TEST_F(HubTest, MalformedControlRequestsAreAnsweredWhenPossible) {
  ASSERT_TRUE(connect_service(service));
  hub->on_control(service, service_id, "not json", now);
  hub->on_control(service, service_id, R"({"op":"device.list"})", now);  // no correlationId: nobody to answer
  EXPECT_TRUE(port.to(service_id).empty());
  auto r = control({{"op", 5}, {"correlationId", "z"}});
  EXPECT_EQ(r["status"], 400);
  EXPECT_EQ(r["body"]["errorCode"], 400004);
}

TEST_F(HubTest, C2dQueueHoldsFiftyThenRefusesWith403004) {
  ASSERT_TRUE(connect_service(service));
  for (int i = 0; i < 50; ++i) ASSERT_EQ(c2d("dev1", i)["status"], 200) << i;
  auto r = c2d("dev1", 50);
  EXPECT_EQ(r["status"], 403);
  EXPECT_EQ(r["body"]["errorCode"], 403004);
  EXPECT_EQ(c2d("ghost", 51)["body"]["errorCode"], 404001);
  EXPECT_EQ(c2d("dev2", 52, {{"payloadBase64", std::string(87384, 'A')}})["status"], 400);  // > 64 KB decoded
  // 64 KB counts the properties too; ids and property text follow IoT Hub's character sets.
  json big_props = {{"properties", {{"k", std::string(100, 'v')}}}, {"payloadBase64", std::string(87380, 'A')}};
  EXPECT_EQ(c2d("dev2", 53, big_props)["status"], 400);
  EXPECT_EQ(c2d("dev2", 54, {{"messageId", "has space"}})["status"], 400);
  EXPECT_EQ(c2d("dev2", 55, {{"properties", {{"color", "red blue"}}}})["status"], 400);
  EXPECT_EQ(c2d("dev2", 56, {{"properties", {{"color", "red"}}}, {"messageId", "m:1"}})["status"], 200);
  EXPECT_EQ(c2d("dev2", 53, {{"ttlSeconds", 59}})["status"], 400);
}

TEST_F(HubTest, C2dIsKeptOfflineAndDeliveredOnceConnectedAndSubscribed) {
  ASSERT_TRUE(connect_service(service));
  auto r = c2d("dev1", 1,
               {{"messageId", "m-1"},
                {"messageCorrelationId", "corr 1"},
                {"contentType", "text/plain"},
                {"ack", "full"},
                {"properties", {{"color", "deep-blue"}, {"flag", nullptr}}}});
  EXPECT_EQ(r["body"]["messageId"], "m-1");
  EXPECT_EQ(r["body"]["queueDepth"], 1);
  hub->on_tick(now);
  EXPECT_TRUE(port.to("dev1").empty());
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  hub->on_tick(now);
  EXPECT_TRUE(port.to("dev1").empty());  // connected but not subscribed
  ASSERT_TRUE(subscribe(dev_conn, "devices/dev1/messages/devicebound/#"));
  hub->on_tick(now);
  auto got = port.to("dev1");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].topic,
            "devices/dev1/messages/devicebound/%24.mid=m-1&%24.to=%2Fdevices%2Fdev1%2Fmessages%2FdeviceBound&%24.cid="
            "corr%201&%24.ct=text%2Fplain&iothub-ack=full&color=deep-blue&flag");
  EXPECT_EQ(got[0].payload, "hello");
  EXPECT_EQ(got[0].qos, 1);
  EXPECT_EQ(store->c2d_depth("dev1"), 1);  // until the device's PUBACK
  hub->on_puback(dev_conn, got[0].topic, now);
  EXPECT_EQ(store->c2d_depth("dev1"), 0);
}

TEST_F(HubTest, C2dFollowsTheQosOfTheC2dSubscription) {
  ASSERT_TRUE(connect_service(service));
  c2d("dev1", 1);
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  ASSERT_TRUE(hub->on_acl_check(dev_conn, Access::subscribe, "devices/dev1/messages/devicebound/#", 0, false));
  hub->on_tick(now);
  ASSERT_EQ(port.to("dev1").size(), 1u);
  EXPECT_EQ(port.to("dev1")[0].qos, 0);
}

TEST_F(HubTest, ExpiredC2dIsDroppedNotDelivered) {
  ASSERT_TRUE(connect_service(service));
  c2d("dev1", 1, {{"ttlSeconds", 60}});
  now += 61 * 1000;
  hub->on_tick(now);
  EXPECT_EQ(store->c2d_depth("dev1"), 0);
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  ASSERT_TRUE(subscribe(dev_conn, "devices/dev1/messages/devicebound/#"));
  hub->on_tick(now);
  EXPECT_TRUE(port.to("dev1").empty());
}

TEST_F(HubTest, MethodInvokeRoundTrip) {
  ASSERT_TRUE(connect_service(service));
  json invoke = {{"op", "method.invoke"},  {"correlationId", "m1"},     {"deviceId", "dev1"},
                 {"methodName", "reboot"}, {"payload", {{"delay", 1}}}, {"responseTimeoutInSeconds", 5}};
  EXPECT_EQ(control(invoke)["body"]["errorCode"], 404103);  // not connected
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  invoke["correlationId"] = "m2";
  EXPECT_EQ(control(invoke)["body"]["errorCode"], 404103);  // connected, not subscribed
  ASSERT_TRUE(subscribe(dev_conn, "$iothub/methods/POST/#"));
  invoke["correlationId"] = "m3";
  hub->on_control(service, service_id, invoke.dump(), now);
  auto got = port.to("dev1");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].topic, "$iothub/methods/POST/reboot/?$rid=1");
  EXPECT_EQ(got[0].qos, 0);
  EXPECT_EQ(json::parse(got[0].payload), json::parse(R"({"delay":1})"));
  EXPECT_EQ(hub->pending_method_count(), 1u);
  hub->on_message(dev_conn, "$iothub/methods/res/201/?$rid=1", R"({"ok":true})", 0, false, now);
  EXPECT_EQ(hub->pending_method_count(), 0u);
  auto& last = port.published.back();
  auto response = json::parse(last.payload);
  EXPECT_EQ(last.client_id, service_id);
  EXPECT_EQ(response["correlationId"], "m3");
  EXPECT_EQ(response["status"], 200);
  EXPECT_EQ(response["body"], json::parse(R"({"status":201,"payload":{"ok":true}})"));
}

TEST_F(HubTest, MethodTimeoutAnswers504101AndLateAnswerIsIgnored) {
  ASSERT_TRUE(connect_service(service));
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  ASSERT_TRUE(subscribe(dev_conn, "$iothub/methods/POST/#"));
  json invoke = {{"op", "method.invoke"},
                 {"correlationId", "t1"},
                 {"deviceId", "dev1"},
                 {"methodName", "slow"},
                 {"responseTimeoutInSeconds", 5}};
  hub->on_control(service, service_id, invoke.dump(), now);
  hub->on_tick(now + 4999);
  EXPECT_EQ(hub->pending_method_count(), 1u);
  hub->on_tick(now + 5000);
  EXPECT_EQ(hub->pending_method_count(), 0u);
  auto response = json::parse(port.published.back().payload);
  EXPECT_EQ(response["status"], 504);
  EXPECT_EQ(response["body"]["errorCode"], 504101);
  auto before = port.published.size();
  hub->on_message(dev_conn, "$iothub/methods/res/200/?$rid=1", "{}", 0, false, now + 6000);
  EXPECT_EQ(port.published.size(), before);
  invoke["responseTimeoutInSeconds"] = 301;
  invoke["correlationId"] = "t2";
  EXPECT_EQ(control(invoke)["status"], 400);
}

TEST_F(HubTest, MethodAnswerFromAnotherDeviceDoesNotCompleteTheCall) {
  ASSERT_TRUE(connect_service(service));
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  ASSERT_TRUE(connect_device(other_conn, "dev2"));
  ASSERT_TRUE(subscribe(dev_conn, "$iothub/methods/POST/#"));
  hub->on_control(
      service, service_id,
      json({{"op", "method.invoke"}, {"correlationId", "x"}, {"deviceId", "dev1"}, {"methodName", "m"}}).dump(), now);
  hub->on_message(other_conn, "$iothub/methods/res/200/?$rid=1", "{}", 0, false, now);
  EXPECT_EQ(hub->pending_method_count(), 1u);
}

TEST_F(HubTest, DesiredUpdateIsPushedToASubscribedDevice) {
  ASSERT_TRUE(connect_service(service));
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  ASSERT_TRUE(subscribe(dev_conn, "$iothub/twin/PATCH/properties/desired/#"));
  auto r = control({{"op", "twin.update"},
                    {"correlationId", "u1"},
                    {"deviceId", "dev1"},
                    {"desired", {{"rate", 5}, {"mode", nullptr}}}});
  EXPECT_EQ(r["status"], 200);
  EXPECT_EQ(r["body"]["properties"]["desired"]["rate"], 5);
  EXPECT_EQ(r["body"]["properties"]["desired"]["$version"], 2);
  auto got = port.to("dev1");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].topic, "$iothub/twin/PATCH/properties/desired/?$version=2");
  EXPECT_EQ(json::parse(got[0].payload), json::parse(R"({"rate":5,"mode":null,"$version":2})"));
  auto bad = control({{"op", "twin.update"}, {"correlationId", "u2"}, {"deviceId", "dev1"}, {"desired", {{"a.b", 1}}}});
  EXPECT_EQ(bad["status"], 400);
  auto get = control({{"op", "twin.get"}, {"correlationId", "g"}, {"deviceId", "dev1"}});
  EXPECT_EQ(get["body"]["properties"]["desired"]["$version"], 2);
  EXPECT_TRUE(get["body"]["properties"]["reported"]["$metadata"].is_object());
}

// Tags are the service's own: merged with null deletes, kept in state.db, part of the etag, never sent to the device.
TEST_F(HubTest, TwinTagsAreStoredMergedVersionedAndPrivateToTheService) {
  ASSERT_TRUE(connect_service(service));
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  ASSERT_TRUE(subscribe(dev_conn, "$iothub/twin/PATCH/properties/desired/#"));
  auto before = control({{"op", "twin.get"}, {"correlationId", "g0"}, {"deviceId", "dev1"}});
  EXPECT_EQ(before["body"]["tags"], json::object());
  auto r = control({{"op", "twin.update"},
                    {"correlationId", "t1"},
                    {"deviceId", "dev1"},
                    {"tags", {{"site", "lab"}, {"floor", {{"n", 2}, {"wing", "b"}}}}}});
  ASSERT_EQ(r["status"], 200) << r.dump();
  EXPECT_EQ(r["body"]["tags"]["site"], "lab");
  EXPECT_NE(r["body"]["etag"], before["body"]["etag"]);
  EXPECT_EQ(r["body"]["version"], before["body"]["version"].get<int>() + 1);
  EXPECT_TRUE(port.to("dev1").empty());  // a tags patch is not a desired patch
  auto r2 = control({{"op", "twin.update"},
                     {"correlationId", "t2"},
                     {"deviceId", "dev1"},
                     {"tags", {{"site", nullptr}, {"floor", {{"wing", "c"}}}}}});
  ASSERT_EQ(r2["status"], 200);
  EXPECT_EQ(r2["body"]["tags"], json::parse(R"({"floor":{"n":2,"wing":"c"}})"));
  auto bad = control({{"op", "twin.update"}, {"correlationId", "t3"}, {"deviceId", "dev1"}, {"tags", 5}});
  EXPECT_EQ(bad["status"], 400);
  auto none = control({{"op", "twin.update"}, {"correlationId", "t4"}, {"deviceId", "dev1"}});
  EXPECT_EQ(none["status"], 400);
  EXPECT_EQ(store->load_twin("dev1").tags_version, 2);
}

TEST_F(HubTest, IfMatchIsCheckedByTheOpThatWrites) {
  ASSERT_TRUE(connect_service(service));
  auto twin = control({{"op", "twin.get"}, {"correlationId", "g1"}, {"deviceId", "dev1"}});
  const std::string etag = twin["body"]["etag"];
  auto stale = control({{"op", "twin.update"},
                        {"correlationId", "u1"},
                        {"deviceId", "dev1"},
                        {"desired", {{"rate", 5}}},
                        {"ifMatch", "\"AAAAAAAAAAk=\""}});
  EXPECT_EQ(stale["status"], 412);
  EXPECT_EQ(stale["body"]["errorCode"], 412002);
  EXPECT_EQ(control({{"op", "twin.get"}, {"correlationId", "g2"}, {"deviceId", "dev1"}})["body"]["etag"], etag);
  auto fresh = control({{"op", "twin.update"},
                        {"correlationId", "u2"},
                        {"deviceId", "dev1"},
                        {"desired", {{"rate", 5}}},
                        {"ifMatch", "\"" + etag + "\""}});
  EXPECT_EQ(fresh["status"], 200);
  EXPECT_NE(fresh["body"]["etag"], etag);
  EXPECT_EQ(control({{"op", "twin.update"},
                     {"correlationId", "u3"},
                     {"deviceId", "dev1"},
                     {"desired", {{"rate", 6}}},
                     {"ifMatch", "*"}})["status"],
            200);

  auto device = control({{"op", "device.show"}, {"correlationId", "s1"}, {"deviceId", "dev2"}})["body"];
  const std::string device_etag = device["etag"];
  auto refused = control({{"op", "device.update"},
                          {"correlationId", "d1"},
                          {"deviceId", "dev2"},
                          {"status", "disabled"},
                          {"ifMatch", "nope"}});
  EXPECT_EQ(refused["status"], 412);
  EXPECT_EQ(refused["body"]["errorCode"], 412002);
  EXPECT_EQ(control({{"op", "device.show"}, {"correlationId", "s2"}, {"deviceId", "dev2"}})["body"]["status"],
            "enabled");
  auto updated = control({{"op", "device.update"},
                          {"correlationId", "d2"},
                          {"deviceId", "dev2"},
                          {"status", "disabled"},
                          {"ifMatch", device_etag}});
  EXPECT_EQ(updated["status"], 200);
  EXPECT_NE(updated["body"]["etag"], device_etag);  // the status is part of what the etag covers
}

TEST_F(HubTest, TelemetryQueryFiltersByGlobAndLimit) {
  ASSERT_TRUE(connect_service(service));
  ASSERT_TRUE(connect_device(dev_conn, "dev1"));
  ASSERT_TRUE(connect_device(other_conn, "dev2"));
  for (int i = 0; i < 3; ++i) {
    hub->on_message(dev_conn, "devices/dev1/messages/events/", "a", 1, false, now + i);
    hub->on_message(other_conn, "devices/dev2/messages/events/", "b", 1, false, now + i);
  }
  auto r = control({{"op", "telemetry.query"}, {"correlationId", "q"}, {"deviceId", "dev2"}});
  EXPECT_EQ(r["body"]["messages"].size(), 3u);
  r = control({{"op", "telemetry.query"}, {"correlationId", "q2"}, {"deviceId", "dev*"}, {"limit", 4}});
  ASSERT_EQ(r["body"]["messages"].size(), 4u);
  EXPECT_EQ(r["body"]["messages"][3]["sequence"], 6);
  EXPECT_EQ(control({{"op", "telemetry.query"}, {"correlationId", "q3"}, {"limit", 10001}})["status"], 400);
  // afterSequence pages from the oldest: the first 4, then the rest.
  r = control({{"op", "telemetry.query"}, {"correlationId", "q4"}, {"afterSequence", 0}, {"limit", 4}});
  ASSERT_EQ(r["body"]["messages"].size(), 4u);
  EXPECT_EQ(r["body"]["messages"][0]["sequence"], 1);
  EXPECT_EQ(r["body"]["messages"][3]["sequence"], 4);
  r = control({{"op", "telemetry.query"}, {"correlationId", "q5"}, {"afterSequence", 4}, {"limit", 4}});
  ASSERT_EQ(r["body"]["messages"].size(), 2u);
  EXPECT_EQ(r["body"]["messages"][0]["sequence"], 5);
}

TEST_F(HubTest, RefusedConnectionsAreLoggedWithTheReason) {
  EXPECT_FALSE(hub->on_basic_auth(
      dev_conn, "dev1", kHost + "/dev1/?api-version=2021-04-12",
      token(kHost + "/devices/dev1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", kNow + 60), true, now));
  ASSERT_FALSE(port.lines.empty());
  EXPECT_EQ(port.lines.back(), "picohub: refused dev1: signature does not match either key");
  EXPECT_EQ(hub->connection_count(), 0u);
}

}  // namespace

namespace {

TEST_F(HubTest, ModuleIdentityHasItsOwnKeysTwinMethodsAndTelemetry) {
  ASSERT_TRUE(connect_service(service));
  auto created = control({{"op", "module.create"}, {"correlationId", "mc"}, {"deviceId", "dev1"}, {"moduleId", "m1"}});
  ASSERT_EQ(created["status"], 200) << created.dump();
  const std::string module_key = created["body"]["primaryKey"];
  EXPECT_NE(module_key, kKey);
  EXPECT_EQ(control({{"op", "module.create"},
                     {"correlationId", "mc2"},
                     {"deviceId", "dev1"},
                     {"moduleId", "m1"}})["body"]["errorCode"],
            409001);
  EXPECT_EQ(
      control({{"op", "module.create"}, {"correlationId", "mc3"}, {"deviceId", "nope"}, {"moduleId", "m1"}})["status"],
      404);
  EXPECT_EQ(control({{"op", "module.list"}, {"correlationId", "ml"}, {"deviceId", "dev1"}})["body"]["modules"].size(),
            1u);

  // The module connects with its own key; the device key does not open it.
  const std::string user = kHost + "/dev1/m1/?api-version=2021-04-12";
  EXPECT_FALSE(hub->on_basic_auth(dev_conn, "dev1/m1", user, token(kHost + "/devices/dev1/modules/m1", kKey, kNow + 60),
                                  true, now));
  ASSERT_TRUE(hub->on_basic_auth(dev_conn, "dev1/m1", user,
                                 token(kHost + "/devices/dev1/modules/m1", module_key, kNow + 3600), true, now));

  // Its twin is its own: a reported patch lands in the module twin, not the device's.
  hub->on_message(dev_conn, "$iothub/twin/PATCH/properties/reported/?$rid=1", R"({"fw":"2"})", 0, false, now);
  auto module_twin = control({{"op", "twin.get"}, {"correlationId", "t1"}, {"deviceId", "dev1"}, {"moduleId", "m1"}});
  EXPECT_EQ(module_twin["body"]["moduleId"], "m1");
  EXPECT_EQ(module_twin["body"]["deviceId"], "dev1");
  EXPECT_EQ(module_twin["body"]["properties"]["reported"]["fw"], "2");
  auto device_twin = control({{"op", "twin.get"}, {"correlationId", "t2"}, {"deviceId", "dev1"}});
  EXPECT_FALSE(device_twin["body"]["properties"]["reported"].contains("fw"));
  EXPECT_FALSE(device_twin["body"].contains("moduleId"));

  // Methods go to the module's client id and only its answer completes them.
  ASSERT_TRUE(subscribe(dev_conn, "$iothub/methods/POST/#"));
  json invoke = {{"op", "method.invoke"}, {"correlationId", "mi"}, {"deviceId", "dev1"},
                 {"moduleId", "m1"},      {"methodName", "ping"},  {"responseTimeoutInSeconds", 5}};
  hub->on_control(service, service_id, invoke.dump(), now);
  auto got = port.to("dev1/m1");
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().topic, "$iothub/methods/POST/ping/?$rid=1");
  ASSERT_TRUE(connect_device(other_conn, "dev1"));
  hub->on_message(other_conn, "$iothub/methods/res/200/?$rid=1", "{}", 0, false, now);  // the device, not the module
  EXPECT_EQ(hub->pending_method_count(), 1u);
  hub->on_message(dev_conn, "$iothub/methods/res/200/?$rid=1", "{}", 0, false, now);
  EXPECT_EQ(hub->pending_method_count(), 0u);

  // Deleting the module disconnects it; an unknown module is a 404 for twin and method calls.
  EXPECT_EQ(
      control({{"op", "module.delete"}, {"correlationId", "md"}, {"deviceId", "dev1"}, {"moduleId", "m1"}})["status"],
      204);
  hub->on_tick(now);
  EXPECT_EQ(port.kicked, std::vector<std::string>{"dev1/m1"});
  EXPECT_EQ(
      control(
          {{"op", "twin.get"}, {"correlationId", "t3"}, {"deviceId", "dev1"}, {"moduleId", "m1"}})["body"]["errorCode"],
      404010);
}

TEST_F(HubTest, DeletingADeviceDeletesItsModulesAndTheirTwins) {
  ASSERT_TRUE(store->insert_module({"dev1", "m1", kKey, kKey, 0}));
  ASSERT_TRUE(store->insert_module({"dev10", "m1", kKey, kKey, 0}));  // a device whose id extends "dev1"
  TwinRecord twin;
  twin.device_id = "dev1/m1";
  twin.reported_version = 7;
  store->save_twin(twin);
  twin.device_id = "dev10/m1";
  store->save_twin(twin);
  ASSERT_TRUE(store->delete_device("dev1"));
  EXPECT_FALSE(store->find_module("dev1", "m1"));
  EXPECT_EQ(store->load_twin("dev1/m1").reported_version, 1);
  EXPECT_TRUE(store->find_module("dev10", "m1"));
  EXPECT_EQ(store->load_twin("dev10/m1").reported_version, 7);
}

}  // namespace

namespace {

TEST_F(HubTest, PlugAndPlayModelIdAndGenerationIdAreStampedOnEventsAndShownInTheTwin) {
  ASSERT_TRUE(connect_service(service));
  ASSERT_TRUE(subscribe(service, "$picohub/v1/telemetry/#"));
  const std::string dtmi = "dtmi:com:example:Thermostat;1";
  ASSERT_TRUE(hub->on_basic_auth(dev_conn, "dev1",
                                 kHost + "/dev1/?api-version=2021-04-12&model-id=dtmi%3Acom%3Aexample%3AThermostat%3B1",
                                 token(kHost + "/devices/dev1", kKey, kNow + 3600), true, now));
  hub->on_message(dev_conn, "devices/dev1/messages/events/", "{}", 1, false, now);
  auto events = port.to("");
  ASSERT_FALSE(events.empty());
  auto event = json::parse(events.back().payload);
  EXPECT_EQ(event["systemProperties"]["dt-dataschema"], dtmi);
  const auto device = control({{"op", "device.show"}, {"correlationId", "s"}, {"deviceId", "dev1"}})["body"];
  EXPECT_EQ(event["systemProperties"]["iothub-connection-auth-generation-id"], device["generationId"]);
  EXPECT_EQ(control({{"op", "twin.get"}, {"correlationId", "t"}, {"deviceId", "dev1"}})["body"]["modelId"], dtmi);
  EXPECT_EQ(control({{"op", "twin.get"}, {"correlationId", "t2"}, {"deviceId", "dev2"}})["body"]["modelId"], "");
}

TEST(GenerationId, IsDotNetTicksOfTheCreationTime) {
  EXPECT_EQ(generation_id(0), "621355968000000000");
  EXPECT_EQ(generation_id(1700000000000), "638355968000000000");
}

}  // namespace
