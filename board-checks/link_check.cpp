// The board link check: exercise what the firmware will link — mbedTLS's TLS 1.2 client set up on a static
// arena with the built-in trust store, and the sans-I/O MQTT and IoT Hub cores — so the post-build symbol check
// sees the real dependency graph. Nothing here runs on hardware; it must link with no heap and no throw.
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/memory_buffer_alloc.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <array>
#include <cstdint>
#include <cstring>

#include "net/transport.hpp"
#include "net/trust_store.hpp"

#if defined(PICOHUB_HAVE_MQTT)
#include "mqtt/session.hpp"
#endif
#if defined(PICOHUB_HAVE_IOTHUB)
#include "iothub/sas_token.hpp"
#endif
#if defined(PICOHUB_HAVE_DEVICE)
#include "device/connection_supervisor.hpp"
#include "device/pump.hpp"
#include "device/tutorial_app.hpp"
#include "iothub/connection_string.hpp"
#endif

namespace {

// Every mbedtls_calloc lands here (MBEDTLS_MEMORY_BUFFER_ALLOC_C); sized for one TLS session with a 16 KiB
// input record and a 4 KiB output record, certificate chain parsing and RSA-4096 verification.
alignas(8) unsigned char tls_arena[56 * 1024];

volatile std::uint32_t sink;

// Placeholder entropy source; the firmware supplies the RP2040 ROSC-based one.
int fake_entropy(void*, unsigned char* out, std::size_t len, std::size_t* produced) {
  for (std::size_t i = 0; i < len; ++i) out[i] = static_cast<unsigned char>(sink + i);
  *produced = len;
  return 0;
}

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

int bio_send(void* ctx, const unsigned char* buf, std::size_t len) {
  auto n = static_cast<picohub::net::Transport*>(ctx)->write(std::span<const std::uint8_t>(buf, len));
  return n ? static_cast<int>(*n) : MBEDTLS_ERR_SSL_WANT_WRITE;
}

int bio_recv(void* ctx, unsigned char* buf, std::size_t len) {
  auto n = static_cast<picohub::net::Transport*>(ctx)->read(std::span<std::uint8_t>(buf, len));
  return n ? static_cast<int>(*n) : MBEDTLS_ERR_SSL_WANT_READ;
}

int tls_client_setup() {
  mbedtls_memory_buffer_alloc_init(tls_arena, sizeof tls_arena);
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_x509_crt ca;
  mbedtls_ssl_config conf;
  mbedtls_ssl_context ssl;
  mbedtls_entropy_init(&entropy);
  mbedtls_ctr_drbg_init(&drbg);
  mbedtls_x509_crt_init(&ca);
  mbedtls_ssl_config_init(&conf);
  mbedtls_ssl_init(&ssl);

  int rc = mbedtls_entropy_add_source(&entropy, fake_entropy, nullptr, 32, MBEDTLS_ENTROPY_SOURCE_STRONG);
  if (rc == 0) rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0);
  for (const auto& root : picohub::net::builtin_roots()) {
    if (rc == 0)
      rc = mbedtls_x509_crt_parse(&ca, reinterpret_cast<const unsigned char*>(root.pem), std::strlen(root.pem) + 1);
  }
  if (rc == 0)
    rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                     MBEDTLS_SSL_PRESET_DEFAULT);
  mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_ca_chain(&conf, &ca, nullptr);
  mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
  NullTransport transport;
  if (rc == 0) rc = mbedtls_ssl_setup(&ssl, &conf);
  if (rc == 0) rc = mbedtls_ssl_set_hostname(&ssl, "picohub.azure-devices.net");
  mbedtls_ssl_set_bio(&ssl, &transport, bio_send, bio_recv, nullptr);
  // The firmware's main loop calls this once per turn until the handshake is over.
  while (rc == 0 && !mbedtls_ssl_is_handshake_over(&ssl)) rc = mbedtls_ssl_handshake_step(&ssl);
  unsigned char app[64];
  if (rc == 0) rc = mbedtls_ssl_write(&ssl, app, sizeof app);
  if (rc >= 0) rc = mbedtls_ssl_read(&ssl, app, sizeof app);
  sink = mbedtls_ssl_get_verify_result(&ssl);

  mbedtls_ssl_free(&ssl);
  mbedtls_ssl_config_free(&conf);
  mbedtls_x509_crt_free(&ca);
  mbedtls_ctr_drbg_free(&drbg);
  mbedtls_entropy_free(&entropy);
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
  (void)session.publish("devices/picohub-board/messages/events/", payload, picohub::mqtt::QoS::at_least_once, false,
                        2);
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

int device_core(picohub::net::Transport& transport) {
  auto identity = picohub::iothub::parse_connection_string(
      "HostName=picohub.azure-devices.net;DeviceId=picohub-board;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  if (!identity) return -1;
  picohub::iothub::DeviceClient client(device_memory.view(), *identity, {});
  DeviceParts parts;
  picohub::device::TutorialApp app(client, parts, parts, device_line, {});
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
  int result = tls_client_setup();
#if defined(PICOHUB_HAVE_MQTT)
  result += mqtt_core();
#endif
#if defined(PICOHUB_HAVE_IOTHUB)
  result += iothub_core();
#endif
#if defined(PICOHUB_HAVE_DEVICE)
  NullTransport transport;
  result += device_core(transport);
#endif
  sink = static_cast<std::uint32_t>(result);
  return result;
}
