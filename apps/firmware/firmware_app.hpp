// FirmwareApp: the tutorial's device, as the board runs it, over the portable interfaces only (Clock, Entropy,
// SpiBus, DigitalOut, a console and a sensor), so the same object runs on the RP2040 and in host tests:
//
//   config block -> W5100S -> link -> DHCP -> SNTP -> DNS -> TLS -> CONNECT -> telemetry every N s; C2D printed
//
// It owns the W5100S driver, the network bring-up, the TLS configuration (seeded from the health-tested entropy
// source: a failing source blocks TLS and nothing else), the IoT Hub client and the tutorial application. All of
// its memory is inside the object: the board keeps one in static storage.
#pragma once

#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "device/pump.hpp"
#include "device_certificate.hpp"
#include "device/tutorial_app.hpp"
#include "drbg_entropy.hpp"
#include "drivers/w5100s/chip.hpp"
#include "hub_connection.hpp"
#include "iothub/connection_string.hpp"
#include "iothub/device_client.hpp"
#include "iothub/dps_client.hpp"
#include "network_bringup.hpp"
#include "platform/clock.hpp"
#include "platform/entropy.hpp"
#include "platform/spi_bus.hpp"
#include "provisioning/config_block.hpp"
#include "tls/entropy_drbg.hpp"
#include "tls/session.hpp"

namespace picohub::firmware {

// The provisioned block in `flash` (the config sector), or nothing after ONE console line that says what is
// wrong with it and how to re-provision the board. The result's views point into `flash`.
std::optional<provisioning::DeviceConfig> load_config(std::span<const std::uint8_t> flash,
                                                      device::ConsoleSink& console) noexcept;

struct FirmwarePorts {
  platform::Clock& clock;
  platform::Entropy& entropy;
  platform::SpiBus& w5100s_spi;
  platform::DigitalOut& w5100s_reset;
  device::ConsoleSink& console;
  device::Sensor& sensor;
  device::C2dListener& c2d;                  // the board toggles its LED
  device::DeviceControl* control = nullptr;  // set: twin + direct methods (blink, getStatus, reboot) are on
};

// The board's IoT Hub client memory: a C2D message or twin document larger than rx is dropped and counted.
// A method's answer (getStatus is the longest, ~260 bytes) gets 384.
using BoardClientMemory = iothub::StaticDeviceClientMemory<2048, 2048, 4, 512, 1024, 512, 512, 16, 384>;

// DPS registration memory: CONNECT with its SAS token, one request, one answer (the assigned answer ~400 B).
using BoardDpsMemory = iothub::StaticDpsClientMemory<512, 1024, 448, 160>;

class FirmwareApp final : private device::DeviceEventSink, private DpsAssignmentListener {
 public:
  explicit FirmwareApp(const FirmwarePorts& ports) noexcept;
  ~FirmwareApp();
  FirmwareApp(const FirmwareApp&) = delete;
  FirmwareApp& operator=(const FirmwareApp&) = delete;

  // Takes the provisioned configuration (its views must outlive the app: they point into flash). Prints what
  // is wrong and returns false when the device cannot run with it.
  bool configure(const provisioning::DeviceConfig& config) noexcept;
  void start(std::uint64_t now_ms) noexcept;
  void poll(std::uint64_t now_ms) noexcept;
  std::uint64_t next_deadline_ms() const noexcept;

  const NetworkBringup* network() const noexcept { return network_ ? &*network_ : nullptr; }
  const HubConnection* hub() const noexcept { return hub_ ? &*hub_ : nullptr; }
  const device::TutorialApp* tutorial() const noexcept { return app_ ? &*app_ : nullptr; }
  bool tls_available() const noexcept { return tls_ready_; }
  // Telemetry runs from the first connection on, through outages (see poll()).
  bool telemetry_running() const noexcept;
  // For getStatus: "ip":"a.b.c.d","hubUp":true,"hubConnections":N (bytes written, at most out.size()).
  std::size_t link_status_members(std::span<char> out) const noexcept;
  // Nothing left for the pump to write (a method's answer is out of the client, on its way to the W5100S).
  bool output_flushed() const noexcept { return !client_ || client_->pending_output().empty(); }

 private:
  void on_device_event(const iothub::DeviceEvent& event) override;
  Result<std::string_view> on_assigned(const iothub::DpsAssigned& assigned) noexcept override;
  bool configure_identity(const provisioning::DeviceConfig& config) noexcept;
  void setup_tls(const provisioning::DeviceConfig& config) noexcept;
  static std::uint32_t next_random(void* self) noexcept;
  static bool unix_time_now(std::int64_t& unix_s);

  FirmwarePorts ports_;
  platform::UnixClock unix_clock_;
  std::uint32_t prng_state_ = 0x9E37'79B9u;  // xorshift32 for ids and jitter (seeded from entropy when healthy)
  w5100s::Chip chip_;

  // TLS: configuration, trust anchors and random generator shared by every session; one session's state.
  tls::EntropyDrbg drbg_;
  DrbgEntropy ws_entropy_{drbg_};  // WebSocket key and masks
  mbedtls_x509_crt trust_anchors_;
  DeviceCertificate own_certificate_;  // x509=true
  mbedtls_ssl_config tls_config_;
  tls::SessionStorage tls_session_{};
  bool tls_ready_ = false;

  iothub::ConnectionString identity_{};
  // DPS: the registration (views into the config in flash), its client, and the assignment's names.
  iothub::DpsRegistration dps_registration_{};
  BoardDpsMemory dps_memory_{};
  std::optional<iothub::DpsClient> dps_;
  std::array<char, 192> assigned_names_{};  // assigned hub (host[:port]) then device id
  BoardClientMemory client_memory_{};
  std::array<char, 160> line_buffer_{};
  // The most the config may ask for; it chooses how many of these the app uses.
  std::array<device::QueuedTelemetry, provisioning::max_telemetry_queue> telemetry_queue_{};
  std::optional<iothub::DeviceClient> client_;
  std::optional<NetworkBringup> network_;
  std::optional<HubConnection> hub_;
  std::optional<device::TutorialApp> app_;
};

}  // namespace picohub::firmware
