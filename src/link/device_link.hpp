// DeviceLink: the host's thin shell around the portable device core. device::ConnectionSupervisor decides when
// to open, close and reopen the connection (token renewal, back-off with jitter after a loss, give up after
// max_reconnect_attempts, stop on refused credentials, or for a DPS-provisioned device retry them and register
// again through on_reprovision()); device::Pump moves the bytes between the transport and
// the iothub::DeviceClient. What is left here is host-only: opening a PosixTcp (+ TLS) connection, sleeping in
// poll() until the next I/O or deadline (never past the caller's deadline), and words for the user.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "device/connection_supervisor.hpp"
#include "device/pump.hpp"
#include "iothub/device_client.hpp"
#include "net/connect.hpp"
#include "net/transport.hpp"

namespace picohub::link {

using Clock = std::chrono::steady_clock;

struct LinkOptions {
  std::chrono::milliseconds connect_timeout{15'000};  // TCP + TLS + CONNACK for one attempt
  int max_reconnect_attempts = 5;                     // in a row, after a lost connection (`picohub sim --retries`)
  std::chrono::milliseconds backoff_initial{500};     // back-off grows from here (with jitter) ...
  std::chrono::milliseconds backoff_max{10'000};      // ... to here
  // Provisioned by DPS (`picohub sim --dps`): refused credentials are retried, and after
  // device::dps_reprovision_refusals of them the device registers again (see on_reprovision()).
  bool provisioned = false;
};

// The supervisor policy for these options: device::host_policy() with the caller's numbers.
device::SupervisorPolicy policy_for(const LinkOptions& options) noexcept;

// Progress the user may want to see ("reconnecting in 1.7 s: TLS handshake failed (attempt 1 of 5)").
struct LinkNotice {
  enum class Kind { connecting, renewing_token, connection_lost, reconnecting, refused, reprovisioning } kind;
  std::string text;
};

class DeviceLink final : private device::DeviceEventSink {
 public:
  using EventHandler = std::function<void(const iothub::DeviceEvent&)>;
  using NoticeHandler = std::function<void(const LinkNotice&)>;
  // Registers with DPS again (the assigned hub disowned the device): gives the client its new identity and returns
  // the endpoint of the hub DPS assigned now. `detail` gets the particulars of a failure.
  using ReprovisionHandler = std::function<Result<net::Endpoint>(std::string& detail)>;

  DeviceLink(iothub::DeviceClient& client, net::Endpoint endpoint, LinkOptions options = {});
  ~DeviceLink();

  void on_event(EventHandler handler) { on_event_ = std::move(handler); }
  void on_notice(NoticeHandler handler) { on_notice_ = std::move(handler); }
  void on_reprovision(ReprovisionHandler handler) { on_reprovision_ = std::move(handler); }

  // Opens the connection and waits for the client to be ready (connected and subscribed).
  // Errors: auth_refused (message from the CONNACK, or an expired SharedAccessSignature), certificate_invalid /
  // tls_failure / connect_failed / resolve_failed / timeout (detail() has the particulars). After a failure
  // other than auth_refused the reconnect schedule has begun: run_until() carries on with it.
  Result<void> open();

  // Pumps until done() returns true (checked after every pump step) or `deadline` passes (Errc::timeout).
  // Reconnects as the supervisor says. `deadline` bounds this call only: the reconnect schedule (back-off,
  // attempt count) carries over to the next call, so short deadlines (a send interval) neither reset nor cut
  // it. After max_reconnect_attempts failed attempts it returns the last error's code with a "gave up
  // reconnecting" message, and keeps returning it until open() is called again. One attempt may overrun
  // `deadline` by up to connect_timeout (a TLS handshake is not cut short).
  Result<void> run_until(const std::function<bool()>& done, Clock::time_point deadline);

  // Sends DISCONNECT, flushes it (bounded) and closes the connection.
  void close();

  bool ready() const noexcept { return client_.state() == iothub::DeviceClientState::ready; }
  const std::string& detail() const noexcept { return detail_; }
  int reconnects() const noexcept { return reconnects_; }
  int registrations() const noexcept { return registrations_; }  // DPS registrations after refusals
  const device::ConnectionSupervisor& supervisor() const noexcept { return supervisor_; }

  static std::uint64_t now_ms();
  static std::uint64_t now_unix();

 private:
  void on_device_event(const iothub::DeviceEvent& event) override;
  // Takes every supervisor action due now; an error once it gave up.
  Result<void> take_actions();
  void open_transport();
  void reprovision();  // the registration that stands in for an attempt once the supervisor said reprovision
  void refused(device::RefusalReason reason);
  void close_transport();
  // The connection or the attempt failed: tell the user and the supervisor.
  void lost(const Error& error, device::LossReason reason);
  void announce_retry();  // "reconnecting in ..." once per scheduled retry
  void handle(const device::PumpReport& report);
  // Actions, one pump step, then a sleep until I/O or the nearest deadline (at most `until`).
  Result<void> pump_once(Clock::time_point until);
  void sleep_until(Clock::time_point wake, const device::PumpReport& last);
  Result<void> stopped_error() const;
  void notice(LinkNotice::Kind kind, std::string text);
  std::uint32_t jitter() { return static_cast<std::uint32_t>(random_()); }

  iothub::DeviceClient& client_;
  net::Endpoint endpoint_;
  LinkOptions options_;
  device::ConnectionSupervisor supervisor_;
  std::unique_ptr<net::Transport> transport_;
  std::vector<std::uint8_t> read_buffer_;
  device::Pump pump_;
  std::mt19937 random_;  // jitter: each process picks its own back-off
  EventHandler on_event_;
  NoticeHandler on_notice_;
  ReprovisionHandler on_reprovision_;
  std::string detail_;
  Error last_error_{Errc::connection_closed, "connection lost"};
  bool failure_reported_ = false;  // the current attempt's failure was noted (else the supervisor timed it out)
  bool renewing_ = false;
  bool register_pending_ = false;  // the next attempt registers with DPS first
  bool stopped_ = false;
  bool opening_ = false;   // inside open(): its caller reports a failure, so no notices
  bool announced_ = true;  // the current retry's "reconnecting in" notice was given
  int reconnects_ = 0;
  int registrations_ = 0;
};

}  // namespace picohub::link
