// The board link check: exercise what the firmware will link — the portable TLS session (src/tls) with the
// device client configuration, CTR_DRBG fed by a platform::Entropy, the built-in trust store plus a provisioned
// CA, all on a static arena, and the sans-I/O MQTT and IoT Hub cores — so the post-build symbol check sees the
// real dependency graph. Nothing here runs on hardware; it must link with no heap and no throw.
#include <mbedtls/memory_buffer_alloc.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>

#include "net/transport.hpp"
#include "net/trust_store.hpp"
#include "platform/entropy.hpp"
#include "tls/client_config.hpp"
#include "tls/entropy_drbg.hpp"
#include "tls/session.hpp"
#include "tls/trust_anchors.hpp"
#include "tls/unix_time.hpp"

#if defined(PICOHUB_HAVE_MQTT)
#include "mqtt/session.hpp"
#endif
#if defined(PICOHUB_HAVE_IOTHUB)
#include "iothub/sas_token.hpp"
#endif
#if defined(PICOHUB_HAVE_NETSTACK)
#include "netstack/dhcp_client.hpp"
#include "netstack/dns_resolver.hpp"
#include "netstack/sntp_client.hpp"
#endif
#if defined(PICOHUB_HAVE_PROVISIONING)
#include "provisioning/config_block.hpp"
#endif
#if defined(PICOHUB_HAVE_W5100S)
#include "drivers/w5100s/tcp_transport.hpp"
#include "drivers/w5100s/udp_socket.hpp"
#endif
#if defined(PICOHUB_HAVE_DEVICE)
#include "device/connection_supervisor.hpp"
#include "device/pump.hpp"
#include "device/tutorial_app.hpp"
#include "iothub/connection_string.hpp"
#endif

namespace {

// Every mbedtls_calloc lands here (MBEDTLS_MEMORY_BUFFER_ALLOC_C); sized for one TLS session with a 16 KiB
// input record and a 4 KiB output record, the trust anchors, certificate chain parsing and RSA-4096 verification.
alignas(8) unsigned char tls_arena[56 * 1024];

volatile std::uint32_t sink;
volatile std::int64_t unix_now;  // what SNTP would have set; 0 = unknown

// Placeholder entropy source; the firmware supplies the RP2040 ROSC-based one behind its health tests.
class PlaceholderEntropy final : public picohub::platform::Entropy {
 public:
  picohub::Result<void> fill(std::span<std::uint8_t> out) override {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(sink + i);
    return {};
  }
  picohub::platform::EntropyHealth health() const noexcept override { return picohub::platform::EntropyHealth::ok; }
};

// A Transport implementation compiled for the board proves the interface needs nothing host-only.
class NullTransport final : public picohub::net::Transport {
 public:
  picohub::Result<bool> poll_connect() override { return true; }
  picohub::Result<std::size_t> read(std::span<std::uint8_t>) override {
    return picohub::fail(picohub::Errc::would_block, "no data");
  }
  picohub::Result<std::size_t> write(std::span<const std::uint8_t> data) override { return data.size(); }
  void close() override {}
  picohub::net::Wait wants() const override { return picohub::net::Wait::readable; }
};

bool board_unix_time(std::int64_t& now) {
  now = unix_now;
  return now != 0;
}

// What the firmware keeps in static storage for TLS.
struct BoardTls {
  PlaceholderEntropy entropy;
  picohub::tls::EntropyDrbg drbg;
  mbedtls_x509_crt anchors;
  mbedtls_ssl_config conf;
  picohub::tls::SessionStorage storage;
};
BoardTls board_tls;

// A provisioned CA as the config block would carry it (here: nothing but a NUL, which fails to parse).
const std::uint8_t provisioned_ca[] = {0};

int tls_client() {
  mbedtls_memory_buffer_alloc_init(tls_arena, sizeof tls_arena);
  BoardTls& t = board_tls;
  mbedtls_x509_crt_init(&t.anchors);
  mbedtls_ssl_config_init(&t.conf);
  int rc = -1;
  picohub::tls::ClientConfigParams params;
  params.random = &picohub::tls::EntropyDrbg::random;
  params.random_state = &t.drbg;
  params.trust_anchors = &t.anchors;
  params.unix_time = &board_unix_time;
  if (t.drbg.seed(t.entropy, "picohub board") &&
      picohub::tls::load_trust_anchors(
          t.anchors, picohub::net::builtin_roots_der(),
          sink != 0 ? std::span<const std::uint8_t>(provisioned_ca) : std::span<const std::uint8_t>()) &&
      picohub::tls::setup_client_config(t.conf, params)) {
    NullTransport transport;
    std::optional<picohub::tls::Session> session;  // one per connection, on the same storage
    session.emplace(t.storage, &t.conf, transport, picohub::tls::SessionOptions{"picohub.azure-devices.net"});
    // The firmware's main loop calls this once per turn until the handshake is over.
    picohub::Result<bool> up = false;
    for (int turn = 0; turn < 64 && up && !*up; ++turn) up = session->poll_connect();
    if (up && *up) {
      std::uint8_t app[64] = {};
      auto w = session->write(app);
      auto r = session->read(app);
      rc = (w ? 1 : 0) + (r ? 2 : 0);
    } else if (!up) {
      sink = static_cast<std::uint32_t>(up.error().code);
    }
    sink = sink + static_cast<std::uint32_t>(std::strlen(session->ciphersuite()));
    session.reset();
  }
  mbedtls_ssl_config_free(&t.conf);
  mbedtls_x509_crt_free(&t.anchors);
  mbedtls_memory_buffer_alloc_free();
  return rc;
}

#if defined(PICOHUB_HAVE_MQTT)
picohub::mqtt::StaticSessionMemory<1024, 2048, 4, 512> mqtt_memory;

int mqtt_core() {
  picohub::mqtt::Session session(mqtt_memory.view(), picohub::mqtt::SessionOptions{});
  picohub::mqtt::ConnectOptions options{};
  options.client_id = "picohub-board";
  if (!session.connect(options, 0)) return -1;
  const std::uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
  (void)session.receive(connack, 1);
  int events = 0;
  while (session.poll_event()) ++events;
  const std::uint8_t payload[] = {'{', '}'};
  (void)session.publish("devices/picohub-board/messages/events/", payload, picohub::mqtt::QoS::at_least_once, false, 2);
  session.on_time(60'000);
  return events;
}
#endif

#if defined(PICOHUB_HAVE_IOTHUB)
int iothub_core() {
  char token[256];
  picohub::iothub::SasTokenRequest request;
  request.resource = "picohub.azure-devices.net/devices/picohub-board";
  request.key_base64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  request.expiry_unix = 1'700'000'000u + sink;
  auto t = picohub::iothub::make_sas_token(request, token);
  return t ? static_cast<int>(t->size()) : -1;
}
#endif

#if defined(PICOHUB_HAVE_NETSTACK)
std::uint32_t link_check_random(void*) { return sink * 1103515245u + 12345u; }

// DHCP -> DNS -> SNTP as the firmware drives them: every entry point once, replies fed from a volatile-backed buffer.
int netstack_core() {
  namespace ns = picohub::netstack;
  static std::uint8_t datagram[ns::dhcp_message_capacity];
  const ns::RandomSource random{link_check_random, nullptr};
  int sent = 0;
  const auto count = [&sent](std::optional<ns::OutgoingDatagram> d) { sent += d ? 1 : 0; };

  ns::DhcpClient dhcp(ns::DhcpConfig{{0x02, 0, 0, 0, 0, 1}, "picohub-board", random});
  dhcp.start(0);
  count(dhcp.poll_datagram(datagram));
  (void)dhcp.on_datagram(std::span(datagram, sink % sizeof datagram), ns::Ipv4{}, 67, 10);
  dhcp.on_time(dhcp.next_deadline_ms());
  while (dhcp.poll_event()) ++sent;
  if (sink == 7) dhcp.start_static(ns::DhcpLease{}, 0);

  ns::DnsResolver dns(ns::DnsConfig{random});
  dns.start(20, "picohub.azure-devices.net", ns::Ipv4{{192, 0, 2, 53}});
  count(dns.poll_datagram(datagram));
  (void)dns.on_datagram(std::span(datagram, sink % sizeof datagram), ns::Ipv4{{192, 0, 2, 53}}, 53, 30);
  dns.on_time(dns.next_deadline_ms());

  ns::SntpClient sntp(ns::SntpConfig{random});
  sntp.start(40, dns.address());
  count(sntp.poll_datagram(datagram));
  (void)sntp.on_datagram(std::span(datagram, sink % sizeof datagram), dns.address(), 123, 50);
  sntp.on_time(sntp.next_deadline_ms());
  sntp.request_resync(60);
  if (auto sync = sntp.poll_sync()) sent += static_cast<int>(sync->unix_ms & 1);
  char text[ns::ipv4_text_capacity];
  sent += static_cast<int>(ns::format_ipv4(dns.address(), text));
  return sent;
}
#endif

#if defined(PICOHUB_HAVE_PROVISIONING)
// The firmware decodes its config block in place from flash; here from a RAM stand-in.
std::uint8_t config_sector[64];
int provisioning_core() {
  config_sector[0] = static_cast<std::uint8_t>(sink);
  char message[96];
  const auto config = picohub::provisioning::decode_config_block(config_sector);
  if (config) return static_cast<int>(config->telemetry_interval_ms);
  return static_cast<int>(picohub::provisioning::describe(config.error(), message).size());
}
#endif

#if defined(PICOHUB_HAVE_W5100S)
// Stand-ins for the RP2040 SPI0 and RSTn GPIO: reads come back as the volatile sink.
class SinkSpi final : public picohub::platform::SpiBus {
 public:
  void transaction(std::span<const std::uint8_t>, std::span<const std::uint8_t> out,
                   std::span<std::uint8_t> in) override {
    for (auto b : out) sink = sink + b;
    for (auto& b : in) b = static_cast<std::uint8_t>(sink);
  }
};
class SinkPin final : public picohub::platform::DigitalOut {
 public:
  void write(bool high) override { sink = sink + (high ? 1u : 0u); }
};
int w5100s_driver() {
  SinkSpi spi;
  SinkPin reset_n;
  picohub::w5100s::Chip chip(spi, reset_n);
  chip.begin_reset(sink);
  auto ready = chip.poll_reset(sink + 200u);
  char line[64];
  int result = static_cast<int>(chip.describe_reset_failure(line));
  if (!ready || !chip.configure(picohub::w5100s::ChipConfig{})) return result;
  picohub::w5100s::UdpSocket udp(chip, 1);
  std::uint8_t datagram[548];
  if (udp.open(68)) {
    (void)udp.send_to({{255, 255, 255, 255}, 67}, datagram);
    if (auto got = udp.receive(datagram)) result += static_cast<int>(got->size);
  }
  picohub::w5100s::W5100sTcpTransport tcp(chip, 0);
  if (tcp.start_connect({192, 0, 2, 1}, 8883) && tcp.poll_connect()) {
    (void)tcp.write(datagram);
    if (auto got = tcp.read(datagram)) result += static_cast<int>(*got);
  }
  tcp.close();
  return result;
}
#endif

#if defined(PICOHUB_HAVE_DEVICE)
// The firmware's main loop in miniature: supervisor actions, one pump step, the tutorial app on top.
struct DeviceParts final : picohub::device::DeviceEventSink, picohub::device::Sensor, picohub::device::ConsoleSink {
  picohub::device::TutorialApp* app = nullptr;
  void on_device_event(const picohub::iothub::DeviceEvent& event) override {
    if (app != nullptr) app->on_event(event);
  }
  picohub::Result<picohub::device::SensorReading> read() override {
    return picohub::device::SensorReading{static_cast<std::int32_t>(sink), false, 0};
  }
  void write_line(std::string_view line) override { sink = sink + static_cast<std::uint32_t>(line.size()); }
};

picohub::iothub::StaticDeviceClientMemory<2048, 2048, 4, 512> device_memory;
std::array<std::uint8_t, 1024> device_read_buffer;
std::array<char, 256> device_line;
std::array<picohub::device::QueuedTelemetry, 16> device_queue;

int device_core(picohub::net::Transport& transport) {
  auto identity = picohub::iothub::parse_connection_string(
      "HostName=picohub.azure-devices.net;DeviceId=picohub-board;SharedAccessKey="
      "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  if (!identity) return -1;
  picohub::iothub::DeviceClient client(device_memory.view(), *identity, {});
  DeviceParts parts;
  picohub::device::TutorialApp app(client, parts, parts, device_line, device_queue, {});
  parts.app = &app;
  picohub::device::ConnectionSupervisor supervisor(picohub::device::board_policy());
  picohub::device::Pump pump(device_read_buffer);
  supervisor.start(0);
  int actions = 0;
  for (std::uint64_t now = 0; now < 3; ++now) {
    while (supervisor.poll_action(now, sink) != picohub::device::SupervisorAction::none) ++actions;
    if (now == 0) (void)client.connect(now, 1'700'000'000u);
    auto report = pump.step(transport, client, parts, now, 1'700'000'000u);
    if (report.lost) supervisor.on_lost(report.loss, now, sink);
    (void)app.on_time(now);
  }
  return actions + static_cast<int>(supervisor.next_deadline_ms() & 0xff);
}
#endif

}  // namespace

int picohub_board_link_check() {
  int result = tls_client();
#if defined(PICOHUB_HAVE_MQTT)
  result += mqtt_core();
#endif
#if defined(PICOHUB_HAVE_IOTHUB)
  result += iothub_core();
#endif
#if defined(PICOHUB_HAVE_NETSTACK)
  result += netstack_core();
#endif
#if defined(PICOHUB_HAVE_PROVISIONING)
  result += provisioning_core();
#endif
#if defined(PICOHUB_HAVE_W5100S)
  result += w5100s_driver();
#endif
#if defined(PICOHUB_HAVE_DEVICE)
  NullTransport transport;
  result += device_core(transport);
#endif
  sink = static_cast<std::uint32_t>(result);
  return result;
}
