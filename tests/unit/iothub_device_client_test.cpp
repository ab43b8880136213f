// DeviceClient scenarios driven by canned broker bytes (encoded with the mqtt codec), checked on the wire.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "iothub/device_client.hpp"
#include "iothub/sas_token.hpp"
#include "mqtt/codec.hpp"

using namespace picohub;
using namespace picohub::iothub;

namespace {

constexpr std::string_view key_k = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr std::string_view device_cs =
    "HostName=myhub.azure-devices.net;DeviceId=dev1;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

using Bytes = std::vector<std::uint8_t>;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
std::string text_of(std::span<const std::uint8_t> b) { return std::string(b.begin(), b.end()); }

template <class P>
Bytes encoded(const P& packet) {
  Bytes out(4096);
  auto n = mqtt::encode(packet, out);
  EXPECT_TRUE(n);
  out.resize(n ? *n : 0);
  return out;
}

// A client with its memory and connection string text, plus a fake broker view of the wire.
struct Harness {
  std::string cs_text;
  ConnectionString cs;
  StaticDeviceClientMemory<> memory;
  std::unique_ptr<DeviceClient> client;
  std::uint64_t now_ms = 0;

  explicit Harness(std::string_view text, DeviceClientOptions options = {}) : cs_text(text) {
    auto parsed = parse_connection_string(cs_text);
    EXPECT_TRUE(parsed) << (parsed ? "" : parsed.error().what);
    cs = *parsed;
    client = std::make_unique<DeviceClient>(memory.view(), cs, options);
  }

  // Everything the client wants to send, split into packets (copies, so they outlive the client's buffers).
  std::vector<Bytes> sent() {
    std::vector<Bytes> packets;
    Bytes all;
    auto out = client->pending_output();
    all.assign(out.begin(), out.end());
    client->consume_output(out.size());
    std::span<const std::uint8_t> rest = all;
    while (!rest.empty()) {
      auto d = mqtt::decode(rest);
      EXPECT_TRUE(d);
      if (!d) break;
      packets.emplace_back(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(d->size));
      rest = rest.subspan(d->size);
    }
    return packets;
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
};

mqtt::Packet packet_of(const Bytes& b) {
  auto d = mqtt::decode(b);
  EXPECT_TRUE(d);
  return d->packet;
}

// Connects and accepts; returns the C2D SUBSCRIBE packet id.
std::uint16_t connect_and_accept(Harness& h, std::uint64_t now_unix = 1700000000) {
  EXPECT_TRUE(h.client->connect(h.now_ms, now_unix));
  auto sent = h.sent();
  EXPECT_EQ(sent.size(), 1u);
  h.feed(encoded(mqtt::Connack{false, mqtt::ConnectReturnCode::accepted}));
  auto ev = h.events();
  EXPECT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Connected>(ev.at(0)));
  auto sub = h.sent();
  EXPECT_EQ(sub.size(), 1u);
  auto packet = packet_of(sub.at(0));
  auto* s = std::get_if<mqtt::SubscribeView>(&packet);
  EXPECT_NE(s, nullptr);
  return s ? s->packet_id : 0;
}

}  // namespace

TEST(IothubDeviceClient, ConnectSendsIdentityAndVectorFToken) {
  Harness h(device_cs);
  ASSERT_TRUE(h.client->connect(0, 1700000000));
  EXPECT_EQ(h.client->state(), DeviceClientState::connecting);
  auto sent = h.sent();
  ASSERT_EQ(sent.size(), 1u);
  auto packet = packet_of(sent[0]);
  auto* c = std::get_if<mqtt::Connect>(&packet);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->client_id, "dev1");
  EXPECT_FALSE(c->clean_session);
  EXPECT_EQ(c->keep_alive_s, 240);
  ASSERT_TRUE(c->username);
  EXPECT_EQ(*c->username,
            "myhub.azure-devices.net/dev1/?api-version=2021-04-12&DeviceClientType=picohub%2F" PICOHUB_VERSION);
  ASSERT_TRUE(c->password);
  // se = now + 3600 = vector F exactly.
  EXPECT_EQ(text_of(*c->password),
            "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
            "&sig=2ylB6nEi79Klft8tf1Kvo0b6LMQ48k36e6OQLeqX2ZI%3D&se=1700003600");
  EXPECT_EQ(h.client->token_expiry_unix(), 1700003600u);
  EXPECT_FALSE(h.client->connect(0, 1700000000));  // not idle
}

TEST(IothubDeviceClient, ConnectSubscribePublishAckAndReceiveC2d) {
  Harness h(device_cs);
  ASSERT_TRUE(h.client->connect(0, 1700000000));
  h.sent();
  h.feed(encoded(mqtt::Connack{false, mqtt::ConnectReturnCode::accepted}));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Connected>(ev[0]));
  EXPECT_EQ(h.client->state(), DeviceClientState::subscribing);

  auto sub_bytes = h.sent();
  ASSERT_EQ(sub_bytes.size(), 1u);
  auto sub_packet = packet_of(sub_bytes[0]);
  auto* sub = std::get_if<mqtt::SubscribeView>(&sub_packet);
  ASSERT_NE(sub, nullptr);
  ASSERT_EQ(sub->count, 1u);
  const mqtt::Subscription first = *sub->begin();
  EXPECT_EQ(first.filter, "devices/dev1/messages/devicebound/#");
  EXPECT_EQ(first.qos, mqtt::QoS::at_least_once);

  const std::uint8_t granted[] = {1};
  h.feed(encoded(mqtt::Suback{sub->packet_id, granted}));
  ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<C2dSubscribed>(ev[0]));
  EXPECT_EQ(std::get<C2dSubscribed>(ev[0]).granted_qos, 1);
  EXPECT_EQ(h.client->state(), DeviceClientState::ready);

  const std::string body = R"({"temperature":25.5,"humidity":45})";
  const KeyValue app[] = {{"alert", "high temp"}};
  auto id = h.client->send_telemetry(bytes_of(body), MessageProperties{"m1", {}, "application/json", "utf-8", app},
                                     mqtt::QoS::at_least_once, 10);
  ASSERT_TRUE(id) << id.error().what;
  EXPECT_NE(*id, 0);
  auto pub_bytes = h.sent();
  ASSERT_EQ(pub_bytes.size(), 1u);
  auto pub_packet = packet_of(pub_bytes[0]);
  auto* pub = std::get_if<mqtt::Publish>(&pub_packet);
  ASSERT_NE(pub, nullptr);
  EXPECT_EQ(pub->topic,
            "devices/dev1/messages/events/%24.mid=m1&%24.ct=application%2Fjson&%24.ce=utf-8&alert=high%20temp");
  EXPECT_EQ(text_of(pub->payload), body);
  EXPECT_EQ(pub->qos, mqtt::QoS::at_least_once);
  EXPECT_EQ(pub->packet_id, *id);
  EXPECT_FALSE(pub->retain);

  h.feed(encoded(mqtt::Puback{*id}));
  ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<TelemetryAcked>(ev[0]));
  EXPECT_EQ(std::get<TelemetryAcked>(ev[0]).packet_id, *id);

  const std::string c2d_topic_text =
      "devices/dev1/messages/devicebound/%24.mid=84c0&%24.to=%2Fdevices%2Fdev1%2Fmessages%2FdeviceBound"
      "&%24.ct=text%2Fplain&iothub-ack=full&color=red%20x&flag&empty=";
  h.feed(encoded(mqtt::Publish{c2d_topic_text, bytes_of("hello"), mqtt::QoS::at_least_once, false, false, 7}));
  auto msg = h.client->poll_event();
  ASSERT_TRUE(msg);
  auto* c2d = std::get_if<C2dMessage>(&*msg);
  ASSERT_NE(c2d, nullptr);
  EXPECT_EQ(text_of(c2d->payload), "hello");
  EXPECT_EQ(c2d->message_id, "84c0");
  EXPECT_EQ(c2d->content_type, "text/plain");
  EXPECT_EQ(c2d->correlation_id, "");
  EXPECT_FALSE(c2d->properties_truncated);
  ASSERT_EQ(c2d->properties.size(), 5u);
  EXPECT_EQ(c2d->properties[0].key, "$.to");
  EXPECT_EQ(c2d->properties[0].value, "/devices/dev1/messages/deviceBound");
  EXPECT_EQ(c2d->properties[1].key, "iothub-ack");
  EXPECT_EQ(c2d->properties[1].value, "full");
  EXPECT_EQ(c2d->properties[2].key, "color");
  EXPECT_EQ(c2d->properties[2].value, "red x");
  EXPECT_EQ(c2d->properties[3].key, "flag");
  EXPECT_TRUE(c2d->properties[3].is_null);
  EXPECT_EQ(c2d->properties[4].key, "empty");
  EXPECT_FALSE(c2d->properties[4].is_null);
  EXPECT_EQ(c2d->properties[4].value, "");
  EXPECT_FALSE(h.client->poll_event());
  // Taking the QoS 1 C2D message completes it at the hub: PUBACK 7 goes out.
  auto ack_bytes = h.sent();
  ASSERT_EQ(ack_bytes.size(), 1u);
  auto ack_packet = packet_of(ack_bytes[0]);
  auto* ack = std::get_if<mqtt::Puback>(&ack_packet);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->packet_id, 7);
}

TEST(IothubDeviceClient, QosZeroTelemetryAndTwinTopicsAsOtherMessages) {
  Harness h(device_cs);
  connect_and_accept(h);
  auto id = h.client->send_telemetry(bytes_of("Accio"), MessageProperties{}, mqtt::QoS::at_most_once, 1);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, 0);
  auto sent = h.sent();
  ASSERT_EQ(sent.size(), 1u);
  auto p = packet_of(sent[0]);
  ASSERT_TRUE(std::holds_alternative<mqtt::Publish>(p));
  EXPECT_EQ(std::get<mqtt::Publish>(p).topic, "devices/dev1/messages/events/");

  h.feed(
      encoded(mqtt::Publish{"$iothub/twin/res/200/?$rid=1", bytes_of("{}"), mqtt::QoS::at_most_once, false, false, 0}));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<OtherMessage>(ev[0]));
  EXPECT_EQ(std::get<OtherMessage>(ev[0]).topic, "$iothub/twin/res/200/?$rid=1");
}

TEST(IothubDeviceClient, ConnackFiveSaysWhatToCheck) {
  Harness h(device_cs);
  ASSERT_TRUE(h.client->connect(0, 1609459200));  // an unsynchronised RP2040 clock: the hub says 5
  h.sent();
  h.feed(encoded(mqtt::Connack{false, mqtt::ConnectReturnCode::not_authorized}));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto* refused = std::get_if<ConnectRefused>(&ev[0]);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->code, mqtt::ConnectReturnCode::not_authorized);
  EXPECT_STREQ(refused->message,
               "hub refused the credentials (CONNACK 5): check SharedAccessKey, that the device exists and is "
               "enabled, and the clock (SAS expiry)");
  EXPECT_FALSE(refused->retryable);
  EXPECT_EQ(h.client->state(), DeviceClientState::refused);
  EXPECT_EQ(h.client->next_deadline_ms(), h.client->session().next_deadline_ms());  // no renewal scheduled
  auto send = h.client->send_telemetry(bytes_of("x"), MessageProperties{}, mqtt::QoS::at_least_once, 1);
  ASSERT_FALSE(send);
  EXPECT_EQ(send.error().code, Errc::auth_refused);
}

TEST(IothubDeviceClient, EveryRefusalCodeHasItsOwnActionableMessage) {
  using C = mqtt::ConnectReturnCode;
  const C codes[] = {C::unacceptable_protocol_version, C::identifier_rejected, C::server_unavailable,
                     C::bad_username_or_password, C::not_authorized};
  std::vector<std::string> seen;
  for (C code : codes) {
    Harness h(device_cs);
    ASSERT_TRUE(h.client->connect(0, 1700000000));
    h.sent();
    h.feed(encoded(mqtt::Connack{false, code}));
    auto ev = h.events();
    ASSERT_EQ(ev.size(), 1u);
    auto& r = std::get<ConnectRefused>(ev[0]);
    EXPECT_EQ(r.code, code);
    EXPECT_EQ(r.retryable, code == C::server_unavailable);
    const std::string m = r.message;
    EXPECT_NE(m.find("CONNACK " + std::to_string(static_cast<int>(code))), std::string::npos) << m;
    for (const auto& other : seen) EXPECT_NE(other, m);
    seen.push_back(m);
  }
}

TEST(IothubDeviceClient, RenewsTokenBeforeExpiryByReconnecting) {
  Harness h(device_cs);
  h.now_ms = 5000;
  connect_and_accept(h, 1700000000);
  const std::uint64_t renew_at = 5000 + 2880 * 1000;  // 80 % of 3600 s
  EXPECT_EQ(h.client->renewal_deadline_ms(), renew_at);
  EXPECT_LE(h.client->next_deadline_ms(), renew_at);

  // An unacknowledged QoS 1 message must survive the renewal.
  auto id = h.client->send_telemetry(bytes_of("t"), MessageProperties{}, mqtt::QoS::at_least_once, 6000);
  ASSERT_TRUE(id);
  h.sent();

  h.client->on_time(renew_at - 1, 1700002879);
  for (const auto& e : h.events()) EXPECT_FALSE(std::holds_alternative<RenewalDue>(e));
  h.sent();  // maybe a PINGREQ
  h.client->on_time(renew_at, 1700002880);
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<RenewalDue>(ev[0]));
  EXPECT_EQ(h.client->state(), DeviceClientState::renewal_due);
  auto out = h.sent();
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(std::holds_alternative<mqtt::Disconnect>(packet_of(out.back())));

  // The pump closes the transport and reconnects: a fresh token, then the in-flight publish again (DUP).
  h.client->on_transport_reset();
  EXPECT_EQ(h.client->state(), DeviceClientState::idle);
  h.now_ms = renew_at + 100;
  ASSERT_TRUE(h.client->connect(h.now_ms, 1700002880));
  auto connect_bytes = h.sent();
  ASSERT_EQ(connect_bytes.size(), 1u);
  auto cp = packet_of(connect_bytes[0]);
  auto& c = std::get<mqtt::Connect>(cp);
  ASSERT_TRUE(c.password);
  const std::string password = text_of(*c.password);
  auto fields = parse_sas_token(password);
  ASSERT_TRUE(fields);
  EXPECT_EQ(fields->se, 1700002880u + 3600u);
  EXPECT_TRUE(verify_sas_token(*fields, key_k));
  EXPECT_EQ(h.client->renewal_deadline_ms(), h.now_ms + 2880 * 1000);

  h.feed(encoded(mqtt::Connack{true, mqtt::ConnectReturnCode::accepted}));
  auto after = h.events();
  ASSERT_FALSE(after.empty());
  EXPECT_TRUE(std::get<Connected>(after[0]).session_present);
  bool resent = false;
  for (const auto& b : h.sent()) {
    auto p = packet_of(b);
    if (auto* pub = std::get_if<mqtt::Publish>(&p)) {
      EXPECT_EQ(pub->packet_id, *id);
      EXPECT_TRUE(pub->dup);
      resent = true;
    }
  }
  EXPECT_TRUE(resent);
}

TEST(IothubDeviceClient, RenewalFollowsTheUnixClockToo) {
  Harness h(device_cs);
  connect_and_accept(h, 1700000000);
  h.client->on_time(1000, 1700002880);  // monotonic time says early, the wall clock says due
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<RenewalDue>(ev[0]));
}

TEST(IothubDeviceClient, UsesGivenSignatureAndRefusesAnExpiredOne) {
  const std::string token =
      "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
      "&sig=2ylB6nEi79Klft8tf1Kvo0b6LMQ48k36e6OQLeqX2ZI%3D&se=1700003600";
  Harness h("HostName=myhub.azure-devices.net;DeviceId=dev1;SharedAccessSignature=" + token);
  ASSERT_TRUE(h.client->connect(0, 1700000000));
  auto sent = h.sent();
  auto p = packet_of(sent.at(0));
  EXPECT_EQ(text_of(*std::get<mqtt::Connect>(p).password), token);
  EXPECT_EQ(h.client->token_expiry_unix(), 1700003600u);
  EXPECT_EQ(h.client->renewal_deadline_ms(), mqtt::Session::no_deadline);  // nothing to renew with

  Harness late("HostName=myhub.azure-devices.net;DeviceId=dev1;SharedAccessSignature=" + token);
  auto r = late.client->connect(0, 1700003600);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::auth_refused);
  EXPECT_NE(std::string(r.error().what).find("has expired"), std::string::npos) << r.error().what;
  EXPECT_EQ(late.client->state(), DeviceClientState::idle);
}

TEST(IothubDeviceClient, ModuleIdentityUsesModuleFormsAndNoC2d) {
  Harness h("HostName=myhub.azure-devices.net;DeviceId=dev1;ModuleId=mod1;SharedAccessKey=" + std::string(key_k));
  ASSERT_TRUE(h.client->connect(0, 1700000000));
  const auto wire = h.sent();
  auto p = packet_of(wire.at(0));
  auto& c = std::get<mqtt::Connect>(p);
  EXPECT_EQ(c.client_id, "dev1/mod1");
  EXPECT_EQ(*c.username,
            "myhub.azure-devices.net/dev1/mod1/?api-version=2021-04-12&DeviceClientType=picohub%2F" PICOHUB_VERSION);
  EXPECT_EQ(text_of(*c.password),
            "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1%2Fmodules%2Fmod1"
            "&sig=UArd2DDNhzusWxVBiEprQWSop1RiNTA1NnmVsG0AmXw%3D&se=1700003600");  // vector G
  h.feed(encoded(mqtt::Connack{false, mqtt::ConnectReturnCode::accepted}));
  h.events();
  EXPECT_TRUE(h.sent().empty());  // modules get no C2D subscription
  EXPECT_EQ(h.client->state(), DeviceClientState::ready);
  ASSERT_TRUE(h.client->send_telemetry(bytes_of("x"), MessageProperties{}, mqtt::QoS::at_most_once, 1));
  const auto wire2 = h.sent();
  auto pub = packet_of(wire2.at(0));
  EXPECT_EQ(std::get<mqtt::Publish>(pub).topic, "devices/dev1/modules/mod1/messages/events/");
}

TEST(IothubDeviceClient, GatewayPolicyNameAndModelIdGoIntoTheIdentity) {
  DeviceClientOptions options;
  options.model_id = "dtmi:com:example:Thermostat;1";
  options.keep_alive_s = 60;
  Harness h(
      "HostName=myhub.azure-devices.net;DeviceId=dev1;GatewayHostName=edge;SharedAccessKeyName=device;"
      "SharedAccessKey=" +
          std::string(key_k),
      options);
  ASSERT_TRUE(h.client->connect(0, 1700000000));
  const auto wire = h.sent();
  auto p = packet_of(wire.at(0));
  auto& c = std::get<mqtt::Connect>(p);
  EXPECT_EQ(c.keep_alive_s, 60);
  EXPECT_EQ(*c.username,
            "myhub.azure-devices.net/dev1/?api-version=2021-04-12&DeviceClientType=picohub%2F" PICOHUB_VERSION
            "&model-id=dtmi%3Acom%3Aexample%3AThermostat%3B1");
  EXPECT_EQ(text_of(*c.password),  // vector H
            "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
            "&sig=2ylB6nEi79Klft8tf1Kvo0b6LMQ48k36e6OQLeqX2ZI%3D&se=1700003600&skn=device");
  EXPECT_EQ(h.client->identity().endpoint_host(), "edge");
}

TEST(IothubDeviceClient, RefusedSubscriptionLosesTheConnection) {
  Harness h(device_cs);
  const std::uint16_t sub_id = connect_and_accept(h);
  const std::uint8_t refused[] = {mqtt::suback_failure};
  h.feed(encoded(mqtt::Suback{sub_id, refused}));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<ConnectionLost>(ev[0]));
  EXPECT_EQ(h.client->state(), DeviceClientState::failed);
}

TEST(IothubDeviceClient, ManyC2dPropertiesAreTruncatedNotOverflowed) {
  Harness h(device_cs);
  const std::uint16_t sub_id = connect_and_accept(h);
  const std::uint8_t granted[] = {1};
  h.feed(encoded(mqtt::Suback{sub_id, granted}));
  h.events();
  std::string topic = "devices/dev1/messages/devicebound/";
  for (int i = 0; i < 40; ++i) topic += "k" + std::to_string(i) + "=v&";
  topic += "bad=%zz";
  h.feed(encoded(mqtt::Publish{topic, bytes_of(""), mqtt::QoS::at_most_once, false, false, 0}));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto& m = std::get<C2dMessage>(ev[0]);
  EXPECT_TRUE(m.properties_truncated);
  EXPECT_EQ(m.properties.size(), 16u);
  EXPECT_EQ(m.properties[15].key, "k15");
}

TEST(IothubDeviceClient, MalformedBrokerBytesLoseTheConnection) {
  Harness h(device_cs);
  ASSERT_TRUE(h.client->connect(0, 1700000000));
  h.sent();
  const Bytes garbage = {0x20, 0x02, 0x00, 0x09};  // CONNACK with a reserved return code
  auto n = h.client->receive(garbage, 0);
  EXPECT_FALSE(n);
  auto ev = h.events();
  ASSERT_FALSE(ev.empty());
  EXPECT_TRUE(std::holds_alternative<ConnectionLost>(ev.back()));
  EXPECT_EQ(h.client->state(), DeviceClientState::failed);
}

TEST(IothubDeviceClient, NoConnackInTimeIsReported) {
  Harness h(device_cs);
  ASSERT_TRUE(h.client->connect(0, 1700000000));
  h.sent();
  const std::uint64_t deadline = h.client->next_deadline_ms();
  ASSERT_NE(deadline, mqtt::Session::no_deadline);
  h.client->on_time(deadline, 1700000030);
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  auto& lost = std::get<ConnectionLost>(ev[0]);
  EXPECT_EQ(lost.error.code, Errc::timeout);
}

TEST(IothubDeviceClient, BrokerBytesArrivingOneAtATimeGiveTheSameEvents) {
  Harness h(device_cs);
  ASSERT_TRUE(h.client->connect(0, 1700000000));
  h.sent();
  Bytes wire = encoded(mqtt::Connack{false, mqtt::ConnectReturnCode::accepted});
  const std::uint8_t granted[] = {1};
  const Bytes suback = encoded(mqtt::Suback{1, granted});  // the first packet id the session hands out
  const Bytes c2d = encoded(mqtt::Publish{"devices/dev1/messages/devicebound/%24.mid=a%20b", bytes_of("on"),
                                          mqtt::QoS::at_least_once, false, false, 3});
  wire.insert(wire.end(), suback.begin(), suback.end());
  wire.insert(wire.end(), c2d.begin(), c2d.end());
  std::vector<std::string> seen;
  for (std::uint8_t b : wire) {
    auto n = h.client->receive(std::span<const std::uint8_t>(&b, 1), 0);
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, 1u);
    while (auto e = h.client->poll_event()) {
      if (std::holds_alternative<Connected>(*e)) seen.emplace_back("connected");
      if (std::holds_alternative<C2dSubscribed>(*e)) seen.emplace_back("subscribed");
      if (auto* m = std::get_if<C2dMessage>(&*e))
        seen.push_back("c2d:" + std::string(m->message_id) + ":" + text_of(m->payload));
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"connected", "subscribed", "c2d:a b:on"}));
  EXPECT_EQ(h.client->state(), DeviceClientState::ready);
}

TEST(IothubDeviceClient, DisconnectQueuesDisconnectAndCancelsRenewal) {
  Harness h(device_cs);
  connect_and_accept(h);
  h.client->disconnect();
  auto out = h.sent();
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(std::holds_alternative<mqtt::Disconnect>(packet_of(out.back())));
  EXPECT_EQ(h.client->renewal_deadline_ms(), mqtt::Session::no_deadline);
  h.client->on_time(10'000'000, 1800000000);
  for (const auto& e : h.events()) EXPECT_FALSE(std::holds_alternative<RenewalDue>(e));
}
