// The tutorial application on a real DeviceClient: the JSON body, its content-type properties, the console lines
// both shells print, retry of the same message when the window is full, C2D printing and the over-size drop.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "device/pump.hpp"
#include "device/tutorial_app.hpp"
#include "device_test_util.hpp"
#include "iothub/connection_string.hpp"

namespace picohub::device {
namespace {

using namespace test;

struct FixedSensor final : Sensor {
  SensorReading next{2150, true, 4405};
  Result<SensorReading> read() override { return next; }
};
struct Lines final : ConsoleSink {
  std::vector<std::string> lines;
  void write_line(std::string_view line) override { lines.emplace_back(line); }
};
struct Led final : C2dListener {
  int toggles = 0;
  void on_c2d(const iothub::C2dMessage&) override { ++toggles; }
};

struct AppRig : DeviceEventSink {
  iothub::ConnectionString cs = *iothub::parse_connection_string(cs_text);
  iothub::StaticDeviceClientMemory<2048, 512, 2, 512> memory;
  iothub::DeviceClient client{memory.view(), cs, {}};
  FakeTransport transport;
  std::array<std::uint8_t, 1024> buffer{};
  Pump pump{buffer};
  FixedSensor sensor;
  Lines console;
  std::array<char, 160> line{};  // the board's console line
  std::array<QueuedTelemetry, 4> queue{};
  TutorialApp app;
  std::uint64_t now = 0;

  explicit AppRig(TutorialOptions options) : app(client, sensor, console, line, queue, options) {}
  void on_device_event(const iothub::DeviceEvent& e) override { app.on_event(e); }
  void step() { pump.step(transport, client, *this, now, unix_now); }

  void connect() {
    ASSERT_TRUE(client.connect(now, unix_now));
    transport.push(connack());
    step();
    transport.push(suback(1));
    step();
    ASSERT_EQ(client.state(), iothub::DeviceClientState::ready);
    transport.take_written();
  }
  std::vector<mqtt::Publish> published() {
    static std::vector<Bytes> keep;  // Publish views point into the wire bytes
    keep.push_back(transport.take_written());
    std::vector<mqtt::Publish> out;
    for (auto& p : packets_in(keep.back()))
      if (auto* pub = std::get_if<mqtt::Publish>(&p)) out.push_back(*pub);
    return out;
  }
};

TEST(DeviceTutorialApp, SendsTheTutorialsJsonEveryIntervalWithContentType) {
  AppRig rig({1000, 3, mqtt::QoS::at_least_once, 100});
  rig.connect();
  rig.app.start(0);
  ASSERT_TRUE(rig.app.on_time(0));
  rig.step();
  auto pubs = rig.published();
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(pubs[0].payload.data()), pubs[0].payload.size()),
            R"({"messageId":1,"temperature":21.50,"humidity":44.05})");
  EXPECT_NE(pubs[0].topic.find("%24.ct=application%2Fjson"), std::string_view::npos) << pubs[0].topic;
  EXPECT_NE(pubs[0].topic.find("%24.ce=utf-8"), std::string_view::npos);
  EXPECT_EQ(rig.console.lines.back(), R"(Sending message 1: {"messageId":1,"temperature":21.50,"humidity":44.05})");
  EXPECT_EQ(rig.app.next_deadline_ms(), 1000u);

  rig.transport.push(encoded(mqtt::Puback{pubs[0].packet_id}));
  rig.step();
  EXPECT_EQ(rig.console.lines.back(),
            "  acknowledged by the hub (PUBACK, packet id " + std::to_string(pubs[0].packet_id) + ")");
  EXPECT_EQ(rig.app.acked(), 1u);

  rig.sensor.next = SensorReading{-305, false, 0};  // the board: on-die temperature only
  ASSERT_TRUE(rig.app.on_time(999));
  EXPECT_EQ(rig.app.sent(), 1u);  // not due yet
  ASSERT_TRUE(rig.app.on_time(1000));
  EXPECT_EQ(rig.console.lines.back(), R"(Sending message 2: {"messageId":2,"temperature":-3.05})");
  ASSERT_TRUE(rig.app.on_time(2000));
  EXPECT_EQ(rig.app.sent(), 3u);
  EXPECT_TRUE(rig.app.done_sending());
  EXPECT_EQ(rig.app.next_deadline_ms(), TutorialApp::no_deadline);
}

TEST(DeviceTutorialApp, AFullWindowQueuesReadingsAndSendsThemInOrderOnceThereIsRoom) {
  AppRig rig({10, 0, mqtt::QoS::at_least_once, 100});  // window of 2, no PUBACKs yet
  rig.connect();
  rig.app.start(0);
  ASSERT_TRUE(rig.app.on_time(0));
  ASSERT_TRUE(rig.app.on_time(10));
  ASSERT_TRUE(rig.app.on_time(20));  // third: window full, queued
  EXPECT_EQ(rig.app.sent(), 3u);
  EXPECT_EQ(rig.app.queued(), 1u);
  EXPECT_EQ(rig.app.next_deadline_ms(), 30u);  // readings stay on schedule
  ASSERT_TRUE(rig.app.on_time(30));            // fourth, queued behind the third
  EXPECT_EQ(rig.app.queued(), 2u);
  rig.step();
  auto pubs = rig.published();
  ASSERT_EQ(pubs.size(), 2u);
  rig.transport.push(encoded(mqtt::Puback{pubs[0].packet_id}));
  rig.transport.push(encoded(mqtt::Puback{pubs[1].packet_id}));
  rig.step();
  ASSERT_TRUE(rig.app.on_time(35));  // room again: 3 then 4, before any newer reading
  rig.step();
  pubs = rig.published();
  ASSERT_EQ(pubs.size(), 2u);
  const auto body = [](const mqtt::Publish& p) {
    return std::string(reinterpret_cast<const char*>(p.payload.data()), p.payload.size());
  };
  EXPECT_NE(body(pubs[0]).find("\"messageId\":3,"), std::string::npos);
  EXPECT_NE(body(pubs[1]).find("\"messageId\":4,"), std::string::npos);
  EXPECT_EQ(rig.app.queued(), 0u);
  EXPECT_EQ(rig.app.telemetry_dropped(), 0u);
}

TEST(DeviceTutorialApp, OfflineReadingsAreQueuedThenSentInOrderAndTheOldestDroppedWhenFullIsSaid) {
  AppRig rig({1000, 8, mqtt::QoS::at_least_once, 100});  // queue of 4
  rig.app.start(0);                                      // not connected yet
  for (std::uint64_t t = 0; t <= 5000; t += 1000) ASSERT_TRUE(rig.app.on_time(t));
  EXPECT_EQ(rig.app.sent(), 6u);
  EXPECT_EQ(rig.app.queued(), 4u);
  EXPECT_EQ(rig.app.telemetry_dropped(), 2u);
  const auto& lines = rig.console.lines;
  EXPECT_EQ(lines[1], "  not connected: 1 queued (room for 4), sent in order once the hub is back");
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& l) { return l.rfind("  not connected", 0) == 0; }),
            1)
      << "said once per outage";
  EXPECT_EQ(lines.back(), "  queue full (4 readings): dropped message 2, the oldest; 2 dropped so far");
  EXPECT_FALSE(rig.app.done_sending());

  rig.now = 5050;
  rig.connect();
  ASSERT_TRUE(rig.app.on_time(5050));  // window of 2: 3 and 4 go now
  EXPECT_EQ(rig.console.lines.back(), "  connected again: sending 4 queued readings in order");
  rig.step();
  auto pubs = rig.published();
  ASSERT_EQ(pubs.size(), 2u);
  std::vector<std::string> bodies;
  for (int round = 0; round < 3 && !pubs.empty(); ++round) {
    for (const auto& p : pubs) {
      bodies.emplace_back(reinterpret_cast<const char*>(p.payload.data()), p.payload.size());
      rig.transport.push(encoded(mqtt::Puback{p.packet_id}));
    }
    rig.step();
    ASSERT_TRUE(rig.app.on_time(5100 + static_cast<std::uint64_t>(round)));
    rig.step();
    pubs = rig.published();
  }
  ASSERT_EQ(bodies.size(), 4u);
  for (std::size_t i = 0; i < bodies.size(); ++i)
    EXPECT_NE(bodies[i].find("\"messageId\":" + std::to_string(i + 3) + ","), std::string::npos) << bodies[i];
  EXPECT_EQ(rig.app.queued(), 0u);
}

TEST(DeviceTutorialApp, ThroughputModeMakesTheNextReadingOnlyOnceTheQueueIsEmpty) {
  AppRig rig({0, 0, mqtt::QoS::at_least_once, 0});  // window of 2
  rig.connect();
  rig.app.start(0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(rig.app.on_time(0));
  EXPECT_EQ(rig.app.sent(), 3u);  // two in flight, one waiting; nothing dropped
  EXPECT_EQ(rig.app.queued(), 1u);
  EXPECT_EQ(rig.app.telemetry_dropped(), 0u);
}

TEST(TelemetryQueue, IsFirstInFirstOutAndDropsTheOldestWhenFull) {
  std::array<QueuedTelemetry, 2> slots{};
  TelemetryQueue q(slots);
  EXPECT_FALSE(q.push("a", 1));
  EXPECT_FALSE(q.push("b", 2));
  EXPECT_EQ(q.push("c", 3), std::optional<std::uint32_t>(1));
  EXPECT_EQ(q.front().text(), "b");
  q.pop();
  EXPECT_EQ(q.front().number, 3u);
  EXPECT_FALSE(q.push("d", 4));  // wraps around
  q.pop();
  EXPECT_EQ(q.front().text(), "d");
  q.pop();
  EXPECT_TRUE(q.empty());
  q.pop();  // harmless when empty
  EXPECT_EQ(q.dropped(), 1u);
  TelemetryQueue none({});
  EXPECT_EQ(none.push("x", 9), std::optional<std::uint32_t>(9));
  EXPECT_EQ(none.dropped(), 1u);
}

TEST(DeviceTutorialApp, QosZeroSaysItIsNotAcknowledged) {
  AppRig rig({10, 1, mqtt::QoS::at_most_once, 100});
  rig.connect();
  rig.app.start(0);
  ASSERT_TRUE(rig.app.on_time(0));
  EXPECT_EQ(rig.console.lines.back(), "  sent (QoS 0: the hub does not acknowledge)");
}

TEST(DeviceTutorialApp, PrintsCloudToDeviceMessagesWithPropertiesAndCallsTheListener) {
  AppRig rig({1000, 0, mqtt::QoS::at_least_once, 100});
  Led led;
  rig.app.set_c2d_listener(&led);
  rig.connect();
  rig.transport.push(c2d("dev1", "hello from the hub", 3, "%24.mid=m-42&%24.ct=text%2Fplain&color=deep%20blue&flag"));
  rig.step();
  EXPECT_EQ(rig.console.lines,
            (std::vector<std::string>{"Received message: hello from the hub", "  message-id: m-42",
                                      "  content-type: text/plain", "  color: deep blue", "  flag (no value)"}));
  EXPECT_EQ(rig.app.received(), 1u);
  EXPECT_EQ(led.toggles, 1);
}

TEST(DeviceTutorialApp, ALongPayloadIsCutToTheLineBufferAndMarked) {
  AppRig rig({1000, 0, mqtt::QoS::at_least_once, 100});
  rig.connect();
  rig.transport.push(c2d("dev1", std::string(300, 'y'), 3));
  rig.step();
  ASSERT_FALSE(rig.console.lines.empty());
  EXPECT_EQ(rig.console.lines[0].size(), 160u);
  EXPECT_EQ(rig.console.lines[0].substr(157), "...");
}

TEST(DeviceTutorialApp, AnOversizedMessageIsReportedAndCounted) {
  AppRig rig({1000, 0, mqtt::QoS::at_least_once, 100});
  Led led;
  rig.app.set_c2d_listener(&led);
  rig.connect();
  const Bytes big = c2d("dev1", std::string(2000, 'z'), 4);
  rig.transport.push(big);
  for (int i = 0; i < 3; ++i) rig.step();
  EXPECT_EQ(rig.app.dropped(), 1u);
  EXPECT_EQ(rig.app.received(), 0u);
  EXPECT_EQ(led.toggles, 0);
  ASSERT_EQ(rig.console.lines.size(), 1u);
  EXPECT_EQ(rig.console.lines[0], "Dropped a cloud-to-device message of " + std::to_string(big.size()) +
                                      " bytes (receive buffer: 512 bytes); acknowledged so the hub does not resend it"
                                      "; 1 dropped so far");
}

}  // namespace
}  // namespace picohub::device
