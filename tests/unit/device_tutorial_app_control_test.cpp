// The tutorial app's cloud control on a real DeviceClient and Pump: desired telemetryInterval (applied, bounded,
// reported back), the period change seen in the publish times, and the methods blink / getStatus / reboot.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
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
  Result<SensorReading> read() override { return SensorReading{2150, false, 0}; }
};
struct Lines final : ConsoleSink {
  std::vector<std::string> lines;
  void write_line(std::string_view line) override { lines.emplace_back(line); }
  bool has(std::string_view text) const {
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
};
struct Control final : DeviceControl {
  std::vector<std::uint32_t> blinks;
  bool can_reboot = true;
  int reboots = 0;
  void blink(std::uint32_t times) override { blinks.push_back(times); }
  std::size_t status_members(std::span<char> out) override {
    const std::string_view text = R"("uptimeS":42,"ip":"192.0.2.10")";
    if (text.size() > out.size()) return 0;
    std::memcpy(out.data(), text.data(), text.size());
    return text.size();
  }
  bool request_reboot() override {
    reboots += can_reboot ? 1 : 0;
    return can_reboot;
  }
};

std::string text(std::span<const std::uint8_t> b) { return std::string(b.begin(), b.end()); }

Bytes hub(std::string_view topic, std::string_view body) {
  static thread_local std::string keep;
  keep = topic;
  return encoded(mqtt::Publish{keep, bytes_of(body), mqtt::QoS::at_most_once, false, false, 0});
}

iothub::DeviceClientOptions cloud_options() {
  iothub::DeviceClientOptions o;
  o.twin = true;
  o.methods = true;
  return o;
}

struct Rig : DeviceEventSink {
  iothub::ConnectionString cs = *iothub::parse_connection_string(cs_text);
  iothub::StaticDeviceClientMemory<4096, 2048, 4, 512> memory;
  iothub::DeviceClient client{memory.view(), cs, cloud_options()};
  FakeTransport transport;
  std::array<std::uint8_t, 1024> buffer{};
  Pump pump{buffer};
  FixedSensor sensor;
  Lines console;
  Control control;
  std::array<char, 160> line{};
  std::array<QueuedTelemetry, 4> queue{};
  TutorialApp app{client, sensor, console, line, queue, TutorialOptions{5000, 0, mqtt::QoS::at_most_once, 100}};
  std::uint64_t now = 0;
  std::vector<Bytes> keep;

  Rig() { app.enable_cloud_control(control); }
  void on_device_event(const iothub::DeviceEvent& e) override { app.on_event(e); }
  void step() { pump.step(transport, client, *this, now, unix_now); }
  std::vector<mqtt::Publish> published() {
    keep.push_back(transport.take_written());
    std::vector<mqtt::Publish> out;
    for (auto& p : packets_in(keep.back()))
      if (auto* pub = std::get_if<mqtt::Publish>(&p)) out.push_back(*pub);
    return out;
  }
  // Connects, answers the GET with `twin`; returns what the device published in answer (the report).
  std::vector<mqtt::Publish> connect(std::string_view twin) {
    EXPECT_TRUE(client.connect(now, unix_now));
    transport.push(connack());
    step();
    const std::uint8_t codes[] = {1, 0, 0, 0};
    transport.push(encoded(mqtt::Suback{1, codes}));
    step();
    auto get = published();
    EXPECT_EQ(get.size(), 1u);
    transport.push(hub("$iothub/twin/res/200/?$rid=1", twin));
    step();
    return published();
  }
  void run_until(std::uint64_t end, std::vector<std::uint64_t>& send_times) {
    for (; now <= end; now += 100) {
      ASSERT_TRUE(app.on_time(now));
      step();
      for (auto& p : published())
        if (p.topic.starts_with("devices/")) send_times.push_back(now);
    }
  }
};

TEST(DeviceTutorialAppControl, TwinIntervalIsAppliedAndReportedBack) {
  Rig rig;
  auto report = rig.connect(R"({"desired":{"telemetryInterval":2,"$version":4},"reported":{"$version":1}})");
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0].topic, "$iothub/twin/PATCH/properties/reported/?$rid=2");
  EXPECT_EQ(text(report[0].payload), R"({"telemetryInterval":2,"telemetryIntervalError":null})");
  EXPECT_EQ(rig.app.interval_ms(), 2000u);
  EXPECT_TRUE(rig.console.has("Desired telemetryInterval 2 (twin version 4): sending every 2 s"));
  rig.transport.push(hub("$iothub/twin/res/204/?$rid=2&$version=2", ""));
  rig.step();
  EXPECT_TRUE(rig.console.has("reported properties stored (version 2)"));
}

TEST(DeviceTutorialAppControl, PatchChangesThePeriodSeenInThePublishTimes) {
  Rig rig;
  rig.connect(R"({"desired":{"$version":1},"reported":{"$version":1}})");  // reports the default 5 s
  rig.app.start(0);
  std::vector<std::uint64_t> times;
  rig.run_until(10'000, times);
  EXPECT_EQ(times, (std::vector<std::uint64_t>{0, 5000, 10000}));
  rig.transport.push(
      hub("$iothub/twin/PATCH/properties/desired/?$version=2", R"({"telemetryInterval":1,"$version":2})"));
  rig.step();
  auto report = rig.published();
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(text(report[0].payload), R"({"telemetryInterval":1,"telemetryIntervalError":null})");
  times.clear();
  rig.run_until(13'000, times);
  EXPECT_EQ(times, (std::vector<std::uint64_t>{11000, 12000, 13000}));
}

TEST(DeviceTutorialAppControl, OutOfRangeIntervalKeepsThePeriodAndReportsWhy) {
  Rig rig;
  rig.connect(R"({"desired":{"$version":1},"reported":{"$version":1}})");
  for (std::string_view bad : {"0", "3601", "2.5", "\"10\""}) {
    rig.transport.push(
        hub("$iothub/twin/res/204/?$rid=" + std::to_string(rig.client.twin_requests_outstanding() + 1), ""));
    const std::string body = "{\"telemetryInterval\":" + std::string(bad) +
                             ",\"$version\":" + std::to_string(rig.client.desired_version() + 1) + "}";
    rig.transport.push(hub(
        "$iothub/twin/PATCH/properties/desired/?$version=" + std::to_string(rig.client.desired_version() + 1), body));
    rig.step();
    EXPECT_EQ(rig.app.interval_ms(), 5000u) << bad;
    auto report = rig.published();
    ASSERT_FALSE(report.empty()) << bad;
    EXPECT_NE(text(report.back().payload).find(R"("telemetryInterval":5,"telemetryIntervalError":{"message":)"),
              std::string::npos)
        << text(report.back().payload);
  }
  EXPECT_TRUE(rig.console.has("refused, not an integer in 1..3600 s; telemetry stays every 5 s"));
}

TEST(DeviceTutorialAppControl, MethodsBlinkGetStatusAndReboot) {
  Rig rig;
  rig.connect(R"({"desired":{"$version":1},"reported":{"$version":1}})");
  rig.transport.push(hub("$iothub/methods/POST/blink/?$rid=1", R"({"times":4})"));
  rig.transport.push(hub("$iothub/methods/POST/blink/?$rid=2", R"({"times":99})"));
  rig.transport.push(hub("$iothub/methods/POST/getStatus/?$rid=3", "null"));
  rig.transport.push(hub("$iothub/methods/POST/reboot/?$rid=4", "null"));
  rig.step();
  auto answers = rig.published();
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(answers[0].topic, "$iothub/methods/res/200/?$rid=1");
  EXPECT_EQ(text(answers[0].payload), R"({"blinking":4})");
  EXPECT_EQ(rig.control.blinks, (std::vector<std::uint32_t>{4}));
  EXPECT_EQ(answers[1].topic, "$iothub/methods/res/400/?$rid=2");
  EXPECT_EQ(answers[2].topic, "$iothub/methods/res/200/?$rid=3");
  EXPECT_EQ(text(answers[2].payload), R"({"uptimeS":42,"ip":"192.0.2.10","telemetryIntervalS":5,"messagesSent":0,)"
                                      R"("messagesAcked":0,"dropped":0,"telemetryQueued":0,"telemetryDropped":0})");
  EXPECT_EQ(answers[3].topic, "$iothub/methods/res/200/?$rid=4");
  EXPECT_EQ(rig.control.reboots, 1);
  EXPECT_TRUE(rig.console.has("Method getStatus: status 200, answer {"));
}

TEST(DeviceTutorialAppControl, RebootRefusedWhereTheDeviceCannot) {
  Rig rig;
  rig.control.can_reboot = false;
  rig.connect(R"({"desired":{"$version":1},"reported":{"$version":1}})");
  rig.transport.push(hub("$iothub/methods/POST/reboot/?$rid=9", "null"));
  rig.step();
  auto answers = rig.published();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].topic, "$iothub/methods/res/501/?$rid=9");
  EXPECT_EQ(text(answers[0].payload), R"({"message":"reboot is not supported on this device"})");
}

TEST(DeviceTutorialAppControl, TwinTooLargeForTheBufferIsOneLineAndTheAppGoesOn) {
  Rig rig;
  EXPECT_TRUE(rig.client.connect(rig.now, unix_now));
  rig.transport.push(connack());
  rig.step();
  const std::uint8_t codes[] = {1, 0, 0, 0};
  rig.transport.push(encoded(mqtt::Suback{1, codes}));
  rig.step();
  (void)rig.published();
  const std::string big = R"({"desired":{"blob":")" + std::string(5000, 'x') + R"(","$version":3},"reported":{}})";
  rig.transport.push(hub("$iothub/twin/res/200/?$rid=1", big));
  for (int i = 0; i < 10; ++i) rig.step();
  EXPECT_TRUE(rig.console.has("does not fit the receive buffer (2048 bytes): desired properties not applied"));
  auto report = rig.published();
  ASSERT_EQ(report.size(), 1u);  // the interval in use is still reported
  EXPECT_EQ(rig.client.state(), iothub::DeviceClientState::ready);
}

}  // namespace
}  // namespace picohub::device
