#include "link/device_link.hpp"

#include <poll.h>

#include <algorithm>
#include <cstdio>
#include <thread>

namespace picohub::link {

namespace {

constexpr std::size_t read_buffer_bytes = 16 * 1024;

Clock::time_point at_ms(std::uint64_t deadline_ms) {
  if (deadline_ms == device::ConnectionSupervisor::no_deadline) return Clock::time_point::max();
  const std::uint64_t now = DeviceLink::now_ms();
  return Clock::now() + std::chrono::milliseconds(deadline_ms > now ? deadline_ms - now : 0);
}

int poll_timeout_ms(Clock::time_point until) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1000));  // wake at least once a second
}

// "640 ms", "1.7 s".
std::string delay_text(std::uint32_t ms) {
  if (ms < 1000) return std::to_string(ms) + " ms";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", ms / 1000.0);
  return text;
}

}  // namespace

device::SupervisorPolicy policy_for(const LinkOptions& options) noexcept {
  auto policy = device::host_policy(static_cast<std::uint32_t>(std::max(options.max_reconnect_attempts, 0)),
                                    options.provisioned);
  policy.lost = device::Backoff{static_cast<std::uint32_t>(options.backoff_initial.count()),
                                static_cast<std::uint32_t>(options.backoff_max.count())};
  policy.connect_timeout_ms = static_cast<std::uint32_t>(options.connect_timeout.count());
  return policy;
}

DeviceLink::DeviceLink(iothub::DeviceClient& client, net::Endpoint endpoint, LinkOptions options)
    : client_(client),
      endpoint_(std::move(endpoint)),
      options_(options),
      supervisor_(policy_for(options)),
      read_buffer_(read_buffer_bytes),
      pump_(read_buffer_),
      random_(std::random_device{}()) {}

DeviceLink::~DeviceLink() {
  if (transport_) transport_->close();
}

std::uint64_t DeviceLink::now_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count());
}

std::uint64_t DeviceLink::now_unix() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void DeviceLink::notice(LinkNotice::Kind kind, std::string text) {
  if (on_notice_) on_notice_(LinkNotice{kind, std::move(text)});
}

void DeviceLink::on_device_event(const iothub::DeviceEvent& event) {
  if (on_event_) on_event_(event);
}

Result<void> DeviceLink::stopped_error() const {
  if (supervisor_.refused()) return fail(Errc::auth_refused, last_error_.what);
  // A protocol error's code would read as a usage error to the CLI: giving up is a network condition.
  const bool usage_code = last_error_.code == Errc::malformed || last_error_.code == Errc::invalid_argument;
  return tl::unexpected(Error{usage_code ? Errc::connect_failed : last_error_.code,
                              "gave up reconnecting to the hub: check that it is running and reachable (host, "
                              "port, firewall, network), then run again"});
}

void DeviceLink::announce_retry() {
  if (announced_ || opening_ || supervisor_.state() != device::SupervisorState::waiting) return;
  announced_ = true;
  std::string text = "reconnecting in " + delay_text(supervisor_.last_delay_ms()) + ": " +
                     device::describe(supervisor_.last_loss()) + " (attempt " + std::to_string(supervisor_.attempt());
  if (supervisor_.max_attempts() != 0) text += " of " + std::to_string(supervisor_.max_attempts());
  notice(LinkNotice::Kind::reconnecting, text + ")");
}

void DeviceLink::lost(const Error& error, device::LossReason reason) {
  last_error_ = error;
  failure_reported_ = true;
  const bool was_up = supervisor_.state() == device::SupervisorState::connected;
  if (!opening_) {
    const std::string particulars = detail_.empty() ? "" : (was_up ? " (" + detail_ + ")" : ": " + detail_);
    notice(LinkNotice::Kind::connection_lost,
           (was_up ? "connection lost: " : "") + std::string(error.what) + particulars);
  }
  supervisor_.on_lost(reason, now_ms(), jitter());
  announced_ = false;
  announce_retry();
}

void DeviceLink::open_transport() {
  failure_reported_ = false;
  detail_.clear();
  if (register_pending_) return reprovision();
  auto transport = net::open_connection(endpoint_, options_.connect_timeout, &detail_);
  if (!transport) return lost(transport.error(), device::loss_reason_for(transport.error(), false));
  transport_ = std::move(*transport);
  if (auto started = client_.connect(now_ms(), now_unix()); !started) {
    if (started.error().code == Errc::auth_refused) {  // an expired SharedAccessSignature: retrying cannot help
      last_error_ = started.error();
      failure_reported_ = true;
      return refused(device::RefusalReason::sas_expired);
    }
    lost(started.error(), device::LossReason::protocol_error);
  }
}

void DeviceLink::reprovision() {
  Result<net::Endpoint> next = tl::unexpected(Error{Errc::invalid_argument, "no DPS registration to repeat"});
  if (on_reprovision_) next = on_reprovision_(detail_);
  if (!next) {
    if (next.error().code == Errc::auth_refused) {  // DPS said no: the refusal schedule, as the hub's own
      last_error_ = next.error();
      failure_reported_ = true;
      return refused(device::RefusalReason::provisioning_refused);
    }
    return lost(next.error(), device::loss_reason_for(next.error(), false));
  }
  endpoint_ = std::move(*next);
  register_pending_ = false;
  ++registrations_;
  supervisor_.on_provisioned(now_ms());  // the next open_transport goes to the assigned hub
}

// Refused credentials: the supervisor decides (stop, or retry after the refusal schedule's wait); say which.
void DeviceLink::refused(device::RefusalReason reason) {
  supervisor_.on_refused(reason, now_ms(), jitter());
  if (opening_ || supervisor_.state() != device::SupervisorState::waiting) return;
  notice(LinkNotice::Kind::refused, std::string(last_error_.what) + "; retrying in " +
                                        delay_text(supervisor_.last_delay_ms()) + " (refusal " +
                                        std::to_string(supervisor_.refusals()) + " in a row)");
}

void DeviceLink::close_transport() {
  if (transport_) {
    if (client_.state() == iothub::DeviceClientState::renewal_due) {  // the DISCONNECT goes out first
      auto flushed = device::Pump::flush(*transport_, client_);
      if (flushed && !*flushed && net::wait_ready(*transport_, std::chrono::milliseconds(500)))
        (void)device::Pump::flush(*transport_, client_);
    }
    transport_->close();
    transport_.reset();
  }
  pump_.reset();
  client_.on_transport_reset();
}

Result<void> DeviceLink::take_actions() {
  for (;;) {
    switch (supervisor_.poll_action(now_ms(), jitter())) {
      case device::SupervisorAction::none: return {};
      case device::SupervisorAction::resync_time: break;  // the host's clock is the operating system's
      case device::SupervisorAction::reprovision:
        static_assert(device::dps_reprovision_refusals == 2, "the notice says twice");
        notice(LinkNotice::Kind::reprovisioning,
               "the hub refused this device twice in a row (deleted, disabled or moved?): registering with DPS again");
        register_pending_ = true;
        break;
      case device::SupervisorAction::give_up: stopped_ = true; return stopped_error();
      case device::SupervisorAction::open_transport: open_transport(); break;
      case device::SupervisorAction::close_transport:
        if (!failure_reported_ && supervisor_.state() != device::SupervisorState::connecting &&
            supervisor_.last_loss() == device::LossReason::connect_timeout) {
          // The supervisor timed the attempt out: the hub took the connection but never answered CONNECT.
          last_error_ = Error{Errc::timeout,
                              "the hub did not answer the MQTT CONNECT in time: check the host name and port"};
          failure_reported_ = true;
          if (!opening_) notice(LinkNotice::Kind::connection_lost, last_error_.what);
          announced_ = false;
        }
        close_transport();
        announce_retry();
        break;
    }
  }
}

void DeviceLink::handle(const device::PumpReport& report) {
  const auto now = now_ms();
  if (report.refused) {
    last_error_ = Error{Errc::auth_refused, iothub::describe_connack(report.refused_code, client_.identity().x509)};
    failure_reported_ = true;
    if (report.refused_code == mqtt::ConnectReturnCode::server_unavailable) {
      last_error_.code = Errc::connect_failed;
      return lost(last_error_, device::LossReason::server_unavailable);
    }
    return refused(device::refusal_for(report.refused_code));
  }
  if (report.lost) {
    if (supervisor_.state() == device::SupervisorState::closing) {  // the hub closed after our renewal DISCONNECT
      return supervisor_.on_lost(device::LossReason::server_closed, now, jitter());
    }
    if (transport_) detail_ = std::string(transport_->last_error_detail());
    return lost(report.error, report.loss);
  }
  if (report.renewal_due) {
    notice(LinkNotice::Kind::renewing_token, "SAS token renewal due: reconnecting with a fresh token");
    renewing_ = true;
    supervisor_.on_renewal_due(now);
    return;
  }
  if (report.ready && supervisor_.state() == device::SupervisorState::connecting) {
    supervisor_.on_connected(now);
    if (supervisor_.connections() > 1) ++reconnects_;
    if (renewing_)
      notice(LinkNotice::Kind::renewing_token, "reconnected with a fresh SAS token (expires at unix " +
                                                   std::to_string(client_.token_expiry_unix()) + ")");
    renewing_ = false;
  }
}

// Sleeps until the socket has something for us, output can go, or `wake`.
void DeviceLink::sleep_until(Clock::time_point wake, const device::PumpReport& last) {
  if (!transport_) {
    std::this_thread::sleep_until(std::min(wake, Clock::now() + std::chrono::seconds(1)));
    return;
  }
  if (transport_->has_pending()) return;
  pollfd fd{transport_->poll_fd(), POLLIN, 0};
  if (last.wait == net::Wait::writable) fd.events |= POLLOUT;
  if (fd.fd < 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(poll_timeout_ms(wake), 10)));
    return;
  }
  ::poll(&fd, 1, poll_timeout_ms(wake));
}

Result<void> DeviceLink::pump_once(Clock::time_point until) {
  if (auto r = take_actions(); !r) return r;
  // A failed first attempt goes straight back to open()'s caller, without sleeping into the back-off.
  if (opening_ && supervisor_.state() != device::SupervisorState::connecting) return {};
  device::PumpReport report;
  if (transport_) {
    report = pump_.step(*transport_, client_, *this, now_ms(), now_unix());
    handle(report);
    if (auto r = take_actions(); !r) return r;
    if (report.progress) return {};
  }
  auto wake = std::min(until, at_ms(supervisor_.next_deadline_ms()));
  if (transport_) wake = std::min(wake, at_ms(report.next_deadline_ms));
  sleep_until(wake, report);
  return {};
}

Result<void> DeviceLink::open() {
  if (transport_) close_transport();
  stopped_ = false;
  renewing_ = false;
  register_pending_ = false;
  detail_.clear();
  supervisor_ = device::ConnectionSupervisor(policy_for(options_));
  supervisor_.start(now_ms());
  opening_ = true;  // the caller reports a failed first attempt itself: no notices
  Result<void> result;
  for (;;) {
    if (auto r = pump_once(Clock::time_point::max()); !r) {
      result = r;
      break;
    }
    if (supervisor_.state() == device::SupervisorState::connected) break;
    if (supervisor_.state() == device::SupervisorState::waiting) {  // the schedule has begun: run_until() goes on
      result = tl::unexpected(last_error_);
      announced_ = false;
      break;
    }
  }
  opening_ = false;
  return result;
}

Result<void> DeviceLink::run_until(const std::function<bool()>& done, Clock::time_point deadline) {
  for (;;) {
    if (done()) return {};
    if (stopped_) return stopped_error();
    if (Clock::now() >= deadline) return fail(Errc::timeout, "the deadline passed");
    announce_retry();
    if (auto r = pump_once(deadline); !r) return r;
  }
}

void DeviceLink::close() {
  if (transport_) {
    client_.disconnect();
    const auto until = Clock::now() + std::chrono::seconds(2);
    while (!client_.pending_output().empty() && Clock::now() < until) {
      auto flushed = device::Pump::flush(*transport_, client_);
      if (!flushed || *flushed) break;
      (void)net::wait_ready(*transport_, std::chrono::milliseconds(poll_timeout_ms(until)));
    }
    transport_->close();
    transport_.reset();
    pump_.reset();
    client_.on_transport_reset();
  }
  supervisor_ = device::ConnectionSupervisor(policy_for(options_));
}

}  // namespace picohub::link
