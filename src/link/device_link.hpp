// DeviceLink: the host's I/O pump between an iothub::DeviceClient (sans-I/O) and a real connection
// (PosixTcp, optionally TlsTransport). It owns the reconnect policy a host device needs: token renewal
// (RenewalDue -> close, reopen, reconnect with a fresh SAS token), lost connections (exponential back-off with
// a bounded number of attempts) and refused credentials (stop: retrying a wrong key only gets it throttled).
// It sleeps in poll() until the next I/O or client deadline, never longer than the caller's deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "iothub/device_client.hpp"
#include "net/connect.hpp"
#include "net/transport.hpp"

namespace picohub::link {

using Clock = std::chrono::steady_clock;

struct LinkOptions {
  std::chrono::milliseconds connect_timeout{15'000};  // TCP + TLS + CONNACK for one attempt
  int max_reconnect_attempts = 5;                     // in a row, after a lost connection
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{10'000};
};

// Progress the user may want to see ("reconnecting in 2 s: connection closed by the hub").
struct LinkNotice {
  enum class Kind { connecting, renewing_token, connection_lost, reconnecting } kind;
  std::string text;
};

class DeviceLink {
 public:
  using EventHandler = std::function<void(const iothub::DeviceEvent&)>;
  using NoticeHandler = std::function<void(const LinkNotice&)>;

  DeviceLink(iothub::DeviceClient& client, net::Endpoint endpoint, LinkOptions options = {});
  ~DeviceLink();

  void on_event(EventHandler handler) { on_event_ = std::move(handler); }
  void on_notice(NoticeHandler handler) { on_notice_ = std::move(handler); }

  // Opens the connection and waits for the client to be ready (connected and subscribed).
  // Errors: auth_refused (message from the CONNACK), certificate_invalid / tls_failure / connect_failed /
  // resolve_failed / timeout (detail() has the particulars).
  Result<void> open();

  // Pumps until done() returns true (checked after every event) or `deadline` passes (Errc::timeout).
  // Reconnects as needed. `deadline` bounds this call only: the reconnect schedule (back-off, attempt count)
  // carries over to the next call, so short deadlines (a send interval) neither reset nor cut it. After
  // max_reconnect_attempts failed attempts it returns the last error's code with a "gave up reconnecting"
  // message, and keeps returning it until open() is called again. One attempt may overrun `deadline` by up
  // to connect_timeout (a TLS handshake is not cut short).
  Result<void> run_until(const std::function<bool()>& done, Clock::time_point deadline);

  // Sends DISCONNECT, flushes it (bounded) and closes the connection.
  void close();

  bool ready() const noexcept { return client_.state() == iothub::DeviceClientState::ready; }
  const std::string& detail() const noexcept { return detail_; }
  int reconnects() const noexcept { return reconnects_; }

  // Back-off before reconnect attempt `attempt` (1-based): backoff_initial doubled per attempt, capped at
  // backoff_max. Pure, so it is unit-tested without sockets.
  static std::chrono::milliseconds backoff_for(const LinkOptions& options, int attempt) noexcept;

  static std::uint64_t now_ms();
  static std::uint64_t now_unix();

 private:
  Result<void> connect_once(Clock::time_point deadline);
  // One step of the reconnect schedule: waits for the next attempt (never past `deadline`, which only bounds
  // this call: the schedule survives it) and makes the attempt when it is due.
  Result<void> reconnect_step(Clock::time_point deadline);
  // One round: write, read, events, timers, then sleep until there is something to do (at most until `until`).
  Result<void> pump_once(Clock::time_point until, const std::function<bool()>& done);
  Result<void> flush_output();
  void drop_transport();
  void notice(LinkNotice::Kind kind, std::string text);

  iothub::DeviceClient& client_;
  net::Endpoint endpoint_;
  LinkOptions options_;
  std::unique_ptr<net::Transport> transport_;
  EventHandler on_event_;
  NoticeHandler on_notice_;
  std::string detail_;
  bool refused_ = false;
  const char* refused_message_ = "";  // from the CONNACK (static storage)
  bool lost_ = false;
  bool renew_ = false;
  Error lost_error_{Errc::connection_closed, "connection lost"};
  int reconnects_ = 0;
  // Reconnect schedule, kept across run_until() calls so that short caller deadlines (a send interval) do not
  // reset the back-off or the attempt count. attempt_ == 0: not reconnecting.
  int attempt_ = 0;
  Clock::time_point next_attempt_{};
  bool gave_up_ = false;
  Error gave_up_error_{Errc::connect_failed, ""};
};

}  // namespace picohub::link
