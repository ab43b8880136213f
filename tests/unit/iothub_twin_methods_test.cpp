// DeviceClient twin and direct methods (reference §5, §6), driven by canned hub bytes and checked on the wire:
// subscribe-then-GET, the $version baseline for desired patches, reported PATCH answers matched by $rid, the
// bound on outstanding requests, a twin larger than the receive buffer, the method table and its 404.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "iothub/device_client.hpp"
#include "iothub/json_scan.hpp"
#include "mqtt/codec.hpp"

using namespace picohub;
using namespace picohub::iothub;

namespace {

constexpr std::string_view device_cs =
    "HostName=myhub.azure-devices.net;DeviceId=dev1;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

using Bytes = std::vector<std::uint8_t>;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
std::string text_of(std::span<const std::uint8_t> b) { return std::string(b.begin(), b.end()); }

template <class P>
Bytes encoded(const P& packet) {
  Bytes out(8192);
  auto n = mqtt::encode(packet, out);
  EXPECT_TRUE(n);
  out.resize(n ? *n : 0);
  return out;
}

Bytes hub_publish(std::string_view topic, std::string_view body) {
  return encoded(mqtt::Publish{topic, bytes_of(body), mqtt::QoS::at_most_once, false, false, 0});
}

// A publish the client sent: topic and body.
struct Sent {
  std::string topic;
  std::string body;
  mqtt::QoS qos = mqtt::QoS::at_most_once;
};

struct Harness {
  std::string cs_text{device_cs};
  ConnectionString cs;
  StaticDeviceClientMemory<2048, 1024> memory;  // 1 KiB receive buffer: "the board's" for the too-large case
  std::unique_ptr<DeviceClient> client;
  std::uint64_t now_ms = 0;

  explicit Harness(DeviceClientOptions options) {
    cs = *parse_connection_string(cs_text);
    client = std::make_unique<DeviceClient>(memory.view(), cs, options);
  }

  std::vector<mqtt::Packet> packets(Bytes& keep) {
    auto out = client->pending_output();
    keep.assign(out.begin(), out.end());
    client->consume_output(out.size());
    std::vector<mqtt::Packet> all;
    std::span<const std::uint8_t> rest = keep;
    while (!rest.empty()) {
      auto d = mqtt::decode(rest);
      EXPECT_TRUE(d);
      if (!d) break;
      all.push_back(d->packet);
      rest = rest.subspan(d->size);
    }
    return all;
  }
  std::vector<Sent> publishes() {
    Bytes keep;
    std::vector<Sent> out;
    for (auto& p : packets(keep))
      if (auto* pub = std::get_if<mqtt::Publish>(&p))
        out.push_back(Sent{std::string(pub->topic), text_of(pub->payload), pub->qos});
    return out;
  }
  void feed(const Bytes& b) {
    auto n = client->receive(b, now_ms);
    ASSERT_TRUE(n) << n.error().what;
    ASSERT_EQ(*n, b.size());
  }
  std::vector<DeviceEvent> events() {
    std::vector<DeviceEvent> all;
    while (auto e = client->poll_event()) all.push_back(*e);
    return all;
  }
  // Feeds as the pump does: what the client does not take yet goes in after its events were taken.
  std::vector<DeviceEvent> feed_all(const Bytes& b) {
    std::vector<DeviceEvent> all;
    std::span<const std::uint8_t> rest = b;
    for (int guard = 0; !rest.empty() && guard < 100; ++guard) {
      auto n = client->receive(rest, now_ms);
      EXPECT_TRUE(n);
      if (!n) break;
      rest = rest.subspan(*n);
      for (auto& e : events()) all.push_back(e);
    }
    EXPECT_TRUE(rest.empty());
    for (auto& e : events()) all.push_back(e);
    return all;
  }

  // CONNECT, CONNACK; returns the filters of the one SUBSCRIBE and acknowledges it with `codes`.
  std::vector<std::string> connect(std::vector<std::uint8_t> codes = {}) {
    EXPECT_TRUE(client->connect(now_ms, 1700000000));
    Bytes keep;
    (void)packets(keep);
    feed(encoded(mqtt::Connack{false, mqtt::ConnectReturnCode::accepted}));
    (void)events();
    auto sent = packets(keep);
    EXPECT_EQ(sent.size(), 1u);
    std::vector<std::string> filters;
    std::uint16_t id = 0;
    if (auto* s = sent.empty() ? nullptr : std::get_if<mqtt::SubscribeView>(&sent[0])) {
      id = s->packet_id;
      for (const mqtt::Subscription sub : *s) filters.emplace_back(sub.filter);
    }
    if (codes.empty()) codes.assign(filters.size(), 0);
    feed(encoded(mqtt::Suback{id, codes}));
    return filters;
  }
};

DeviceClientOptions twin_and_methods() {
  DeviceClientOptions o;
  o.twin = true;
  o.methods = true;
  return o;
}

// Connects and answers the GET with `document`; returns the TwinDocument event.
TwinDocument connect_with_twin(Harness& h, std::string_view document) {
  h.connect();
  (void)h.events();
  auto get = h.publishes();
  EXPECT_EQ(get.size(), 1u);
  EXPECT_EQ(get.at(0).topic, "$iothub/twin/GET/?$rid=1");
  h.feed(hub_publish("$iothub/twin/res/200/?$rid=1", document));
  auto ev = h.events();
  EXPECT_EQ(ev.size(), 1u);
  auto* doc = std::get_if<TwinDocument>(&ev.at(0));
  EXPECT_NE(doc, nullptr);
  return doc ? *doc : TwinDocument{};
}

MethodResult echo_method(void* context, std::span<const std::uint8_t> request, std::span<char> response) noexcept {
  ++*static_cast<int*>(context);
  const std::string body = "{\"echo\":" + text_of(request) + "}";
  std::memcpy(response.data(), body.data(), std::min(body.size(), response.size()));
  return MethodResult{201, body.size()};
}

}  // namespace

TEST(IothubTwin, SubscribesToEverythingInOnePacketThenGetsTheTwin) {
  Harness h(twin_and_methods());
  auto filters = h.connect();
  EXPECT_EQ(filters, (std::vector<std::string>{"devices/dev1/messages/devicebound/#", "$iothub/twin/res/#",
                                               "$iothub/twin/PATCH/properties/desired/#", "$iothub/methods/POST/#"}));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<C2dSubscribed>(ev[0]));
  EXPECT_EQ(h.client->state(), DeviceClientState::ready);
  auto get = h.publishes();  // only after the SUBACK: no patch can fall between document and subscription
  ASSERT_EQ(get.size(), 1u);
  EXPECT_EQ(get[0].topic, "$iothub/twin/GET/?$rid=1");
  EXPECT_EQ(get[0].body, "");
  EXPECT_EQ(get[0].qos, mqtt::QoS::at_most_once);
  EXPECT_EQ(h.client->twin_requests_outstanding(), 1u);
}

TEST(IothubTwin, DisabledByDefaultKeepsTheC2dOnlySubscription) {
  Harness h(DeviceClientOptions{});
  EXPECT_EQ(h.connect(), (std::vector<std::string>{"devices/dev1/messages/devicebound/#"}));
  EXPECT_TRUE(h.publishes().empty());
  EXPECT_FALSE(h.client->report("{}", 0));
}

TEST(IothubTwin, DocumentCarriesDesiredVersionAndOlderPatchesAreIgnored) {
  Harness h(twin_and_methods());
  auto doc = connect_with_twin(h, R"({"desired":{"telemetryInterval":7,"$version":5},"reported":{"$version":2}})");
  EXPECT_EQ(doc.status, 200);
  EXPECT_EQ(doc.desired_version, 5u);
  EXPECT_EQ(text_of(doc.payload), R"({"desired":{"telemetryInterval":7,"$version":5},"reported":{"$version":2}})");
  EXPECT_EQ(h.client->desired_version(), 5u);

  h.feed(hub_publish("$iothub/twin/PATCH/properties/desired/?$version=4", R"({"telemetryInterval":3,"$version":4})"));
  h.feed(hub_publish("$iothub/twin/PATCH/properties/desired/?$version=5", R"({"telemetryInterval":3,"$version":5})"));
  EXPECT_TRUE(h.events().empty());
  EXPECT_EQ(h.client->ignored_patches(), 2u);
  h.feed(hub_publish("$iothub/twin/PATCH/properties/desired/?$version=6", R"({"telemetryInterval":9,"$version":6})"));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* patch = std::get_if<DesiredPatch>(&ev[0]);
  ASSERT_NE(patch, nullptr);
  EXPECT_EQ(patch->version, 6u);
  EXPECT_EQ(text_of(patch->payload), R"({"telemetryInterval":9,"$version":6})");
  h.feed(hub_publish("$iothub/twin/PATCH/properties/desired/?$version=6", R"({"$version":6})"));  // repeated
  EXPECT_TRUE(h.events().empty());
}

TEST(IothubTwin, ReportedPatchAnswersAreMatchedByRid) {
  Harness h(twin_and_methods());
  connect_with_twin(h, R"({"desired":{"$version":1},"reported":{"$version":1}})");
  auto first = h.client->report(R"({"telemetryInterval":2})", 0);
  auto second = h.client->report(R"({"a":null})", 0);
  ASSERT_TRUE(first && second);
  EXPECT_NE(*first, *second);
  auto sent = h.publishes();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].topic, "$iothub/twin/PATCH/properties/reported/?$rid=" + std::to_string(*first));
  EXPECT_EQ(sent[0].body, R"({"telemetryInterval":2})");
  // Answers out of order; one for a rid nobody asked for is ignored.
  h.feed(hub_publish("$iothub/twin/res/400/?$rid=" + std::to_string(*second), R"({"errorCode":400004})"));
  h.feed(hub_publish("$iothub/twin/res/204/?$rid=999", ""));
  h.feed(hub_publish("$iothub/twin/res/204/?$rid=" + std::to_string(*first) + "&$version=3", ""));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 2u);
  auto* a = std::get_if<ReportedAcked>(&ev[0]);
  auto* b = std::get_if<ReportedAcked>(&ev[1]);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->request_id, *second);
  EXPECT_EQ(a->status, 400);
  EXPECT_FALSE(a->version);
  EXPECT_EQ(text_of(a->payload), R"({"errorCode":400004})");
  EXPECT_EQ(b->request_id, *first);
  EXPECT_EQ(b->status, 204);
  EXPECT_EQ(b->version, 3u);
  EXPECT_EQ(h.client->twin_requests_outstanding(), 0u);
}

TEST(IothubTwin, OutstandingRequestsAreBounded) {
  Harness h(twin_and_methods());
  connect_with_twin(h, R"({"desired":{"$version":1},"reported":{"$version":1}})");
  for (std::size_t i = 0; i < max_twin_requests; ++i) ASSERT_TRUE(h.client->report("{}", 0));
  auto refused = h.client->report("{}", 0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::buffer_full);
  EXPECT_EQ(h.publishes().size(), max_twin_requests);
  h.feed(hub_publish("$iothub/twin/res/204/?$rid=2&$version=2", ""));
  (void)h.events();
  EXPECT_TRUE(h.client->report("{}", 0));  // one answer frees one slot
}

TEST(IothubTwin, ReportNeedsAConnectionAndAReconnectForgetsOutstandingRequests) {
  Harness h(twin_and_methods());
  EXPECT_EQ(h.client->report("{}", 0).error().code, Errc::not_connected);
  connect_with_twin(h, R"({"desired":{"$version":1},"reported":{"$version":1}})");
  ASSERT_TRUE(h.client->report("{}", 0));
  h.client->on_transport_reset();
  EXPECT_EQ(h.client->twin_requests_outstanding(), 0u);
  h.connect();
  (void)h.events();
  auto get = h.publishes();
  ASSERT_EQ(get.size(), 1u);  // a fresh GET after every connect
  EXPECT_EQ(get[0].topic.rfind("$iothub/twin/GET/?$rid=", 0), 0u);
}

TEST(IothubTwin, TwinLargerThanTheReceiveBufferIsAnEventNotALoop) {
  Harness h(twin_and_methods());
  h.connect();
  (void)h.events();
  (void)h.publishes();
  const std::string big = R"({"desired":{"blob":")" + std::string(3000, 'x') + R"(","$version":2},"reported":{}})";
  auto ev = h.feed_all(hub_publish("$iothub/twin/res/200/?$rid=1", big));
  ASSERT_EQ(ev.size(), 1u);
  auto* doc = std::get_if<TwinDocument>(&ev[0]);
  ASSERT_NE(doc, nullptr);
  EXPECT_TRUE(doc->too_large);
  EXPECT_GT(doc->size, 3000u);
  EXPECT_EQ(doc->capacity, 1024u);
  EXPECT_TRUE(h.publishes().empty());  // no new GET: it would fail the same way
  EXPECT_EQ(h.client->state(), DeviceClientState::ready);
  // Later large QoS 0 messages (a desired patch) are plain drops; the connection goes on.
  ev = h.feed_all(hub_publish("$iothub/twin/PATCH/properties/desired/?$version=3", big));
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<MessageDropped>(ev[0]));
  EXPECT_TRUE(h.client->report("{}", 0));
}

TEST(IothubMethods, TableHandlerAnswersWithItsStatusAndBodyAtQos0) {
  Harness h(twin_and_methods());
  int calls = 0;
  const Method table[] = {{"echo", &echo_method, &calls}};
  h.client->set_methods(table);
  connect_with_twin(h, R"({"desired":{"$version":1},"reported":{"$version":1}})");
  h.feed(hub_publish("$iothub/methods/POST/echo/?$rid=7", R"({"x":1})"));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* called = std::get_if<MethodCalled>(&ev[0]);
  ASSERT_NE(called, nullptr);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(called->name, "echo");
  EXPECT_EQ(called->status, 201);
  EXPECT_TRUE(called->sent);
  auto sent = h.publishes();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "$iothub/methods/res/201/?$rid=7");
  EXPECT_EQ(sent[0].body, R"({"echo":{"x":1}})");
  EXPECT_EQ(sent[0].qos, mqtt::QoS::at_most_once);
}

TEST(IothubMethods, UnknownMethodAnswers404WithAMessage) {
  Harness h(twin_and_methods());
  connect_with_twin(h, R"({"desired":{"$version":1},"reported":{"$version":1}})");
  h.feed(hub_publish("$iothub/methods/POST/selfDestruct/?$rid=abc-1", "null"));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<MethodCalled>(ev[0]).status, 404);
  auto sent = h.publishes();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "$iothub/methods/res/404/?$rid=abc-1");
  EXPECT_EQ(sent[0].body, R"({"message":"method 'selfDestruct' is not implemented by this device"})");
}

TEST(IothubMethods, HandlerClaimingMoreThanItsBufferAnswers500) {
  Harness h(twin_and_methods());
  const Method table[] = {{"liar",
                           [](void*, std::span<const std::uint8_t>, std::span<char> out) noexcept {
                             return MethodResult{200, out.size() + 1};
                           },
                           nullptr}};
  h.client->set_methods(table);
  connect_with_twin(h, R"({"desired":{"$version":1},"reported":{"$version":1}})");
  h.feed(hub_publish("$iothub/methods/POST/liar/?$rid=1", "null"));
  (void)h.events();
  auto sent = h.publishes();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "$iothub/methods/res/500/?$rid=1");
  EXPECT_EQ(sent[0].body, "");
}

TEST(IothubMethods, MethodsOffLeaveRequestsAsOtherMessages) {
  DeviceClientOptions o;
  o.twin = true;
  Harness h(o);
  auto filters = h.connect();
  EXPECT_EQ(filters.size(), 3u);
  (void)h.events();
  h.feed(hub_publish("$iothub/methods/POST/x/?$rid=1", "null"));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<OtherMessage>(ev[0]));
}

TEST(IothubTwin, RefusedTwinSubscriptionFailsTheConnection) {
  Harness h(twin_and_methods());
  h.connect({0, 0, 0x80, 0});
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<ConnectionLost>(ev[0]));
  EXPECT_EQ(h.client->state(), DeviceClientState::failed);
}

TEST(IothubJsonScan, FindsTopLevelMembersOnly) {
  const std::string_view doc =
      R"( { "a" : {"telemetryInterval":1, "s":"}\"{"}, "list":[1,{"x":[2]}], "telemetryInterval" : 42 , "n":null } )";
  EXPECT_EQ(json_member(doc, "telemetryInterval"), "42");
  EXPECT_EQ(json_member(doc, "n"), "null");
  EXPECT_EQ(json_member(doc, "list"), R"([1,{"x":[2]}])");
  EXPECT_EQ(json_member(*json_member(doc, "a"), "s"), R"("}\"{")");
  EXPECT_FALSE(json_member(doc, "x"));
  EXPECT_FALSE(json_member("[1]", "a"));
  EXPECT_FALSE(json_member(R"({"a":1,)", "b"));
  EXPECT_FALSE(json_member(R"({"a":"unterminated)", "a"));
  EXPECT_FALSE(json_member(std::string(40, '[') + "]", "a"));
  EXPECT_EQ(json_integer("3600"), 3600);
  EXPECT_EQ(json_integer("-1"), -1);
  EXPECT_FALSE(json_integer("2.5"));
  EXPECT_FALSE(json_integer("\"5\""));
  EXPECT_FALSE(json_integer(""));
}
