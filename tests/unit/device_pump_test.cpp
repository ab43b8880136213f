// One pump step between an in-memory Transport and a real DeviceClient (and a bare mqtt::Session): short writes
// and would_block keep the byte order, a full receive buffer is drained through events, losses carry reasons.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "device/pump.hpp"
#include "device_test_util.hpp"
#include "iothub/connection_string.hpp"

namespace picohub::device {
namespace {

using namespace test;

struct Recorder final : DeviceEventSink {
  std::vector<std::string> seen;  // one word per event (views inside events die with the call)
  void on_device_event(const iothub::DeviceEvent& e) override {
    if (std::holds_alternative<iothub::Connected>(e)) seen.emplace_back("connected");
    else if (std::holds_alternative<iothub::C2dSubscribed>(e)) seen.emplace_back("subscribed");
    else if (const auto* m = std::get_if<iothub::C2dMessage>(&e))
      seen.push_back("c2d:" + std::string(reinterpret_cast<const char*>(m->payload.data()), m->payload.size()));
    else if (const auto* d = std::get_if<iothub::MessageDropped>(&e))
      seen.push_back("dropped:" + std::to_string(d->size));
    else if (std::holds_alternative<iothub::RenewalDue>(e)) seen.emplace_back("renewal");
    else if (std::holds_alternative<iothub::ConnectRefused>(e)) seen.emplace_back("refused");
    else if (std::holds_alternative<iothub::ConnectionLost>(e)) seen.emplace_back("lost");
    else if (const auto* a = std::get_if<iothub::TelemetryAcked>(&e))
      seen.push_back("acked:" + std::to_string(a->packet_id));
    else seen.emplace_back("other");
  }
};

// A client on a fake transport with a small receive buffer (512 bytes) so the full-buffer paths are reachable.
struct Rig {
  iothub::ConnectionString cs = *iothub::parse_connection_string(cs_text);
  iothub::StaticDeviceClientMemory<2048, 512, 4, 512> memory;
  iothub::DeviceClientOptions options = [] {
    iothub::DeviceClientOptions o;
    o.sas_ttl_s = 3600;
    return o;
  }();
  iothub::DeviceClient client{memory.view(), cs, options};
  FakeTransport transport;
  Recorder sink;
  std::array<std::uint8_t, 1024> buffer{};
  Pump pump{buffer};
  std::uint64_t now = 1'000;

  PumpReport step() { return pump.step(transport, client, sink, now, unix_now + now / 1000); }

  void connect_and_subscribe() {
    ASSERT_TRUE(client.connect(now, unix_now));
    step();
    transport.push(connack());
    step();
    transport.push(suback(1));
    auto r = step();
    ASSERT_TRUE(r.ready);
    transport.take_written();
    sink.seen.clear();
  }
};

TEST(DevicePump, ShortWritesAndWouldBlockKeepTheBytesInOrder) {
  Rig rig;
  ASSERT_TRUE(rig.client.connect(rig.now, unix_now));
  const Bytes expected(rig.client.pending_output().begin(), rig.client.pending_output().end());
  rig.transport.write_limit = 7;
  rig.transport.block_writes = true;
  auto r = rig.step();
  EXPECT_FALSE(r.lost);
  EXPECT_EQ(r.wait, net::Wait::writable);  // output waits for room
  EXPECT_TRUE(rig.transport.written.empty());
  rig.transport.block_writes = false;
  r = rig.step();
  EXPECT_TRUE(r.progress);
  EXPECT_EQ(rig.transport.written, expected);  // all of CONNECT, 7 bytes at a time, nothing lost or reordered
  EXPECT_EQ(r.wait, net::Wait::readable);
  EXPECT_EQ(r.next_deadline_ms, rig.now + 30'000);  // the CONNACK timeout
  auto packets = packets_in(rig.transport.written);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<mqtt::Connect>(packets[0]));
}

TEST(DevicePump, ConnackAndSubackMakeTheClientReady) {
  Rig rig;
  ASSERT_TRUE(rig.client.connect(rig.now, unix_now));
  rig.step();
  rig.transport.take_written();
  Bytes both = connack();
  const Bytes sub = suback(1);
  rig.transport.push(both);
  auto r = rig.step();
  EXPECT_FALSE(r.ready);  // connected, SUBSCRIBE written, SUBACK outstanding
  auto packets = packets_in(rig.transport.take_written());
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<mqtt::SubscribeView>(packets[0]));
  rig.transport.push(sub);
  r = rig.step();
  EXPECT_TRUE(r.ready);
  EXPECT_EQ(rig.sink.seen, (std::vector<std::string>{"connected", "subscribed"}));
}

TEST(DevicePump, ManyMessagesInOneReadAreAllDeliveredAndAcknowledgedInOrder) {
  Rig rig;
  rig.connect_and_subscribe();
  Bytes burst;
  for (std::uint16_t id = 1; id <= 12; ++id) {  // ~12 x 60 bytes: more than the 512-byte receive buffer
    auto one = c2d("dev1", "message " + std::to_string(id), id);
    burst.insert(burst.end(), one.begin(), one.end());
  }
  ASSERT_GT(burst.size(), 512u);
  rig.transport.push(burst);
  auto r = rig.step();
  EXPECT_FALSE(r.lost);
  ASSERT_EQ(rig.sink.seen.size(), 12u);
  EXPECT_EQ(rig.sink.seen.front(), "c2d:message 1");
  EXPECT_EQ(rig.sink.seen.back(), "c2d:message 12");
  auto packets = packets_in(rig.transport.take_written());
  ASSERT_EQ(packets.size(), 12u);
  for (std::uint16_t i = 0; i < 12; ++i) EXPECT_EQ(std::get<mqtt::Puback>(packets[i]).packet_id, i + 1);
}

TEST(DevicePump, AnOversizedMessageIsDroppedAndAcknowledgedAndTheConnectionGoesOn) {
  Rig rig;
  rig.connect_and_subscribe();
  const std::string big(3000, 'x');  // larger than the 512-byte receive buffer
  Bytes wire = c2d("dev1", "before", 5);
  const Bytes huge = c2d("dev1", big, 6), after = c2d("dev1", "after", 7);
  wire.insert(wire.end(), huge.begin(), huge.end());
  wire.insert(wire.end(), after.begin(), after.end());
  for (std::size_t at = 0; at < wire.size(); at += 700)  // arrives in pieces, as TCP delivers it
    rig.transport.push(Bytes(wire.begin() + static_cast<std::ptrdiff_t>(at),
                             wire.begin() + static_cast<std::ptrdiff_t>(std::min(wire.size(), at + 700))));
  PumpReport r;
  for (int i = 0; i < 4; ++i) r = rig.step();
  EXPECT_FALSE(r.lost) << r.error.what;
  EXPECT_EQ(rig.sink.seen,
            (std::vector<std::string>{"c2d:before", "dropped:" + std::to_string(huge.size()), "c2d:after"}));
  auto packets = packets_in(rig.transport.take_written());
  ASSERT_EQ(packets.size(), 3u);  // PUBACKs 5, 6, 7 in arrival order: the hub will not redeliver the big one
  EXPECT_EQ(std::get<mqtt::Puback>(packets[0]).packet_id, 5);
  EXPECT_EQ(std::get<mqtt::Puback>(packets[1]).packet_id, 6);
  EXPECT_EQ(std::get<mqtt::Puback>(packets[2]).packet_id, 7);
}

TEST(DevicePump, AClosedConnectionIsLostWithItsReason) {
  Rig rig;
  rig.connect_and_subscribe();
  rig.transport.read_error = Error{Errc::connection_closed, "peer closed"};
  auto r = rig.step();
  EXPECT_TRUE(r.lost);
  EXPECT_EQ(r.loss, LossReason::server_closed);
  EXPECT_FALSE(rig.transport.closed);  // closing is the supervisor's decision
}

TEST(DevicePump, AFailedWriteIsLost) {
  Rig rig;
  ASSERT_TRUE(rig.client.connect(rig.now, unix_now));
  rig.transport.write_error = Error{Errc::tls_failure, "bad record mac"};
  auto r = rig.step();
  EXPECT_TRUE(r.lost);
  EXPECT_EQ(r.loss, LossReason::tls_failed);
}

TEST(DevicePump, GarbageFromTheHubIsAProtocolError) {
  Rig rig;
  rig.connect_and_subscribe();
  rig.transport.push(Bytes{0xF0, 0x00});  // packet type 15: reserved
  auto r = rig.step();
  EXPECT_TRUE(r.lost);
  EXPECT_EQ(r.loss, LossReason::protocol_error);
}

TEST(DevicePump, RefusedConnackIsReportedWithItsCode) {
  Rig rig;
  ASSERT_TRUE(rig.client.connect(rig.now, unix_now));
  rig.step();
  rig.transport.push(connack(mqtt::ConnectReturnCode::not_authorized));
  auto r = rig.step();
  EXPECT_TRUE(r.refused);
  EXPECT_EQ(r.refused_code, mqtt::ConnectReturnCode::not_authorized);
  EXPECT_FALSE(r.lost);
}

TEST(DevicePump, KeepAliveTimeoutAndRenewalAreReportedByTime) {
  Rig rig;
  rig.connect_and_subscribe();
  rig.now += 240'000;  // keep-alive: PINGREQ goes out
  auto r = rig.step();
  auto packets = packets_in(rig.transport.take_written());
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<mqtt::Pingreq>(packets[0]));
  EXPECT_EQ(r.next_deadline_ms, rig.now + 10'000);
  rig.now += 10'000;  // no PINGRESP
  r = rig.step();
  EXPECT_TRUE(r.lost);
  EXPECT_EQ(r.loss, LossReason::keep_alive_timeout);

  Rig renew;
  renew.connect_and_subscribe();
  renew.now += 3'000'000;  // past 80 % of the one-hour token
  r = renew.step();
  EXPECT_TRUE(r.renewal_due);
  packets = packets_in(renew.transport.take_written());
  ASSERT_FALSE(packets.empty());  // (a keep-alive PINGREQ may precede it: no traffic for 3000 s)
  EXPECT_TRUE(std::holds_alternative<mqtt::Disconnect>(packets.back()));
}

TEST(DevicePump, ReadsAreBoundedPerStep) {
  Rig rig;
  rig.connect_and_subscribe();
  for (std::uint16_t id = 1; id <= 20; ++id) rig.transport.push(c2d("dev1", "m", id));
  rig.transport.reads = 0;
  auto r = rig.step();
  EXPECT_EQ(rig.transport.reads, 8);  // the default bound: the main loop gets control back
  EXPECT_TRUE(r.progress);            // ...and is told to call again before sleeping
  while (rig.step().progress) {
  }
  EXPECT_EQ(rig.sink.seen.size(), 20u);
}

struct MqttRecorder final : MqttEventSink {
  int acked = 0, connected = 0;
  void on_mqtt_event(const mqtt::Event& e) override {
    if (std::holds_alternative<mqtt::PublishAcked>(e)) ++acked;
    if (std::holds_alternative<mqtt::Connected>(e)) ++connected;
  }
};

TEST(DevicePump, PumpsABareSessionForTheBenchmarks) {
  mqtt::StaticSessionMemory<1024, 1024, 4, 256> memory;
  mqtt::Session session(memory.view(), {});
  FakeTransport transport;
  MqttRecorder sink;
  std::array<std::uint8_t, 256> buffer{};
  Pump pump(buffer);
  mqtt::ConnectOptions options;
  options.client_id = "bench";
  ASSERT_TRUE(session.connect(options, 0));
  transport.push(connack());
  auto r = pump.step(transport, session, sink, 0);
  EXPECT_TRUE(r.ready);
  EXPECT_EQ(sink.connected, 1);
  auto id = session.publish("t", bytes_of("{}"), mqtt::QoS::at_least_once, false, 1);
  ASSERT_TRUE(id);
  auto flushed = Pump::flush(transport, session);
  ASSERT_TRUE(flushed);
  EXPECT_TRUE(*flushed);
  transport.push(encoded(mqtt::Puback{*id}));
  pump.step(transport, session, sink, 2);
  EXPECT_EQ(sink.acked, 1);
  transport.read_error = Error{Errc::connection_closed, "closed"};
  r = pump.step(transport, session, sink, 3);
  EXPECT_TRUE(r.lost);
  EXPECT_EQ(r.loss, LossReason::server_closed);
}

// PUBACKs owed for received messages need output room; when the socket takes nothing, the pump must neither
// spin, nor drop the bytes it has read, nor call the connection lost: it holds them for the next step.
TEST(DevicePump, BytesThatNeedOutputRoomAreHeldUntilTheTransportTakesOutput) {
  // 16 PUBACKs fill tx, 16 more wait in the session, 16 messages fill rx: 60 messages cannot all be taken.
  mqtt::StaticSessionMemory<64, 128, 2, 64> memory;
  mqtt::Session session(memory.view(), {});
  FakeTransport transport;
  MqttRecorder sink;
  int received = 0;
  struct Counter final : MqttEventSink {
    int& n;
    explicit Counter(int& count) : n(count) {}
    void on_mqtt_event(const mqtt::Event& e) override {
      if (std::holds_alternative<mqtt::MessageReceived>(e)) ++n;
    }
  } counter(received);
  std::array<std::uint8_t, 1024> buffer{};
  Pump pump(buffer);
  mqtt::ConnectOptions options;
  options.client_id = "b";
  ASSERT_TRUE(session.connect(options, 0));
  transport.push(connack());
  pump.step(transport, session, counter, 0);
  transport.take_written();
  Bytes burst;
  for (std::uint16_t id = 1; id <= 60; ++id) {
    auto one = encoded(mqtt::Publish{"t", bytes_of("m"), mqtt::QoS::at_least_once, false, false, id});
    burst.insert(burst.end(), one.begin(), one.end());
  }
  transport.push(burst);
  transport.block_writes = true;
  auto r = pump.step(transport, session, counter, 1);
  EXPECT_FALSE(r.lost);
  EXPECT_TRUE(pump.holding());
  EXPECT_LT(received, 60);
  EXPECT_EQ(r.wait, net::Wait::writable);
  const int before = received;
  r = pump.step(transport, session, counter, 2);  // still blocked: nothing moves, nothing is lost
  EXPECT_FALSE(r.progress);
  EXPECT_EQ(received, before);
  transport.block_writes = false;
  for (int i = 0; i < 10 && (pump.holding() || !session.pending_output().empty()); ++i)
    r = pump.step(transport, session, counter, 3);
  EXPECT_FALSE(r.lost);
  EXPECT_FALSE(pump.holding());
  EXPECT_EQ(received, 60);
  auto packets = packets_in(transport.take_written());
  ASSERT_EQ(packets.size(), 60u);
  for (std::uint16_t i = 0; i < 60; ++i) EXPECT_EQ(std::get<mqtt::Puback>(packets[i]).packet_id, i + 1);
  pump.reset();
  EXPECT_FALSE(pump.holding());
  (void)sink;
}

// The DPS client through the same pump (the firmware's registration step): CONNACK, SUBACK, the register request,
// a 202 and, after retry-after, the poll answered 200 assigned; a refused CONNACK is reported as refused.
struct DpsRecorder final : DpsEventSink {
  std::vector<std::string> seen;
  void on_dps_event(const iothub::DpsEvent& e) override {
    if (std::holds_alternative<iothub::DpsConnected>(e)) seen.emplace_back("connected");
    else if (const auto* a = std::get_if<iothub::DpsAssigning>(&e))
      seen.push_back("assigning:" + std::to_string(a->retry_after_s));
    else if (const auto* d = std::get_if<iothub::DpsAssigned>(&e))
      seen.push_back("assigned:" + std::string(d->assigned_hub) + "/" + std::string(d->device_id));
    else if (std::holds_alternative<iothub::DpsRefused>(e)) seen.emplace_back("refused");
    else seen.emplace_back("failed");
  }
};

Bytes dps_answer(std::string_view topic, std::string_view body) {
  return encoded(mqtt::Publish{topic, bytes_of(body), mqtt::QoS::at_most_once, false, false, 0});
}

TEST(DevicePump, CarriesADpsRegistrationToItsAssignment) {
  const iothub::DpsRegistration registration{
      "0ne00000A0A", "board-7", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", {}};
  iothub::StaticDpsClientMemory<512, 1024, 448, 160> memory;
  iothub::DpsClient dps(memory.view(), registration);
  FakeTransport transport;
  DpsRecorder sink;
  std::array<std::uint8_t, 1024> buffer{};
  Pump pump{buffer};
  std::uint64_t now = 1'000;
  ASSERT_TRUE(dps.connect(now, unix_now));
  EXPECT_FALSE(pump.step(transport, dps, sink, now).lost);
  transport.push(connack());
  pump.step(transport, dps, sink, now);
  transport.push(suback(1));
  pump.step(transport, dps, sink, now);
  transport.push(dps_answer("$dps/registrations/res/202/?$rid=1&retry-after=2",
                            R"({"operationId":"4.op-1","status":"assigning"})"));
  auto r = pump.step(transport, dps, sink, now);
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.next_deadline_ms, now + 2'000);  // retry-after, honoured
  now += 2'000;
  pump.step(transport, dps, sink, now);
  const auto written = transport.take_written();  // the packets below are views into it
  const auto packets = packets_in(written);
  const auto* poll = std::get_if<mqtt::Publish>(&packets.back());
  ASSERT_NE(poll, nullptr);
  EXPECT_EQ(poll->topic, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=4.op-1");
  transport.push(dps_answer("$dps/registrations/res/200/?$rid=2",
                            R"({"operationId":"4.op-1","status":"assigned","registrationState":)"
                            R"({"assignedHub":"hub.example:8884","deviceId":"dev-9","status":"assigned"}})"));
  r = pump.step(transport, dps, sink, now);
  EXPECT_TRUE(r.ready);
  EXPECT_FALSE(r.lost);
  EXPECT_EQ(sink.seen, (std::vector<std::string>{"connected", "assigning:2", "assigned:hub.example:8884/dev-9"}));

  iothub::DpsClient refused(memory.view(), registration);
  FakeTransport other;
  Pump second{buffer};
  ASSERT_TRUE(refused.connect(now, unix_now));
  second.step(other, refused, sink, now);
  other.push(connack(mqtt::ConnectReturnCode::not_authorized));
  r = second.step(other, refused, sink, now);
  EXPECT_TRUE(r.refused);
  EXPECT_EQ(r.refused_code, mqtt::ConnectReturnCode::not_authorized);
  EXPECT_EQ(sink.seen.back(), "refused");
}

}  // namespace
}  // namespace picohub::device
