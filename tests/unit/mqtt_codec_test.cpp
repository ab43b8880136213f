// MQTT 3.1.1 codec: byte-exact encodings (hand-computed from the spec's packet layouts), round trips for every
// packet type, and malformed input.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "mqtt/codec.hpp"
#include "mqtt_test_util.hpp"

namespace picohub::mqtt {
namespace {

using test::Bytes;
using test::bytes;
using test::encoded;

template <class T>
const T& as(const Decoded& d) {
  const T* p = std::get_if<T>(&d.packet);
  EXPECT_NE(p, nullptr) << "decoded packet has variant index " << d.packet.index();
  static const T empty{};
  return p ? *p : empty;
}

// ------------------------------------------------------------------ byte-exact encodings

TEST(MqttCodecEncode, ConnectWithUsernamePasswordAndWillMatchesSpecLayout) {
  const Bytes will_payload = test::text("bye");
  const Bytes password = test::text("p");
  Connect c;
  c.client_id = "dev1";
  c.clean_session = true;
  c.keep_alive_s = 60;
  c.username = "u";
  c.password = std::span<const std::uint8_t>(password);
  c.will = Will{"w/t", will_payload, QoS::at_least_once, true};
  // flags: user 0x80 | password 0x40 | will retain 0x20 | will QoS 1 (0x08) | will 0x04 | clean 0x02 = 0xEE
  const Bytes expected = bytes({0x10, 32,                                    // CONNECT, remaining length 32
                                0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xEE,  // protocol name, level 4, flags
                                0x00, 0x3C,                                  // keep-alive 60
                                0x00, 0x04, 'd', 'e', 'v', '1',              // client id
                                0x00, 0x03, 'w', '/', 't',                   // will topic
                                0x00, 0x03, 'b', 'y', 'e',                   // will payload
                                0x00, 0x01, 'u',                             // user name
                                0x00, 0x01, 'p'});                           // password
  EXPECT_EQ(encoded(c), expected);
  EXPECT_EQ(*encoded_size(c), expected.size());
}

TEST(MqttCodecEncode, MinimalConnectPersistentSessionNoKeepAlive) {
  Connect c;
  c.client_id = "a";
  c.clean_session = false;
  c.keep_alive_s = 0;
  EXPECT_EQ(encoded(c), bytes({0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x00, 0, 0, 0, 1, 'a'}));
}

TEST(MqttCodecEncode, PublishQos1WithDupAndRetain) {
  Publish p{"a/b", test::view("hi"), QoS::at_least_once, true, true, 0x1234};
  EXPECT_EQ(encoded(p), bytes({0x3B, 9, 0, 3, 'a', '/', 'b', 0x12, 0x34, 'h', 'i'}));
}

TEST(MqttCodecEncode, PublishQos0HasNoPacketId) {
  Publish p{"t", test::view("x"), QoS::at_most_once, false, false, 0};
  EXPECT_EQ(encoded(p), bytes({0x30, 4, 0, 1, 't', 'x'}));
}

TEST(MqttCodecEncode, SubscribeWithSeveralFilters) {
  const std::array subs{Subscription{"a/b", QoS::at_least_once}, Subscription{"c/#", QoS::at_most_once}};
  EXPECT_EQ(encoded(Subscribe{10, subs}), bytes({0x82, 14, 0, 10, 0, 3, 'a', '/', 'b', 1, 0, 3, 'c', '/', '#', 0}));
}

TEST(MqttCodecEncode, UnsubscribeWithTwoFilters) {
  const std::array<std::string_view, 2> filters{"a/b", "+"};
  EXPECT_EQ(encoded(Unsubscribe{11, filters}), bytes({0xA2, 10, 0, 11, 0, 3, 'a', '/', 'b', 0, 1, '+'}));
}

TEST(MqttCodecEncode, FixedSizePackets) {
  EXPECT_EQ(encoded(Puback{0x1234}), bytes({0x40, 2, 0x12, 0x34}));
  EXPECT_EQ(encoded(Pubrec{1}), bytes({0x50, 2, 0, 1}));
  EXPECT_EQ(encoded(Pubrel{1}), bytes({0x62, 2, 0, 1}));
  EXPECT_EQ(encoded(Pubcomp{1}), bytes({0x70, 2, 0, 1}));
  EXPECT_EQ(encoded(Unsuback{11}), bytes({0xB0, 2, 0, 11}));
  EXPECT_EQ(encoded(Pingreq{}), bytes({0xC0, 0}));
  EXPECT_EQ(encoded(Pingresp{}), bytes({0xD0, 0}));
  EXPECT_EQ(encoded(Disconnect{}), bytes({0xE0, 0}));
  EXPECT_EQ(encoded(Connack{true, ConnectReturnCode::accepted}), bytes({0x20, 2, 1, 0}));
  EXPECT_EQ(encoded(Connack{false, ConnectReturnCode::not_authorized}), bytes({0x20, 2, 0, 5}));
  const Bytes codes = bytes({1, 0x80});
  EXPECT_EQ(encoded(Suback{10, codes}), bytes({0x90, 4, 0, 10, 1, 0x80}));
}

// Remaining-length boundaries of [MQTT-2.2.3]: 127 | 128, 16383 | 16384, 2097151 | 2097152.
class RemainingLengthBoundary : public ::testing::TestWithParam<std::pair<std::uint32_t, Bytes>> {};

TEST_P(RemainingLengthBoundary, PublishHeaderUsesMinimalVariableLength) {
  const auto& [remaining, header] = GetParam();
  const Bytes payload(remaining - 3, 0xAB);  // topic "t" takes 3 bytes
  Publish p{"t", payload, QoS::at_most_once, false, false, 0};
  const Bytes out = encoded(p, remaining + 8);
  ASSERT_EQ(out.size(), 1 + header.size() + remaining);
  EXPECT_EQ(out[0], 0x30);
  EXPECT_EQ(Bytes(out.begin() + 1, out.begin() + 1 + static_cast<std::ptrdiff_t>(header.size())), header);
  EXPECT_EQ(remaining_length_size(remaining), header.size());

  auto d = decode(out);
  ASSERT_TRUE(d) << d.error().what;
  EXPECT_EQ(d->size, out.size());
  EXPECT_EQ(as<Publish>(*d).payload.size(), payload.size());
}

INSTANTIATE_TEST_SUITE_P(MqttCodec, RemainingLengthBoundary,
                         ::testing::Values(std::pair{127u, bytes({0x7F})}, std::pair{128u, bytes({0x80, 0x01})},
                                           std::pair{16383u, bytes({0xFF, 0x7F})},
                                           std::pair{16384u, bytes({0x80, 0x80, 0x01})},
                                           std::pair{2097151u, bytes({0xFF, 0xFF, 0x7F})},
                                           std::pair{2097152u, bytes({0x80, 0x80, 0x80, 0x01})}));

TEST(MqttCodecHeader, LargestRemainingLengthIsFourBytes) {
  auto h = decode_fixed_header(bytes({0x30, 0xFF, 0xFF, 0xFF, 0x7F}));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->remaining_length, max_remaining_length);
  EXPECT_EQ(h->header_size, 5u);
  EXPECT_EQ(remaining_length_size(max_remaining_length), 4u);
  EXPECT_EQ(remaining_length_size(max_remaining_length + 1), 0u);
}

// ------------------------------------------------------------------ round trips

TEST(MqttCodecRoundTrip, Connect) {
  const Bytes pw = test::text("secret");
  const Bytes wp = test::text("gone");
  Connect c;
  c.client_id = "device-1";
  c.clean_session = false;
  c.keep_alive_s = 1177;
  c.username = "hub.example/device-1/?api-version=2021-04-12";
  c.password = std::span<const std::uint8_t>(pw);
  c.will = Will{"devices/device-1/messages/events/", wp, QoS::at_most_once, false};
  const Bytes b = encoded(c);
  auto d = decode(b);
  ASSERT_TRUE(d) << d.error().what;
  const auto& r = as<Connect>(*d);
  EXPECT_EQ(r.client_id, "device-1");
  EXPECT_FALSE(r.clean_session);
  EXPECT_EQ(r.keep_alive_s, 1177);
  EXPECT_EQ(r.protocol_level, 4);
  ASSERT_TRUE(r.username);
  EXPECT_EQ(*r.username, *c.username);
  ASSERT_TRUE(r.password);
  EXPECT_EQ(test::as_text(*r.password), "secret");
  ASSERT_TRUE(r.will);
  EXPECT_EQ(r.will->topic, c.will->topic);
  EXPECT_EQ(test::as_text(r.will->payload), "gone");
  EXPECT_EQ(r.will->qos, QoS::at_most_once);
  EXPECT_FALSE(r.will->retain);
}

TEST(MqttCodecRoundTrip, ConnectWithoutOptionalFields) {
  Connect c;
  c.client_id = "";
  const Bytes b = encoded(c);
  auto d = decode(b);
  ASSERT_TRUE(d);
  const auto& r = as<Connect>(*d);
  EXPECT_TRUE(r.client_id.empty());
  EXPECT_TRUE(r.clean_session);
  EXPECT_FALSE(r.username);
  EXPECT_FALSE(r.password);
  EXPECT_FALSE(r.will);
}

TEST(MqttCodecRoundTrip, ConnackBothWays) {
  for (auto code : {ConnectReturnCode::accepted, ConnectReturnCode::unacceptable_protocol_version,
                    ConnectReturnCode::identifier_rejected, ConnectReturnCode::server_unavailable,
                    ConnectReturnCode::bad_username_or_password, ConnectReturnCode::not_authorized}) {
    const bool sp = code == ConnectReturnCode::accepted;
    auto d = decode(encoded(Connack{sp, code}));
    ASSERT_TRUE(d);
    EXPECT_EQ(as<Connack>(*d).return_code, code);
    EXPECT_EQ(as<Connack>(*d).session_present, sp);
  }
}

TEST(MqttCodecRoundTrip, PublishAllQos) {
  for (auto qos : {QoS::at_most_once, QoS::at_least_once, QoS::exactly_once}) {
    const std::uint16_t id = qos == QoS::at_most_once ? 0 : 65535;
    Publish p{"devices/d/messages/devicebound/%24.mid=1",
              test::view("{\"t\":21.5}"),
              qos,
              true,
              qos != QoS::at_most_once,
              id};
    const Bytes b = encoded(p);
    auto d = decode(b);
    ASSERT_TRUE(d);
    const auto& r = as<Publish>(*d);
    EXPECT_EQ(r.topic, p.topic);
    EXPECT_EQ(test::as_text(r.payload), "{\"t\":21.5}");
    EXPECT_EQ(r.qos, qos);
    EXPECT_TRUE(r.retain);
    EXPECT_EQ(r.dup, qos != QoS::at_most_once);
    EXPECT_EQ(r.packet_id, id);
    EXPECT_EQ(d->size, b.size());
  }
}

TEST(MqttCodecRoundTrip, PublishWithEmptyPayload) {
  const Bytes wire = encoded(Publish{"t", {}, QoS::at_least_once, false, false, 7});
  auto d = decode(wire);
  ASSERT_TRUE(d);
  EXPECT_TRUE(as<Publish>(*d).payload.empty());
  EXPECT_EQ(as<Publish>(*d).packet_id, 7);
}

TEST(MqttCodecRoundTrip, AcksAndEmptyPackets) {
  EXPECT_EQ(as<Puback>(*decode(encoded(Puback{9}))).packet_id, 9);
  EXPECT_EQ(as<Pubrec>(*decode(encoded(Pubrec{10}))).packet_id, 10);
  EXPECT_EQ(as<Pubrel>(*decode(encoded(Pubrel{11}))).packet_id, 11);
  EXPECT_EQ(as<Pubcomp>(*decode(encoded(Pubcomp{12}))).packet_id, 12);
  EXPECT_EQ(as<Unsuback>(*decode(encoded(Unsuback{13}))).packet_id, 13);
  EXPECT_EQ(type_of(decode(encoded(Pingreq{}))->packet), PacketType::pingreq);
  EXPECT_EQ(type_of(decode(encoded(Pingresp{}))->packet), PacketType::pingresp);
  EXPECT_EQ(type_of(decode(encoded(Disconnect{}))->packet), PacketType::disconnect);
}

TEST(MqttCodecRoundTrip, SubscribeIteratesFiltersInOrder) {
  const std::array subs{Subscription{"devices/d/messages/devicebound/#", QoS::at_least_once},
                        Subscription{"$iothub/methods/POST/#", QoS::at_most_once},
                        Subscription{"+/x/+", QoS::exactly_once}};
  const Bytes b = encoded(Subscribe{42, subs});
  auto d = decode(b);
  ASSERT_TRUE(d);
  const auto& v = as<SubscribeView>(*d);
  EXPECT_EQ(v.packet_id, 42);
  EXPECT_EQ(v.count, 3u);
  std::vector<Subscription> got(v.begin(), v.end());
  ASSERT_EQ(got.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].filter, subs[i].filter);
    EXPECT_EQ(got[i].qos, subs[i].qos);
  }
}

TEST(MqttCodecRoundTrip, UnsubscribeIteratesFilters) {
  const std::array<std::string_view, 2> filters{"a/+/c", "#"};
  const Bytes wire = encoded(Unsubscribe{43, filters});
  auto d = decode(wire);
  ASSERT_TRUE(d);
  const auto& v = as<UnsubscribeView>(*d);
  EXPECT_EQ(v.packet_id, 43);
  std::vector<std::string_view> got(v.begin(), v.end());
  EXPECT_EQ(got, (std::vector<std::string_view>{"a/+/c", "#"}));
}

TEST(MqttCodecRoundTrip, SubackKeepsFailureCode) {
  const Bytes codes = bytes({0, 1, 2, 0x80});
  const Bytes wire = encoded(Suback{5, codes});
  auto d = decode(wire);
  ASSERT_TRUE(d);
  const auto& s = as<Suback>(*d);
  EXPECT_EQ(s.packet_id, 5);
  EXPECT_EQ(Bytes(s.return_codes.begin(), s.return_codes.end()), codes);
}

TEST(MqttCodecDecode, TwoPacketsBackToBackDecodeOneAtATime) {
  const Bytes b = test::concat({encoded(Puback{1}), encoded(Pingresp{})});
  auto first = decode(b);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->size, 4u);
  auto second = decode(std::span<const std::uint8_t>(b).subspan(first->size));
  ASSERT_TRUE(second);
  EXPECT_EQ(type_of(second->packet), PacketType::pingresp);
}

TEST(MqttCodecDecode, NonMinimalRemainingLengthIsAccepted) {
  auto d = decode(bytes({0xD0, 0x80, 0x00}));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->size, 3u);
}

// ------------------------------------------------------------------ malformed and partial input

std::vector<Bytes> sample_packets() {
  const Bytes pw = test::text("pw");
  Connect c;
  c.client_id = "dev";
  c.username = "user";
  c.password = std::span<const std::uint8_t>(pw);
  c.will = Will{"w", pw, QoS::at_least_once, false};
  const std::array subs{Subscription{"a/#", QoS::at_least_once}, Subscription{"b", QoS::at_most_once}};
  const std::array<std::string_view, 1> filters{"a/#"};
  const Bytes codes = bytes({1, 0x80});
  const Bytes big(300, 'z');  // two-byte remaining length
  return {encoded(c),
          encoded(Connack{false, ConnectReturnCode::accepted}),
          encoded(Publish{"a/b", test::view("payload"), QoS::at_least_once, false, false, 3}),
          encoded(Publish{"a/b", big, QoS::at_most_once, false, false, 0}),
          encoded(Puback{3}),
          encoded(Subscribe{4, subs}),
          encoded(Suback{4, codes}),
          encoded(Unsubscribe{5, filters}),
          encoded(Unsuback{5}),
          encoded(Pingreq{}),
          encoded(Pingresp{}),
          encoded(Disconnect{})};
}

TEST(MqttCodecMalformed, TruncatedAtEveryOffsetSaysTruncatedAndHowManyBytesAreMissing) {
  for (const Bytes& packet : sample_packets()) {
    ASSERT_FALSE(packet.empty());
    ASSERT_TRUE(decode(packet)) << "sample packet type " << (packet[0] >> 4);
    for (std::size_t len = 0; len < packet.size(); ++len) {
      const std::span<const std::uint8_t> prefix(packet.data(), len);
      auto d = decode(prefix);
      ASSERT_FALSE(d) << "type " << (packet[0] >> 4) << " prefix " << len;
      EXPECT_EQ(d.error().code, Errc::truncated) << "type " << (packet[0] >> 4) << " prefix " << len;
      const std::size_t missing = missing_bytes(prefix);
      EXPECT_GE(missing, 1u);
      EXPECT_LE(len + missing, packet.size());
    }
    EXPECT_EQ(missing_bytes(packet), 0u);
  }
}

TEST(MqttCodecMalformed, MissingBytesIsExactOnceTheHeaderIsKnown) {
  const Bytes p = encoded(Publish{"a/b", test::view("payload"), QoS::at_least_once, false, false, 3});
  EXPECT_EQ(missing_bytes(std::span<const std::uint8_t>(p.data(), 2)), p.size() - 2);
}

TEST(MqttCodecMalformed, FiveByteRemainingLength) {
  auto d = decode(bytes({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::malformed);
  EXPECT_EQ(missing_bytes(bytes({0x30, 0xFF, 0xFF, 0xFF, 0xFF})), 0u);  // nothing more will help
}

TEST(MqttCodecMalformed, ReservedPacketTypes) {
  for (int first : {0x00, 0xF0}) {
    auto d = decode(bytes({first, 0}));
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, Errc::malformed);
  }
}

void expect_malformed(const Bytes& b, const char* why) {
  auto d = decode(b);
  ASSERT_FALSE(d) << why;
  EXPECT_EQ(d.error().code, Errc::malformed) << why << ": got " << d.error().what;
}

TEST(MqttCodecMalformed, BadFixedHeaderFlags) {
  expect_malformed(bytes({0x41, 2, 0, 1}), "PUBACK with flags 1");
  expect_malformed(bytes({0x80, 6, 0, 1, 0, 1, 'a', 0}), "SUBSCRIBE with flags 0");
  expect_malformed(bytes({0xA0, 5, 0, 1, 0, 1, 'a'}), "UNSUBSCRIBE with flags 0");
  expect_malformed(bytes({0x60, 2, 0, 1}), "PUBREL with flags 0");
  expect_malformed(bytes({0xC1, 0}), "PINGREQ with flags 1");
  expect_malformed(bytes({0x36, 5, 0, 1, 't', 0, 1}), "PUBLISH QoS 3");
  expect_malformed(bytes({0x38, 3, 0, 1, 't'}), "QoS 0 PUBLISH with DUP");
}

TEST(MqttCodecMalformed, PublishTopicRules) {
  expect_malformed(bytes({0x30, 4, 0, 2, 'a', '+'}), "wildcard + in PUBLISH topic");
  expect_malformed(bytes({0x30, 3, 0, 1, '#'}), "wildcard # in PUBLISH topic");
  expect_malformed(bytes({0x30, 2, 0, 0}), "empty PUBLISH topic");
  expect_malformed(bytes({0x30, 4, 0, 5, 'a', 'b'}), "topic length past the packet");
  expect_malformed(bytes({0x30, 1, 0}), "topic length cut by the packet end");
  expect_malformed(bytes({0x30, 4, 0, 2, 0xC0, 0x80}), "overlong UTF-8 in topic");
  expect_malformed(bytes({0x30, 5, 0, 3, 0xED, 0xA0, 0x80}), "UTF-16 surrogate in topic");
  expect_malformed(bytes({0x30, 4, 0, 2, 'a', 0x00}), "U+0000 in topic");
  expect_malformed(bytes({0x30, 3, 0, 1, 0xFF}), "invalid UTF-8 byte in topic");
  expect_malformed(bytes({0x32, 5, 0, 1, 't', 0, 0}), "QoS 1 PUBLISH with packet id 0");
  expect_malformed(bytes({0x32, 4, 0, 1, 't', 0}), "QoS 1 PUBLISH with half a packet id");
}

TEST(MqttCodecMalformed, PublishTopicAcceptsMultibyteUtf8) {
  const Bytes wire = bytes({0x30, 9, 0, 7, 't', 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80});  // "té😀"
  auto d = decode(wire);
  ASSERT_TRUE(d);
  EXPECT_EQ(as<Publish>(*d).topic, "t\xC3\xA9\xF0\x9F\x98\x80");
}

TEST(MqttCodecMalformed, ConnackRules) {
  expect_malformed(bytes({0x20, 2, 0, 6}), "reserved CONNACK return code");
  expect_malformed(bytes({0x20, 2, 2, 0}), "CONNACK reserved bit set");
  expect_malformed(bytes({0x20, 2, 1, 5}), "refusal with session present");
  expect_malformed(bytes({0x20, 3, 0, 0, 0}), "CONNACK with trailing byte");
  expect_malformed(bytes({0x20, 1, 0}), "CONNACK too short");
}

TEST(MqttCodecMalformed, FixedSizePacketsWithWrongLength) {
  expect_malformed(bytes({0x40, 3, 0, 1, 0}), "PUBACK 3 bytes");
  expect_malformed(bytes({0x40, 1, 0}), "PUBACK 1 byte");
  expect_malformed(bytes({0x40, 2, 0, 0}), "PUBACK packet id 0");
  expect_malformed(bytes({0xB0, 2, 0, 0}), "UNSUBACK packet id 0");
  expect_malformed(bytes({0xD0, 1, 0}), "PINGRESP with body");
  expect_malformed(bytes({0xC0, 1, 0}), "PINGREQ with body");
  expect_malformed(bytes({0xE0, 1, 0}), "DISCONNECT with body");
}

TEST(MqttCodecMalformed, SubackRules) {
  expect_malformed(bytes({0x90, 3, 0, 1, 0x03}), "SUBACK return code 3");
  expect_malformed(bytes({0x90, 3, 0, 1, 0x81}), "SUBACK return code 0x81");
  expect_malformed(bytes({0x90, 2, 0, 1}), "SUBACK without return codes");
  expect_malformed(bytes({0x90, 3, 0, 0, 0}), "SUBACK packet id 0");
  const Bytes refused = bytes({0x90, 3, 0, 1, 0x80});  // decoded views point into this
  auto ok = decode(refused);
  ASSERT_TRUE(ok);
  EXPECT_EQ(as<Suback>(*ok).return_codes[0], suback_failure);
}

TEST(MqttCodecMalformed, SubscribeAndUnsubscribeRules) {
  expect_malformed(bytes({0x82, 2, 0, 1}), "SUBSCRIBE without filters");
  expect_malformed(bytes({0x82, 2, 0, 0}), "SUBSCRIBE packet id 0");
  expect_malformed(bytes({0x82, 6, 0, 1, 0, 1, 'a', 3}), "SUBSCRIBE requested QoS 3");
  expect_malformed(bytes({0x82, 6, 0, 1, 0, 1, 'a', 0x41}), "SUBSCRIBE reserved bits in QoS byte");
  expect_malformed(bytes({0x82, 5, 0, 1, 0, 1, 'a'}), "SUBSCRIBE filter without QoS byte");
  expect_malformed(bytes({0x82, 10, 0, 1, 0, 5, 'a', '/', '#', '/', 'b', 0}), "# not last");
  expect_malformed(bytes({0x82, 8, 0, 1, 0, 3, 'a', 'b', '+', 0}), "+ inside a level");
  expect_malformed(bytes({0x82, 5, 0, 1, 0, 0, 0}), "empty filter");
  expect_malformed(bytes({0xA2, 2, 0, 1}), "UNSUBSCRIBE without filters");
  expect_malformed(bytes({0xA2, 5, 0, 1, 0, 2, 'a'}), "UNSUBSCRIBE filter length past the end");
}

TEST(MqttCodecMalformed, ConnectRules) {
  const Bytes good = encoded([] {
    Connect c;
    c.client_id = "c";
    return c;
  }());
  ASSERT_TRUE(decode(good));
  auto with_flags = [&](std::uint8_t flags) {
    Bytes b = good;
    b[9] = flags;
    return b;
  };
  expect_malformed(with_flags(0x03), "reserved CONNECT flag");
  expect_malformed(with_flags(0x42), "password without user name");
  expect_malformed(with_flags(0x0A), "will QoS without will flag");
  expect_malformed(with_flags(0x22), "will retain without will flag");
  expect_malformed(with_flags(0x1E), "will QoS 3");
  expect_malformed(with_flags(0x82), "user name flag but no user name");
  Bytes bad_name = good;
  bad_name[5] = 'X';
  expect_malformed(bad_name, "protocol name MQTX");
  Bytes trailing = good;
  trailing[1] = static_cast<std::uint8_t>(trailing[1] + 1);
  trailing.push_back(0);
  expect_malformed(trailing, "trailing byte after CONNECT payload");
}

TEST(MqttCodecMalformed, ConnectWithOtherProtocolLevelDecodesSoAServerCanRefuseIt) {
  Connect c;
  c.client_id = "c";
  Bytes b = encoded(c);
  b[8] = 3;
  auto d = decode(b);
  ASSERT_TRUE(d);
  EXPECT_EQ(as<Connect>(*d).protocol_level, 3);
}

TEST(MqttCodecLimits, OversizePacketIsTooLargeAsSoonAsTheHeaderIsKnown) {
  const Bytes p = encoded(Publish{"t", Bytes(200, 1), QoS::at_most_once, false, false, 0});
  auto whole = decode(p, 100);
  ASSERT_FALSE(whole);
  EXPECT_EQ(whole.error().code, Errc::too_large);
  auto header_only = decode(std::span<const std::uint8_t>(p.data(), 3), 100);
  ASSERT_FALSE(header_only);
  EXPECT_EQ(header_only.error().code, Errc::too_large);
  EXPECT_TRUE(decode(p, p.size()));
}

// ------------------------------------------------------------------ encoder refusals

TEST(MqttCodecEncodeErrors, OutputBufferTooSmallIsTooLarge) {
  std::array<std::uint8_t, 5> small{};
  auto n = encode(Publish{"a/b", test::view("hi"), QoS::at_most_once, false, false, 0}, small);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, Errc::too_large);
  std::array<std::uint8_t, 1> one{};
  EXPECT_EQ(encode(Pingreq{}, one).error().code, Errc::too_large);
}

TEST(MqttCodecEncodeErrors, InvalidFieldsAreRefused) {
  std::array<std::uint8_t, 256> out{};
  auto code = [&](const auto& p) { return encode(p, out).error().code; };
  EXPECT_EQ(code(Publish{"a/+", {}, QoS::at_most_once, false, false, 0}), Errc::invalid_argument);
  EXPECT_EQ(code(Publish{"", {}, QoS::at_most_once, false, false, 0}), Errc::invalid_argument);
  EXPECT_EQ(code(Publish{"t", {}, QoS::at_least_once, false, false, 0}), Errc::invalid_argument);
  EXPECT_EQ(code(Publish{"t", {}, QoS::at_most_once, false, true, 0}), Errc::invalid_argument);
  EXPECT_EQ(code(Publish{"t", {}, static_cast<QoS>(3), false, false, 1}), Errc::invalid_argument);
  EXPECT_EQ(code(Puback{0}), Errc::invalid_argument);
  EXPECT_EQ(code(Subscribe{0, {}}), Errc::invalid_argument);
  const std::array subs{Subscription{"a/#/b", QoS::at_most_once}};
  EXPECT_EQ(code(Subscribe{1, subs}), Errc::invalid_argument);
  EXPECT_EQ(code(Unsubscribe{1, {}}), Errc::invalid_argument);
  Connect no_id;
  no_id.clean_session = false;
  EXPECT_EQ(code(no_id), Errc::invalid_argument);
  const Bytes pw = test::text("x");
  Connect pw_only;
  pw_only.client_id = "c";
  pw_only.password = std::span<const std::uint8_t>(pw);
  EXPECT_EQ(code(pw_only), Errc::invalid_argument);
  Connect wild_will;
  wild_will.client_id = "c";
  wild_will.will = Will{"a/#", {}, QoS::at_most_once, false};
  EXPECT_EQ(code(wild_will), Errc::invalid_argument);
}

TEST(MqttCodecEncodeErrors, StringLongerThan65535IsRefused) {
  const std::string topic(70000, 'a');
  auto n = encoded_size(Publish{topic, {}, QoS::at_most_once, false, false, 0});
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, Errc::invalid_argument);
}

// The client's decoder (what the Session uses): server-to-client packets decode as decode() does; the client-only
// ones come back as a stand-in Pingreq (their bodies unread) for the session to refuse; sizes are still exact.
TEST(MqttCodecDecodeFromServer, ClientOnlyPacketsComeBackAsAStandInAndTheRestAsDecode) {
  const Bytes connect = encoded(Connect{"dev", true, 30, std::string_view("user"), std::nullopt, std::nullopt});
  const std::array filters{Subscription{"a/#", QoS::at_least_once}};
  const Bytes subscribe = encoded(Subscribe{7, filters});
  for (const Bytes& wire : {connect, subscribe, encoded(Disconnect{}), encoded(Pingreq{})}) {
    auto d = decode_from_server(wire);
    ASSERT_TRUE(d) << "first byte " << int(wire[0]);
    EXPECT_TRUE(std::holds_alternative<Pingreq>(d->packet));
    EXPECT_EQ(d->size, wire.size());
  }
  const Bytes connack = encoded(Connack{true, ConnectReturnCode::accepted});
  auto d = decode_from_server(connack);
  ASSERT_TRUE(d);
  EXPECT_TRUE(std::get<Connack>(d->packet).session_present);
  const Bytes puback = encoded(Puback{9});
  EXPECT_EQ(std::get<Puback>(decode_from_server(puback)->packet).packet_id, 9);
  Bytes bad_flags = encoded(Pingreq{});
  bad_flags[0] |= 0x01;  // reserved flags still checked
  EXPECT_EQ(decode_from_server(bad_flags).error().code, Errc::malformed);
}

TEST(MqttCodecText, RefusalCodesAreDescribedForPeople) {
  EXPECT_NE(std::string(describe(ConnectReturnCode::not_authorized)).find("credentials"), std::string::npos);
  EXPECT_NE(std::string(describe(ConnectReturnCode::bad_username_or_password)).find("CONNACK 4"), std::string::npos);
}

TEST(MqttCodecText, TopicFilterValidation) {
  EXPECT_TRUE(valid_topic_filter("#"));
  EXPECT_TRUE(valid_topic_filter("+"));
  EXPECT_TRUE(valid_topic_filter("a/+/b/#"));
  EXPECT_TRUE(valid_topic_filter("/"));
  EXPECT_TRUE(valid_topic_filter("+/+"));
  EXPECT_FALSE(valid_topic_filter(""));
  EXPECT_FALSE(valid_topic_filter("a#"));
  EXPECT_FALSE(valid_topic_filter("a/#/"));
  EXPECT_FALSE(valid_topic_filter("a+/b"));
  EXPECT_TRUE(valid_topic_name("$iothub/twin/res/200/?$rid=1"));
  EXPECT_FALSE(valid_topic_name("a/+"));
}

}  // namespace
}  // namespace picohub::mqtt
