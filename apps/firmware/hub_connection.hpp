// HubConnection: the board's thin shell around the portable connection core. device::ConnectionSupervisor
// decides when to open, close and retry (board policy: back off 1 s -> 2 min with jitter and never give up;
// refused credentials -> resync the clock, retry after 1 min, back off to 30 min; with DPS, register again after
// two refusals in a row); this class carries each
// decision out with the board's pieces — the hub's name through NetworkBringup's DNS, TCP on W5100S socket 0, the
// stepped tls::Session, DeviceClient::connect — and moves bytes with device::Pump. One TLS handshake step per
// poll(), so the main loop feeds the watchdog between steps; the longest step is measured and reported.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "device/connection_supervisor.hpp"
#include "device/pump.hpp"
#include "device/tutorial_app.hpp"
#include "drivers/w5100s/tcp_transport.hpp"
#include "iothub/device_client.hpp"
#include "iothub/dps_client.hpp"
#include "netstack/ipv4.hpp"
#include "network_bringup.hpp"
#include "platform/clock.hpp"
#include "tls/session.hpp"
#include "websocket/websocket_transport.hpp"

namespace picohub::firmware {

// registering: connected to DPS (its own TLS connection), waiting for the assignment. upgrading: TLS is up and
// the WebSocket upgrade to /$iothub/websocket is under way (MQTT over WebSockets only).
enum class HubPhase : std::uint8_t {
  idle,
  wait_network,
  resolving,
  handshaking,
  upgrading,
  registering,
  mqtt_connecting,
  up,
  closing
};

// Told when DPS assigned a hub: makes the client's identity from it and returns the endpoint ("host[:port]") to
// connect to, or an error that fails the attempt.
class DpsAssignmentListener {
 public:
  virtual Result<std::string_view> on_assigned(const iothub::DpsAssigned& assigned) noexcept = 0;

 protected:
  ~DpsAssignmentListener() = default;
};

struct HubTls {
  const mbedtls_ssl_config* config = nullptr;  // nullptr: TLS cannot run (the entropy source failed)
  tls::SessionStorage* storage = nullptr;
};

class HubConnection final : private device::DpsEventSink {
 public:
  HubConnection(iothub::DeviceClient& client, NetworkBringup& network, w5100s::Chip& chip, const platform::Clock& clock,
                const platform::UnixClock& unix_clock, HubTls tls, device::ConsoleSink& console,
                device::DeviceEventSink& events, netstack::RandomSource random) noexcept;
  HubConnection(const HubConnection&) = delete;
  HubConnection& operator=(const HubConnection&) = delete;

  // "host" or "host:port" (the connection string's GatewayHostName or HostName); port 8883 by default.
  // Errc::invalid_argument when it cannot be used (too long, bad port).
  Result<void> set_endpoint(std::string_view endpoint) noexcept;

  // Register with DPS before the first hub connection: each attempt goes to `dps_endpoint` ("host[:port]",
  // checked by the config) until DPS assigns a hub; a failed registration is a loss or a refusal for the same
  // supervisor as the hub's. Once assigned, reconnects go to the assigned hub.
  void use_dps(iothub::DpsClient& dps, std::string_view dps_endpoint, DpsAssignmentListener& listener) noexcept;

  // MQTT over WebSockets to DPS and to the hub: wss://host:port/$iothub/websocket, subprotocol mqtt, on `port`
  // whatever port an endpoint names (that one is MQTT's). `entropy` makes the upgrade key and the frame masks.
  // Call before set_endpoint().
  void use_websocket(std::uint16_t port, platform::Entropy& entropy) noexcept;

  void start(std::uint64_t now_ms) noexcept;
  void poll(std::uint64_t now_ms) noexcept;
  std::uint64_t next_deadline_ms() const noexcept;

  HubPhase phase() const noexcept { return phase_; }
  bool up() const noexcept { return phase_ == HubPhase::up; }
  std::uint32_t longest_handshake_step_ms() const noexcept { return longest_step_ms_; }
  std::uint32_t refusals_in_a_row() const noexcept { return refusals_; }
  const device::ConnectionSupervisor& supervisor() const noexcept { return supervisor_; }

 private:
  void run_supervisor(std::uint64_t now_ms) noexcept;
  void begin_attempt() noexcept;
  void poll_resolving(std::uint64_t now_ms) noexcept;
  void poll_handshake(std::uint64_t now_ms) noexcept;
  void poll_upgrade(std::uint64_t now_ms) noexcept;
  // The MQTT CONNECT over link(): DPS's while registering, else the hub's.
  void start_mqtt(std::uint64_t now_ms) noexcept;
  // What the MQTT session talks through: the WebSocket over TLS, or TLS itself.
  net::Transport& link() noexcept { return ws_ ? static_cast<net::Transport&>(*ws_) : *session_; }
  void poll_session(std::uint64_t now_ms) noexcept;
  void poll_registration(std::uint64_t now_ms) noexcept;
  void on_dps_event(const iothub::DpsEvent& event) override;
  bool registering() const noexcept { return dps_ != nullptr && dps_->state() != iothub::DpsClientState::assigned; }
  void close_transport() noexcept;
  void lost(device::LossReason reason, std::string_view detail, std::uint64_t now_ms) noexcept;
  // `words`: the hub's refusal as a sentence that says what to check (iothub::describe_connack), if it sent one.
  void refused(device::RefusalReason reason, std::uint64_t now_ms, const char* words = nullptr) noexcept;
  std::uint64_t unix_now(std::uint64_t now_ms) const noexcept;
  // x509=true: the device authenticates with its certificate (no SAS token).
  bool by_certificate() const noexcept { return client_.identity().x509; }

  iothub::DeviceClient& client_;
  NetworkBringup& network_;
  const platform::Clock& clock_;
  const platform::UnixClock& unix_clock_;
  HubTls tls_;
  device::ConsoleSink& console_;
  device::DeviceEventSink& events_;
  netstack::RandomSource random_;
  device::ConnectionSupervisor supervisor_;
  std::array<std::uint8_t, 1024> read_buffer_{};
  device::Pump pump_;
  w5100s::W5100sTcpTransport tcp_;
  std::optional<tls::Session> session_;
  // The upgrade request and answer, then each outgoing frame (a payload of up to 498 bytes per frame).
  std::array<std::uint8_t, 512> ws_buffer_{};
  std::optional<websocket::WebSocketTransport> ws_;
  platform::Entropy* ws_entropy_ = nullptr;
  std::uint16_t ws_port_ = 0;  // 0: MQTT over TLS

  std::array<char, 128> host_{};  // NUL-terminated: TLS sends it as SNI and checks the certificate against it
  std::size_t host_length_ = 0;
  std::uint16_t port_ = 8883;
  std::string_view hub_endpoint_{};  // set_endpoint's, or DPS's assignment
  iothub::DpsClient* dps_ = nullptr;
  std::string_view dps_endpoint_{};
  DpsAssignmentListener* dps_listener_ = nullptr;
  bool dps_refused_ = false;  // the last DPS failure was DPS saying no (enrollment, key): the refusal schedule

  HubPhase phase_ = HubPhase::idle;
  bool progress_ = false;  // the last poll moved something: come back at once
  std::uint32_t network_epoch_ = 0;
  std::uint64_t handshake_started_ms_ = 0;
  std::uint32_t longest_step_ms_ = 0;
  std::uint32_t refusals_ = 0;  // in a row; a connection resets it
};

}  // namespace picohub::firmware
