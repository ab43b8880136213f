// HubConnection: the board's thin shell around the portable connection core. device::ConnectionSupervisor
// decides when to open, close and retry (board policy: back off 1 s -> 2 min with jitter and never give up;
// refused credentials -> resync the clock, retry after 1 min, back off to 30 min); this class carries each
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
#include "netstack/ipv4.hpp"
#include "network_bringup.hpp"
#include "platform/clock.hpp"
#include "tls/session.hpp"

namespace picohub::firmware {

enum class HubPhase : std::uint8_t { idle, wait_network, resolving, handshaking, mqtt_connecting, up, closing };

struct HubTls {
  const mbedtls_ssl_config* config = nullptr;  // nullptr: TLS cannot run (the entropy source failed)
  tls::SessionStorage* storage = nullptr;
};

class HubConnection {
 public:
  HubConnection(iothub::DeviceClient& client, NetworkBringup& network, w5100s::Chip& chip, const platform::Clock& clock,
                const platform::UnixClock& unix_clock, HubTls tls, device::ConsoleSink& console,
                device::DeviceEventSink& events, netstack::RandomSource random) noexcept;
  HubConnection(const HubConnection&) = delete;
  HubConnection& operator=(const HubConnection&) = delete;

  // "host" or "host:port" (the connection string's GatewayHostName or HostName); port 8883 by default.
  // Errc::invalid_argument when it cannot be used (too long, bad port).
  Result<void> set_endpoint(std::string_view endpoint) noexcept;

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
  void poll_session(std::uint64_t now_ms) noexcept;
  void close_transport() noexcept;
  void lost(device::LossReason reason, std::string_view detail, std::uint64_t now_ms) noexcept;
  // `words`: the hub's refusal as a sentence that says what to check (iothub::describe_connack), if it sent one.
  void refused(device::RefusalReason reason, std::uint64_t now_ms, const char* words = nullptr) noexcept;
  std::uint64_t unix_now(std::uint64_t now_ms) const noexcept;

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

  std::array<char, 128> host_{};  // NUL-terminated: TLS sends it as SNI and checks the certificate against it
  std::size_t host_length_ = 0;
  std::uint16_t port_ = 8883;

  HubPhase phase_ = HubPhase::idle;
  bool progress_ = false;  // the last poll moved something: come back at once
  std::uint32_t network_epoch_ = 0;
  std::uint64_t handshake_started_ms_ = 0;
  std::uint32_t longest_step_ms_ = 0;
  std::uint32_t refusals_ = 0;  // in a row; a connection resets it
};

}  // namespace picohub::firmware
