// mqtt::Session scenarios: the test plays the broker with the codec, feeding bytes and time by hand.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "mqtt/codec.hpp"
#include "mqtt/session.hpp"
#include "mqtt_test_util.hpp"

namespace picohub::mqtt {
namespace {

using test::Bytes;
using test::bytes;
using test::encoded;

template <std::size_t Tx = 512, std::size_t Rx = 512, std::size_t Window = 4, std::size_t Slot = 128>
struct Harness {
  // On the heap so big buffers do not strain the test stack; the session itself never allocates.
  std::unique_ptr<StaticSessionMemory<Tx, Rx, Window, Slot>> memory =
      std::make_unique<StaticSessionMemory<Tx, Rx, Window, Slot>>();
  Session session;
  std::uint64_t now = 1'000;

  explicit Harness(SessionOptions options = {}) : session(memory->view(), options) {}

  // Everything the session wants written, decoded into packets (all of it is consumed).
  std::vector<Bytes> take_output() {
    std::vector<Bytes> packets;
    auto out = session.pending_output();
    Bytes all(out.begin(), out.end());
    session.consume_output(out.size());
    std::span<const std::uint8_t> rest(all);
    while (!rest.empty()) {
      auto d = decode(rest);
      EXPECT_TRUE(d) << "session wrote an undecodable packet: " << (d ? "" : d.error().what);
      if (!d) break;
      packets.emplace_back(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(d->size));
      rest = rest.subspan(d->size);
    }
    return packets;
  }

  Result<std::size_t> feed(const Bytes& b) { return session.receive(b, now); }

  std::vector<Event> events() {
    std::vector<Event> out;
    while (auto e = session.poll_event()) out.push_back(*e);
    return out;
  }

  void connect(std::uint16_t keep_alive_s = 60, bool clean = true, bool session_present = false) {
    ConnectOptions o;
    o.client_id = "dev";
    o.keep_alive_s = keep_alive_s;
    o.clean_session = clean;
    ASSERT_TRUE(session.connect(o, now));
    auto out = take_output();
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0][0], 0x10);
    ASSERT_TRUE(feed(encoded(Connack{session_present, ConnectReturnCode::accepted})));
    auto ev = events();
    ASSERT_EQ(ev.size(), 1u);
    ASSERT_TRUE(std::holds_alternative<Connected>(ev[0]));
    ASSERT_TRUE(session.connected());
  }
};

Packet packet_of(const Bytes& b) {
  auto d = decode(b);
  EXPECT_TRUE(d);
  return d ? d->packet : Packet{};
}

template <class T>
T get(const Packet& p) {
  const T* t = std::get_if<T>(&p);
  EXPECT_NE(t, nullptr) << "packet variant index " << p.index();
  return t ? *t : T{};
}

template <class T>
T get_event(const Event& e) {
  const T* t = std::get_if<T>(&e);
  EXPECT_NE(t, nullptr) << "event variant index " << e.index();
  return t ? *t : T{};
}

// ------------------------------------------------------------------ connect

TEST(MqttSession, ConnectQueuesConnectAndAcceptedConnackConnects) {
  Harness h;
  ConnectOptions o;
  o.client_id = "dev";
  o.username = "hub/dev/?api-version=2021-04-12";
  o.clean_session = false;
  o.keep_alive_s = 240;
  ASSERT_TRUE(h.session.connect(o, h.now));
  EXPECT_EQ(h.session.state(), SessionState::connecting);
  auto out = h.take_output();
  ASSERT_EQ(out.size(), 1u);
  auto c = get<Connect>(packet_of(out[0]));
  EXPECT_EQ(c.client_id, "dev");
  EXPECT_EQ(c.keep_alive_s, 240);
  EXPECT_FALSE(c.clean_session);

  ASSERT_TRUE(h.feed(bytes({0x20, 2, 1, 0})));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(get_event<Connected>(ev[0]).session_present);
  EXPECT_EQ(h.session.state(), SessionState::connected);
}

TEST(MqttSession, RefusedConnackReportsReturnCodeAndActionableError) {
  Harness h;
  ConnectOptions o;
  o.client_id = "dev";
  ASSERT_TRUE(h.session.connect(o, h.now));
  h.take_output();
  ASSERT_TRUE(h.feed(bytes({0x20, 2, 0, 5})));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(get_event<ConnectRefused>(ev[0]).return_code, ConnectReturnCode::not_authorized);
  EXPECT_EQ(h.session.state(), SessionState::refused);
  ASSERT_TRUE(h.session.last_error());
  EXPECT_EQ(h.session.last_error()->code, Errc::auth_refused);
  EXPECT_NE(std::string(h.session.last_error()->what).find("credentials"), std::string::npos);
}

TEST(MqttSession, ConnectTwiceWithoutResetIsRefused) {
  Harness h;
  h.connect();
  ConnectOptions o;
  o.client_id = "dev";
  auto r = h.session.connect(o, h.now);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::protocol_violation);
}

TEST(MqttSession, MissingConnackTimesOut) {
  Harness h(SessionOptions{5'000, 10'000});
  ConnectOptions o;
  o.client_id = "dev";
  ASSERT_TRUE(h.session.connect(o, h.now));
  EXPECT_EQ(h.session.next_deadline_ms(), h.now + 5'000);
  h.session.on_time(h.now + 4'999);
  EXPECT_TRUE(h.events().empty());
  h.session.on_time(h.now + 5'000);
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<ConnectTimedOut>(ev[0]));
  EXPECT_EQ(h.session.state(), SessionState::failed);
  EXPECT_EQ(h.session.last_error()->code, Errc::timeout);
}

TEST(MqttSession, FirstPacketOtherThanConnackIsAProtocolError) {
  Harness h;
  ConnectOptions o;
  o.client_id = "dev";
  ASSERT_TRUE(h.session.connect(o, h.now));
  ASSERT_TRUE(h.feed(encoded(Puback{1})));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(get_event<ProtocolError>(ev[0]).error.code, Errc::protocol_violation);
  EXPECT_EQ(h.session.state(), SessionState::failed);
}

// ------------------------------------------------------------------ outgoing QoS 1

TEST(MqttSession, Qos1PublishIsSentAndPubackFreesTheSlot) {
  Harness h;
  h.connect();
  auto id = h.session.publish("devices/dev/messages/events/", test::view("{\"t\":1}"), QoS::at_least_once, false,
                              h.now);
  ASSERT_TRUE(id);
  EXPECT_NE(*id, 0);
  EXPECT_EQ(h.session.in_flight(), 1u);
  auto out = h.take_output();
  ASSERT_EQ(out.size(), 1u);
  auto p = get<Publish>(packet_of(out[0]));
  EXPECT_EQ(p.packet_id, *id);
  EXPECT_EQ(p.qos, QoS::at_least_once);
  EXPECT_FALSE(p.dup);
  EXPECT_EQ(test::as_text(p.payload), "{\"t\":1}");

  ASSERT_TRUE(h.feed(encoded(Puback{*id})));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(get_event<PublishAcked>(ev[0]).packet_id, *id);
  EXPECT_EQ(h.session.in_flight(), 0u);
}

TEST(MqttSession, Qos0PublishHasNoIdAndNeedsAConnection) {
  Harness h;
  auto before = h.session.publish("t", test::view("x"), QoS::at_most_once, false, h.now);
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().code, Errc::not_connected);
  h.connect();
  auto id = h.session.publish("t", test::view("x"), QoS::at_most_once, false, h.now);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, 0);
  EXPECT_EQ(h.session.in_flight(), 0u);
  auto out = h.take_output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], bytes({0x30, 4, 0, 1, 't', 'x'}));
}

TEST(MqttSession, FullWindowIsBufferFullUntilAnAckArrives) {
  Harness<512, 512, 2, 64> h;
  h.connect();
  auto a = h.session.publish("t", test::view("1"), QoS::at_least_once, false, h.now);
  auto b = h.session.publish("t", test::view("2"), QoS::at_least_once, false, h.now);
  ASSERT_TRUE(a && b);
  auto c = h.session.publish("t", test::view("3"), QoS::at_least_once, false, h.now);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::buffer_full);
  EXPECT_EQ(h.session.in_flight(), 2u);
  h.take_output();
  ASSERT_TRUE(h.feed(encoded(Puback{*a})));
  h.events();
  EXPECT_TRUE(h.session.publish("t", test::view("3"), QoS::at_least_once, false, h.now));
}

TEST(MqttSession, PublishLargerThanASlotIsTooLarge) {
  Harness<512, 512, 2, 32> h;
  h.connect();
  const Bytes big(40, 'x');
  auto r = h.session.publish("t", big, QoS::at_least_once, false, h.now);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::too_large);
  const Bytes huge(600, 'x');
  auto r0 = h.session.publish("t", huge, QoS::at_most_once, false, h.now);
  ASSERT_FALSE(r0);
  EXPECT_EQ(r0.error().code, Errc::too_large);
}

TEST(MqttSession, Qos0PublishIntoFullTxIsBufferFull) {
  Harness<64, 512, 2, 32> h;
  h.connect();
  const Bytes payload(40, 'x');
  ASSERT_TRUE(h.session.publish("t", payload, QoS::at_most_once, false, h.now));
  auto r = h.session.publish("t", payload, QoS::at_most_once, false, h.now);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::buffer_full);
  h.take_output();
  EXPECT_TRUE(h.session.publish("t", payload, QoS::at_most_once, false, h.now));
}

TEST(MqttSession, Qos1PublishWhileConnectingIsSentAfterConnack) {
  Harness h;
  ConnectOptions o;
  o.client_id = "dev";
  ASSERT_TRUE(h.session.connect(o, h.now));
  auto id = h.session.publish("t", test::view("early"), QoS::at_least_once, false, h.now);
  ASSERT_TRUE(id);
  auto out = h.take_output();
  ASSERT_EQ(out.size(), 1u);  // only CONNECT so far
  ASSERT_TRUE(h.feed(encoded(Connack{false, ConnectReturnCode::accepted})));
  h.events();
  out = h.take_output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(get<Publish>(packet_of(out[0])).packet_id, *id);
  EXPECT_FALSE(get<Publish>(packet_of(out[0])).dup);
}

TEST(MqttSession, ReconnectRetransmitsUnackedPublishesWithDupInOriginalOrder) {
  Harness<512, 512, 4, 64> h;
  h.connect(60, false);
  std::vector<std::uint16_t> ids;
  for (const char* body : {"one", "two", "three"}) {
    auto id = h.session.publish("t", test::view(body), QoS::at_least_once, false, h.now);
    ASSERT_TRUE(id);
    ids.push_back(*id);
  }
  ASSERT_EQ(h.take_output().size(), 3u);
  ASSERT_TRUE(h.feed(encoded(Puback{ids[1]})));  // "two" is acknowledged before the link drops
  h.events();

  h.session.on_transport_reset();
  EXPECT_EQ(h.session.state(), SessionState::idle);
  EXPECT_EQ(h.session.in_flight(), 2u);
  EXPECT_TRUE(h.session.pending_output().empty());
  auto fresh = h.session.publish("t", test::view("four"), QoS::at_least_once, false, h.now);  // between links
  ASSERT_TRUE(fresh);

  ConnectOptions o;
  o.client_id = "dev";
  o.clean_session = false;
  ASSERT_TRUE(h.session.connect(o, h.now));
  auto out = h.take_output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0][0], 0x10);
  ASSERT_TRUE(h.feed(encoded(Connack{true, ConnectReturnCode::accepted})));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(get_event<Connected>(ev[0]).session_present);

  out = h.take_output();
  ASSERT_EQ(out.size(), 3u);
  auto p0 = get<Publish>(packet_of(out[0]));
  auto p1 = get<Publish>(packet_of(out[1]));
  auto p2 = get<Publish>(packet_of(out[2]));
  EXPECT_EQ(p0.packet_id, ids[0]);
  EXPECT_TRUE(p0.dup);
  EXPECT_EQ(test::as_text(p0.payload), "one");
  EXPECT_EQ(p1.packet_id, ids[2]);
  EXPECT_TRUE(p1.dup);
  EXPECT_EQ(test::as_text(p1.payload), "three");
  EXPECT_EQ(p2.packet_id, *fresh);
  EXPECT_FALSE(p2.dup);  // never sent before: first attempt keeps DUP=0
}

TEST(MqttSession, RetransmissionAlsoHappensWhenTheBrokerHasNoSession) {
  Harness h;
  h.connect(60, false);
  auto id = h.session.publish("t", test::view("x"), QoS::at_least_once, false, h.now);
  ASSERT_TRUE(id);
  h.take_output();
  h.session.on_transport_reset();
  ConnectOptions o;
  o.client_id = "dev";
  o.clean_session = false;
  ASSERT_TRUE(h.session.connect(o, h.now));
  h.take_output();
  ASSERT_TRUE(h.feed(encoded(Connack{false, ConnectReturnCode::accepted})));
  h.events();
  auto out = h.take_output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(get<Publish>(packet_of(out[0])).packet_id, *id);
  EXPECT_TRUE(get<Publish>(packet_of(out[0])).dup);
}

TEST(MqttSession, RetransmissionWaitsForTxRoomAndKeepsOrder) {
  // tx fits about one 60-byte publish at a time: the rest waits in its slot and follows on consume_output().
  Harness<80, 512, 4, 80> h;
  h.connect(60, false);
  const Bytes payload(50, 'p');
  std::vector<std::uint16_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto id = h.session.publish("t", payload, QoS::at_least_once, false, h.now);
    ASSERT_TRUE(id);
    ids.push_back(*id);
  }
  std::vector<std::uint16_t> sent;
  for (int i = 0; i < 5 && sent.size() < 3; ++i)
    for (const auto& b : h.take_output()) sent.push_back(get<Publish>(packet_of(b)).packet_id);
  EXPECT_EQ(sent, ids);
}

TEST(MqttSession, PacketIdsWrapAroundSkippingInFlightIdsAndNeverZero) {
  Harness<512, 512, 4, 64> h;
  h.connect();
  auto held = h.session.publish("t", test::view("held"), QoS::at_least_once, false, h.now);
  ASSERT_TRUE(held);
  EXPECT_EQ(*held, 1);
  h.take_output();
  std::uint16_t last = *held;
  for (int i = 0; i < 65534; ++i) {  // ids 2..65535, each acknowledged at once
    auto id = h.session.publish("t", test::view("x"), QoS::at_least_once, false, h.now);
    ASSERT_TRUE(id);
    ASSERT_EQ(*id, static_cast<std::uint16_t>(last + 1));
    last = *id;
    h.take_output();
    ASSERT_TRUE(h.feed(encoded(Puback{*id})));
    ASSERT_EQ(h.events().size(), 1u);
  }
  EXPECT_EQ(last, 65535);
  auto wrapped = h.session.publish("t", test::view("x"), QoS::at_least_once, false, h.now);
  ASSERT_TRUE(wrapped);
  EXPECT_EQ(*wrapped, 2);  // 0 is never used and 1 is still in flight
}

TEST(MqttSession, UnknownPubackIsIgnored) {
  Harness h;
  h.connect();
  ASSERT_TRUE(h.feed(encoded(Puback{77})));
  EXPECT_TRUE(h.events().empty());
  EXPECT_TRUE(h.session.connected());
}

TEST(MqttSession, Qos2IsRefusedBothWays) {
  Harness h;
  h.connect();
  auto p = h.session.publish("t", {}, QoS::exactly_once, false, h.now);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::invalid_argument);
  const std::array subs{Subscription{"t", QoS::exactly_once}};
  EXPECT_EQ(h.session.subscribe(subs).error().code, Errc::invalid_argument);
  ASSERT_TRUE(h.feed(encoded(Publish{"t", {}, QoS::exactly_once, false, false, 3})));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(get_event<ProtocolError>(ev[0]).error.code, Errc::protocol_violation);
}

// ------------------------------------------------------------------ incoming

TEST(MqttSession, IncomingQos1PubacksGoOutInArrivalOrderWhenEventsAreTaken) {
  Harness h;
  h.connect();
  const Bytes wire = test::concat({encoded(Publish{"c2d/a", test::view("A"), QoS::at_least_once, false, false, 7}),
                                   encoded(Publish{"c2d/b", test::view("B"), QoS::at_most_once, false, false, 0}),
                                   encoded(Publish{"c2d/c", test::view("C"), QoS::at_least_once, false, true, 5}),
                                   encoded(Publish{"c2d/d", test::view("D"), QoS::at_least_once, true, false, 9})});
  auto n = h.feed(wire);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, wire.size());
  EXPECT_TRUE(h.session.pending_output().empty());  // nothing acknowledged before the app saw it

  auto e1 = h.session.poll_event();
  ASSERT_TRUE(e1);
  auto m1 = get_event<MessageReceived>(*e1);
  EXPECT_EQ(m1.topic, "c2d/a");
  EXPECT_EQ(test::as_text(m1.payload), "A");
  EXPECT_EQ(m1.packet_id, 7);
  auto after_first = h.take_output();
  ASSERT_EQ(after_first.size(), 1u);
  EXPECT_EQ(after_first[0], bytes({0x40, 2, 0, 7}));

  std::vector<MessageReceived> rest;
  while (auto e = h.session.poll_event()) rest.push_back(get_event<MessageReceived>(*e));
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].qos, QoS::at_most_once);
  EXPECT_TRUE(rest[1].dup);
  EXPECT_TRUE(rest[2].retain);
  auto acks = h.take_output();
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0], bytes({0x40, 2, 0, 5}));
  EXPECT_EQ(acks[1], bytes({0x40, 2, 0, 9}));
}

TEST(MqttSession, PubackBackpressureHoldsMessagesUntilOutputDrains) {
  Harness<64, 1024, 2, 32> h;  // tx holds 16 PUBACKs, plus 16 in the ack queue
  h.connect();
  Bytes wire;
  for (std::uint16_t id = 1; id <= 40; ++id) {
    const Bytes p = encoded(Publish{"t", {}, QoS::at_least_once, false, false, id});
    wire.insert(wire.end(), p.begin(), p.end());
  }
  ASSERT_EQ(*h.feed(wire), wire.size());
  std::vector<std::uint16_t> delivered;
  while (auto e = h.session.poll_event()) delivered.push_back(get_event<MessageReceived>(*e).packet_id);
  EXPECT_EQ(delivered.size(), 32u);
  std::vector<std::uint16_t> acked;
  for (int round = 0; round < 10 && acked.size() < 40; ++round) {
    for (const auto& b : h.take_output()) acked.push_back(get<Puback>(packet_of(b)).packet_id);
    while (auto e = h.session.poll_event()) delivered.push_back(get_event<MessageReceived>(*e).packet_id);
  }
  ASSERT_EQ(delivered.size(), 40u);
  ASSERT_EQ(acked.size(), 40u);
  for (std::uint16_t i = 0; i < 40; ++i) {
    EXPECT_EQ(delivered[i], i + 1);
    EXPECT_EQ(acked[i], i + 1);
  }
}

TEST(MqttSession, PartialPacketsFedOneByteAtATime) {
  Harness h;
  ConnectOptions o;
  o.client_id = "dev";
  ASSERT_TRUE(h.session.connect(o, h.now));
  h.take_output();
  const Bytes wire = test::concat({encoded(Connack{false, ConnectReturnCode::accepted}),
                                   encoded(Publish{"x/y", Bytes(200, 'q'), QoS::at_least_once, false, false, 300}),
                                   encoded(Pingresp{}),
                                   encoded(Publish{"z", test::view("tail"), QoS::at_most_once, false, false, 0})});
  std::vector<Event> events;
  for (std::uint8_t b : wire) {
    auto n = h.session.receive(std::span<const std::uint8_t>(&b, 1), h.now);
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, 1u);
    while (auto e = h.session.poll_event()) {
      if (auto* m = std::get_if<MessageReceived>(&*e)) {  // check views while they are valid
        if (m->packet_id == 300) {
          EXPECT_EQ(m->payload.size(), 200u);
        }
        if (m->topic == "z") {
          EXPECT_EQ(test::as_text(m->payload), "tail");
        }
      }
      events.push_back(*e);
    }
  }
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<Connected>(events[0]));
  EXPECT_EQ(get_event<MessageReceived>(events[1]).packet_id, 300);
  EXPECT_EQ(get_event<MessageReceived>(events[2]).qos, QoS::at_most_once);
  auto out = h.take_output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], bytes({0x40, 2, 0x01, 0x2C}));
}

TEST(MqttSession, FullRxBufferConsumesPartiallyUntilEventsAreTaken) {
  Harness<512, 64, 2, 32> h;
  h.connect();
  Bytes wire;
  for (int i = 0; i < 3; ++i) {
    const Bytes p = encoded(
        Publish{"t", Bytes(37, static_cast<std::uint8_t>('a' + i)), QoS::at_most_once, false, false, 0});
    ASSERT_EQ(p.size(), 42u);
    wire.insert(wire.end(), p.begin(), p.end());
  }
  std::span<const std::uint8_t> rest(wire);
  std::string seen;
  for (int guard = 0; guard < 20 && !rest.empty(); ++guard) {
    auto n = h.session.receive(rest, h.now);
    ASSERT_TRUE(n);
    ASSERT_LE(*n, rest.size());
    rest = rest.subspan(*n);
    while (auto e = h.session.poll_event())
      seen.push_back(static_cast<char>(get_event<MessageReceived>(*e).payload[0]));
  }
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(seen, "abc");
}

TEST(MqttSession, IncomingNonPublishLargerThanRxIsTooLarge) {
  Harness<512, 64, 2, 32> h;
  h.connect();
  const std::uint16_t id = *h.session.subscribe(std::vector<Subscription>(1, Subscription{"t", QoS::at_least_once}));
  const Bytes codes(100, 0x01);
  const Bytes big = encoded(Suback{id, codes});
  auto r = h.session.receive(std::span<const std::uint8_t>(big.data(), 3), h.now);  // the header is enough
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::too_large);
  EXPECT_EQ(h.session.state(), SessionState::failed);
}

// A C2D message larger than the device's buffer must neither kill the connection (the hub would redeliver it on
// every reconnect, forever) nor be stored: it is skipped as it streams in and acknowledged in arrival order.
TEST(MqttSession, OversizedQos1PublishIsSkippedAndAcknowledgedInOrder) {
  Harness<512, 64, 2, 32> h;
  h.connect();
  const Bytes before = encoded(Publish{"t", Bytes(3, 'a'), QoS::at_least_once, false, false, 7});
  const Bytes big = encoded(Publish{"a/long/topic", Bytes(1000, 'x'), QoS::at_least_once, false, true, 8});
  const Bytes after = encoded(Publish{"t", Bytes(3, 'b'), QoS::at_least_once, false, false, 9});
  const Bytes wire = test::concat({before, big, after});
  std::vector<Event> seen;
  std::span<const std::uint8_t> rest(wire);
  for (int guard = 0; !rest.empty() && guard < 1000; ++guard) {
    auto n = h.session.receive(rest.first(std::min<std::size_t>(rest.size(), 37)), h.now);  // odd chunks
    ASSERT_TRUE(n) << n.error().what;
    rest = rest.subspan(*n);
    for (auto& e : h.events()) seen.push_back(e);
  }
  ASSERT_TRUE(rest.empty());
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(get_event<MessageReceived>(seen[0]).packet_id, 7);
  const auto dropped = get_event<MessageDropped>(seen[1]);
  EXPECT_EQ(dropped.packet_id, 8);
  EXPECT_EQ(dropped.size, big.size());
  EXPECT_EQ(get_event<MessageReceived>(seen[2]).packet_id, 9);
  auto out = h.take_output();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(get<Puback>(packet_of(out[0])).packet_id, 7);
  EXPECT_EQ(get<Puback>(packet_of(out[1])).packet_id, 8);
  EXPECT_EQ(get<Puback>(packet_of(out[2])).packet_id, 9);
  EXPECT_TRUE(h.session.connected());
}

TEST(MqttSession, OversizedQos0PublishIsSkippedWithoutAnAck) {
  Harness<512, 64, 2, 32> h;
  h.connect();
  const Bytes big = encoded(Publish{"t", Bytes(500, 'x'), QoS::at_most_once, false, false, 0});
  auto n = h.feed(big);  // the first 64 bytes land in rx, are recognised, and leave it
  ASSERT_TRUE(n);
  auto m = h.session.receive(std::span<const std::uint8_t>(big).subspan(*n), h.now);
  ASSERT_TRUE(m);
  EXPECT_EQ(*n + *m, big.size());
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(get_event<MessageDropped>(ev[0]).qos, QoS::at_most_once);
  EXPECT_TRUE(h.take_output().empty());
}

TEST(MqttSession, OversizedPublishWhoseTopicRunsPastItsEndIsMalformed) {
  Harness<512, 64, 2, 32> h;
  h.connect();
  // PUBLISH QoS 1, remaining length 100, topic length 0xFFFF: the packet id would lie beyond the packet.
  Bytes bad{0x32, 100, 0xFF, 0xFF};
  bad.resize(102, 'x');
  auto n = h.feed(bad);
  if (n && *n < bad.size()) n = h.session.receive(std::span<const std::uint8_t>(bad).subspan(*n), h.now);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, Errc::malformed);
  EXPECT_EQ(h.session.state(), SessionState::failed);
}

TEST(MqttSession, MalformedInputFailsTheSessionAndKeepsFailing) {
  Harness h;
  h.connect();
  auto r = h.feed(bytes({0x40, 3, 0, 1, 0}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::malformed);
  EXPECT_EQ(h.session.state(), SessionState::failed);
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(get_event<ProtocolError>(ev[0]).error.code, Errc::malformed);
  auto again = h.feed(encoded(Pingresp{}));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::malformed);
  EXPECT_EQ(h.session.next_deadline_ms(), Session::no_deadline);
}

TEST(MqttSession, ServerOnlyPacketsFromTheBrokerAreProtocolErrors) {
  for (const Bytes& wire : {encoded(Pingreq{}), encoded(Disconnect{}), encoded(Pubrel{3}),
                            encoded(Connack{false, ConnectReturnCode::accepted})}) {
    Harness h;
    h.connect();
    ASSERT_TRUE(h.feed(wire));
    auto ev = h.events();
    ASSERT_EQ(ev.size(), 1u) << "first byte " << int(wire[0]);
    EXPECT_EQ(get_event<ProtocolError>(ev[0]).error.code, Errc::protocol_violation);
  }
}

// ------------------------------------------------------------------ subscribe

TEST(MqttSession, SubscribeReportsGrantedCodesIncludingFailure) {
  Harness h;
  h.connect();
  const std::array subs{Subscription{"devices/dev/messages/devicebound/#", QoS::at_least_once},
                        Subscription{"forbidden/#", QoS::at_most_once}};
  auto id = h.session.subscribe(subs);
  ASSERT_TRUE(id);
  auto out = h.take_output();
  ASSERT_EQ(out.size(), 1u);
  auto sv = get<SubscribeView>(packet_of(out[0]));
  EXPECT_EQ(sv.packet_id, *id);
  EXPECT_EQ(sv.count, 2u);
  const Bytes codes = bytes({1, 0x80});
  ASSERT_TRUE(h.feed(encoded(Suback{*id, codes})));
  auto e = h.session.poll_event();
  ASSERT_TRUE(e);
  auto s = get_event<Subscribed>(*e);
  EXPECT_EQ(s.packet_id, *id);
  EXPECT_EQ(Bytes(s.granted.begin(), s.granted.end()), codes);
}

TEST(MqttSession, UnsubscribeIsConfirmed) {
  Harness h;
  h.connect();
  const std::array<std::string_view, 1> filters{"a/#"};
  auto id = h.session.unsubscribe(filters);
  ASSERT_TRUE(id);
  EXPECT_EQ(get<UnsubscribeView>(packet_of(h.take_output().at(0))).packet_id, *id);
  ASSERT_TRUE(h.feed(encoded(Unsuback{*id})));
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(get_event<Unsubscribed>(ev[0]).packet_id, *id);
}

TEST(MqttSession, SubackForUnknownIdOrWrongCountIsAProtocolError) {
  {
    Harness h;
    h.connect();
    const Bytes codes = bytes({1});
    ASSERT_TRUE(h.feed(encoded(Suback{99, codes})));
    auto ev = h.events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<ProtocolError>(ev[0]));
  }
  {
    Harness h;
    h.connect();
    const std::array subs{Subscription{"a", QoS::at_most_once}};
    auto id = h.session.subscribe(subs);
    ASSERT_TRUE(id);
    const Bytes codes = bytes({0, 0});
    ASSERT_TRUE(h.feed(encoded(Suback{*id, codes})));
    auto ev = h.events();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<ProtocolError>(ev[0]));
  }
}

TEST(MqttSession, SubscribeNeedsAConnection) {
  Harness h;
  const std::array subs{Subscription{"a", QoS::at_most_once}};
  EXPECT_EQ(h.session.subscribe(subs).error().code, Errc::not_connected);
}

TEST(MqttSession, SubscribeIdsDoNotCollideWithInFlightPublishes) {
  Harness h;
  h.connect();
  auto pub = h.session.publish("t", {}, QoS::at_least_once, false, h.now);
  const std::array subs{Subscription{"a", QoS::at_most_once}};
  auto sub = h.session.subscribe(subs);
  ASSERT_TRUE(pub && sub);
  EXPECT_NE(*pub, *sub);
}

// ------------------------------------------------------------------ keep-alive

TEST(MqttSession, KeepAliveSendsPingreqAfterIdlePeriodAndPingrespClearsIt) {
  Harness h(SessionOptions{30'000, 4'000});
  h.now = 0;
  h.connect(10);
  EXPECT_EQ(h.session.next_deadline_ms(), 10'000u);
  h.session.on_time(9'999);
  EXPECT_TRUE(h.session.pending_output().empty());
  h.session.on_time(10'000);
  auto out = h.take_output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], bytes({0xC0, 0}));
  EXPECT_EQ(h.session.next_deadline_ms(), 14'000u);  // PINGRESP due
  h.now = 12'000;
  ASSERT_TRUE(h.feed(encoded(Pingresp{})));
  EXPECT_TRUE(h.events().empty());
  EXPECT_EQ(h.session.next_deadline_ms(), 20'000u);  // counts from the PINGREQ
  // Sending something postpones the next PINGREQ.
  ASSERT_TRUE(h.session.publish("t", {}, QoS::at_most_once, false, 15'000));
  h.take_output();
  EXPECT_EQ(h.session.next_deadline_ms(), 25'000u);
  h.session.on_time(20'000);
  EXPECT_TRUE(h.session.pending_output().empty());
  EXPECT_TRUE(h.session.connected());
}

TEST(MqttSession, LatePingrespRaisesPingTimedOut) {
  Harness h(SessionOptions{30'000, 4'000});
  h.now = 0;
  h.connect(10);
  h.session.on_time(10'000);
  h.take_output();
  h.session.on_time(13'999);
  EXPECT_TRUE(h.events().empty());
  h.session.on_time(14'000);
  auto ev = h.events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<PingTimedOut>(ev[0]));
  EXPECT_EQ(h.session.state(), SessionState::failed);
  EXPECT_EQ(h.session.last_error()->code, Errc::timeout);
  EXPECT_EQ(h.session.next_deadline_ms(), Session::no_deadline);
}

TEST(MqttSession, KeepAliveZeroDisablesPings) {
  Harness h;
  h.connect(0);
  EXPECT_EQ(h.session.next_deadline_ms(), Session::no_deadline);
  h.session.on_time(h.now + 10'000'000);
  EXPECT_TRUE(h.session.pending_output().empty());
}

TEST(MqttSession, PingreqWaitsForTxRoomWhenTheBufferIsFull) {
  Harness<40, 512, 2, 32> h;
  h.now = 0;
  h.connect(1);
  const Bytes payload(35, 'x');
  ASSERT_TRUE(h.session.publish("t", payload, QoS::at_most_once, false, 0));  // 40 bytes: tx is full
  h.session.on_time(1'000);
  EXPECT_EQ(h.session.pending_output().size(), 40u);
  auto out = h.take_output();  // writing frees room; the wanted PINGREQ follows
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(h.take_output().at(0), bytes({0xC0, 0}));
}

// ------------------------------------------------------------------ disconnect and reset

TEST(MqttSession, DisconnectQueuesDisconnectAndStopsPublishing) {
  Harness h;
  h.connect();
  h.session.disconnect();
  EXPECT_EQ(h.session.state(), SessionState::disconnecting);
  auto out = h.take_output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], bytes({0xE0, 0}));
  EXPECT_EQ(h.session.publish("t", {}, QoS::at_least_once, false, h.now).error().code, Errc::not_connected);
  EXPECT_EQ(h.session.next_deadline_ms(), Session::no_deadline);
}

TEST(MqttSession, ResetAfterFailureAllowsANewConnection) {
  Harness h;
  h.connect();
  ASSERT_FALSE(h.feed(bytes({0xF0, 0})));
  h.session.on_transport_reset();
  EXPECT_FALSE(h.session.last_error());
  h.connect();
  EXPECT_TRUE(h.session.connected());
}

}  // namespace
}  // namespace picohub::mqtt
