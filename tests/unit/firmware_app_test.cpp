// The board's application (FirmwareApp) on the host, against the fake W5100S: the same object the RP2040 runs,
// fed fake time. It proves the stages in order — chip check and retry, link, DHCP, SNTP, the hub's address, TCP,
// and the first TLS record on the wire — and the console lines a maker reads on UART0.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "firmware_app.hpp"
#include "netstack_test_util.hpp"
#include "w5100s_fake_chip.hpp"

namespace picohub::firmware {
namespace {

using netstack::test::Bytes;

struct FakeClock final : platform::Clock {
  std::uint64_t now = 1'000;
  std::uint64_t now_ms() const noexcept override { return now; }
};

struct TestEntropy final : platform::Entropy {
  platform::EntropyHealth state = platform::EntropyHealth::ok;
  std::mt19937 random{42};
  Result<void> fill(std::span<std::uint8_t> out) override {
    if (state != platform::EntropyHealth::ok) return fail(Errc::crypto_failure, "entropy source failed");
    for (auto& b : out) b = static_cast<std::uint8_t>(random());
    return {};
  }
  platform::EntropyHealth health() const noexcept override { return state; }
};

struct Console final : device::ConsoleSink {
  std::vector<std::string> lines;
  void write_line(std::string_view line) override { lines.emplace_back(line); }
  int count(std::string_view needle) const {
    return static_cast<int>(std::count_if(lines.begin(), lines.end(),
                                          [&](const std::string& l) { return l.find(needle) != std::string::npos; }));
  }
  std::string all() const {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    return text;
  }
};

struct FixedSensor final : device::Sensor {
  Result<device::SensorReading> read() override { return device::SensorReading{2150, false, 0}; }
};

struct Led final : device::C2dListener {
  int toggles = 0;
  void on_c2d(const iothub::C2dMessage&) override { ++toggles; }
};

constexpr std::uint64_t unix_now_s = 1'796'000'000;  // 2026-11

provisioning::DeviceConfig config_for(std::string_view connection_string) {
  provisioning::DeviceConfig config;
  config.connection_string = connection_string;
  config.telemetry_interval_ms = 5'000;
  config.mac = {0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};
  return config;
}

class FirmwareAppTest : public ::testing::Test {
 protected:
  FakeClock clock;
  TestEntropy entropy;
  w5100s::testing::FakeChip chip;
  Console console;
  FixedSensor sensor;
  Led led;
  std::string connection_string =
      "HostName=hub.example;DeviceId=board1;SharedAccessKey=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=;"
      "GatewayHostName=192.0.2.1:8883";

  std::unique_ptr<FirmwareApp> make_app() {
    return std::make_unique<FirmwareApp>(FirmwarePorts{clock, entropy, chip, chip.reset_pin(), console, sensor, led});
  }

  // Runs the app like the main loop does, in 10 ms steps of fake time.
  void run_for(FirmwareApp& app, std::uint64_t ms) {
    const std::uint64_t end = clock.now + ms;
    while (clock.now < end) {
      app.poll(clock.now);
      clock.now += 10;
    }
  }

  // A DHCP reply (OFFER = 2, ACK = 5) to the request the client last broadcast.
  std::vector<std::uint8_t> dhcp_reply(const std::vector<std::uint8_t>& request, unsigned type) {
    Bytes b;
    b.raw({2, 1, 6, 0}).raw({request[4], request[5], request[6], request[7]}).u16(0).u16(0x8000);
    b.ip(netstack::Ipv4{}).ip(netstack::test::ip(192, 0, 2, 10)).ip(netstack::Ipv4{}).ip(netstack::Ipv4{});
    for (std::size_t i = 28; i < 44; ++i) b.u8(request[i]);  // chaddr
    b.zeros(64 + 128).u32(0x63825363);
    b.raw({53, 1, type}).raw({54, 4}).ip(netstack::test::ip(192, 0, 2, 1));
    b.raw({1, 4, 255, 255, 255, 0}).raw({3, 4}).ip(netstack::test::ip(192, 0, 2, 1));
    b.raw({6, 4}).ip(netstack::test::ip(192, 0, 2, 53)).raw({42, 4}).ip(netstack::test::ip(192, 0, 2, 123));
    b.raw({51, 4}).u32(3600).raw({255});
    return b.b;
  }

  std::vector<std::uint8_t> sntp_reply(const std::vector<std::uint8_t>& request) {
    const std::uint64_t ntp_seconds = unix_now_s + 2'208'988'800ull;
    Bytes b;
    b.raw({0x24, 1, 4, 0xEC})
        .u32(0)
        .u32(0)
        .raw({0x47, 0x50, 0x53, 0})
        .u32(static_cast<std::uint32_t>(ntp_seconds))
        .u32(0);
    for (std::size_t i = 40; i < 48; ++i) b.u8(request[i]);  // originate = our transmit timestamp
    b.u32(static_cast<std::uint32_t>(ntp_seconds)).u32(0).u32(static_cast<std::uint32_t>(ntp_seconds)).u32(0);
    return b.b;
  }

  void bring_up_network(FirmwareApp& app) {
    chip.set_link(false);
    run_for(app, 300);
    ASSERT_EQ(console.count("W5100S ready"), 1) << console.all();
    chip.set_link(true);
    run_for(app, 300);
    ASSERT_FALSE(chip.udp_sent(dhcp_socket).empty()) << console.all();
    const auto discover = chip.udp_sent(dhcp_socket).back();
    EXPECT_EQ(discover.ip, (std::array<std::uint8_t, 4>{255, 255, 255, 255}));
    EXPECT_EQ(discover.port, 67);
    chip.deliver_udp(dhcp_socket, {192, 0, 2, 1}, 67, dhcp_reply(discover.payload, 2));
    run_for(app, 100);
    const auto request = chip.udp_sent(dhcp_socket).back();
    ASSERT_NE(request.payload, discover.payload);
    chip.deliver_udp(dhcp_socket, {192, 0, 2, 1}, 67, dhcp_reply(request.payload, 5));
    run_for(app, 100);
    ASSERT_EQ(console.count("DHCP: 192.0.2.10/24, gateway 192.0.2.1, DNS 192.0.2.53, lease 3600 s"), 1)
        << console.all();
    ASSERT_FALSE(chip.udp_sent(sntp_socket).empty()) << console.all();
    const auto sntp_request = chip.udp_sent(sntp_socket).back();
    EXPECT_EQ(sntp_request.ip, (std::array<std::uint8_t, 4>{192, 0, 2, 123}));
    EXPECT_EQ(sntp_request.port, 123);
    chip.deliver_udp(sntp_socket, {192, 0, 2, 123}, 123, sntp_reply(sntp_request.payload));
    run_for(app, 100);
    ASSERT_EQ(console.count("network ready"), 1) << console.all();
  }
};

TEST_F(FirmwareAppTest, AbsentChipIsReportedByNameAndRetriedEveryTwoSeconds) {
  chip.absent = true;
  auto app = make_app();
  const auto config = config_for(connection_string);
  ASSERT_TRUE(app->configure(config)) << console.all();
  app->start(clock.now);
  run_for(*app, 5'000);
  EXPECT_GE(console.count("W5100S not responding (VERSIONR=0x00, expected 0x51); retrying in 2 s"), 2) << console.all();
  EXPECT_LE(console.count("W5100S not responding"), 3);
  EXPECT_EQ(console.count("W5100S ready"), 0);
  EXPECT_GE(app->network()->chip_retries(), 2u);
}

TEST_F(FirmwareAppTest, WaitsForTheLinkAndSaysSo) {
  chip.set_link(false);
  auto app = make_app();
  const auto config = config_for(connection_string);
  ASSERT_TRUE(app->configure(config));
  app->start(clock.now);
  run_for(*app, 3'000);
  EXPECT_EQ(console.count("W5100S ready (VERSIONR=0x51), MAC 02:00:5e:10:20:30"), 1) << console.all();
  EXPECT_EQ(console.count("waiting for the Ethernet link"), 1) << console.all();
  EXPECT_TRUE(chip.udp_sent(dhcp_socket).empty());
}

TEST_F(FirmwareAppTest, DhcpSntpThenTcpAndTheFirstTlsRecordToTheHub) {
  auto app = make_app();
  const auto config = config_for(connection_string);
  ASSERT_TRUE(app->configure(config)) << console.all();
  ASSERT_TRUE(app->tls_available());
  app->start(clock.now);
  bring_up_network(*app);
  run_for(*app, 100);
  EXPECT_EQ(console.count("connecting to 192.0.2.1:8883 (192.0.2.1), TLS 1.2"), 1) << console.all();
  EXPECT_EQ(chip.status(hub_socket), 0x15) << "SYN sent (SOCK_SYNSENT)";
  chip.establish(hub_socket);
  run_for(*app, 200);
  const auto& sent = chip.tcp_sent(hub_socket);
  ASSERT_GE(sent.size(), 5u) << console.all();
  EXPECT_EQ(sent[0], 0x16) << "a TLS handshake record (ClientHello)";
  EXPECT_EQ(sent[1], 0x03);
  EXPECT_TRUE(chip.violations().empty()) << chip.violations().front();
}

TEST_F(FirmwareAppTest, LosingTheLinkStartsTheNetworkOver) {
  auto app = make_app();
  const auto config = config_for(connection_string);
  ASSERT_TRUE(app->configure(config));
  app->start(clock.now);
  bring_up_network(*app);
  const auto epoch = app->network()->epoch();
  chip.set_link(false);
  run_for(*app, 600);
  EXPECT_EQ(console.count("Ethernet link lost"), 1) << console.all();
  EXPECT_GT(app->network()->epoch(), epoch);
  EXPECT_FALSE(app->network()->ready());
}

TEST_F(FirmwareAppTest, FailedEntropyBlocksTlsButNotTheNetwork) {
  entropy.state = platform::EntropyHealth::failed_repetition;
  auto app = make_app();
  const auto config = config_for(connection_string);
  ASSERT_TRUE(app->configure(config));
  EXPECT_FALSE(app->tls_available());
  EXPECT_EQ(console.count("TLS blocked: the entropy source FAILED (repetition count"), 1) << console.all();
  app->start(clock.now);
  bring_up_network(*app);
  run_for(*app, 2'000);
  EXPECT_EQ(console.count("not connecting to the hub: TLS is blocked"), 1) << console.all();
  EXPECT_EQ(console.count("hub connection: "), 0) << console.all();
  EXPECT_TRUE(chip.tcp_sent(hub_socket).empty()) << "no TLS without entropy";
}

TEST_F(FirmwareAppTest, RefusesAConnectionStringWithoutAKey) {
  auto app = make_app();
  const auto config = config_for(
      "HostName=hub.example;DeviceId=board1;SharedAccessSignature=SharedAccessSignature "
      "sr=hub.example%2Fdevices%2Fboard1&sig=abc%3D&se=1");
  EXPECT_FALSE(app->configure(config));
  EXPECT_GE(console.count("config: the connection string cannot be used"), 1) << console.all();
}

TEST_F(FirmwareAppTest, AnErasedConfigSectorIsOneLineThatSaysHowToReprovision) {
  const std::vector<std::uint8_t> erased(provisioning::config_sector_size, 0xFF);
  EXPECT_FALSE(load_config(erased, console).has_value());
  ASSERT_EQ(console.lines.size(), 1u) << console.all();
  EXPECT_EQ(console.lines[0].rfind("config error: no config block (flash erased): this board was never provisioned. "
                                   "Not connecting. Re-provision the board: picohub board uf2 --connection-string ",
                                   0),
            0u)
      << console.lines[0];
  EXPECT_NE(console.lines[0].find("-o board.uf2, then flash board.uf2"), std::string::npos) << console.lines[0];
}

TEST_F(FirmwareAppTest, ADamagedConfigBlockIsOneLineWithTheCrcAndTheRemedy) {
  auto config = config_for(connection_string);
  std::vector<std::uint8_t> block(provisioning::config_block_size(config));
  ASSERT_TRUE(provisioning::encode_config_block(config, block).has_value());
  block.back() ^= 0x20;
  EXPECT_FALSE(load_config(block, console).has_value());
  ASSERT_EQ(console.lines.size(), 1u) << console.all();
  EXPECT_EQ(console.lines[0].rfind("config error: config block CRC mismatch (stored 0x", 0), 0u) << console.lines[0];
  EXPECT_NE(console.lines[0].find("Re-provision the board: picohub board uf2"), std::string::npos) << console.lines[0];
}

TEST_F(FirmwareAppTest, AGoodConfigBlockLoadsSilentlyAndItsTokenLifetimeIsUsed) {
  auto config = config_for(connection_string);
  config.sas_ttl_s = 30;
  std::vector<std::uint8_t> block(provisioning::config_block_size(config));
  ASSERT_TRUE(provisioning::encode_config_block(config, block).has_value());
  const auto loaded = load_config(block, console);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_TRUE(console.lines.empty()) << console.all();
  EXPECT_EQ(loaded->sas_ttl_s, 30u);
  auto app = make_app();
  ASSERT_TRUE(app->configure(*loaded));
  EXPECT_EQ(console.count("config: device board1 on 192.0.2.1:8883, telemetry every 5 s, SAS token 30 s, MAC "), 1)
      << console.all();
}

TEST_F(FirmwareAppTest, NoTelemetryIsMadeBeforeTheFirstConnection) {
  auto app = make_app();
  ASSERT_TRUE(app->configure(config_for(connection_string)));
  app->start(clock.now);
  bring_up_network(*app);
  run_for(*app, 12'000);  // the hub never answers: TCP stays unconnected
  EXPECT_FALSE(app->telemetry_running());
  EXPECT_EQ(console.count("Sending message"), 0) << console.all();
}

}  // namespace
}  // namespace picohub::firmware
