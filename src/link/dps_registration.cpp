#include "link/dps_registration.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "device/pump.hpp"
#include "link/device_link.hpp"

namespace picohub::link {
namespace {

using Ms = std::chrono::milliseconds;

std::string failure_detail(const iothub::DpsFailed& f) {
  std::string text;
  if (f.http_status != 0) text += "DPS status " + std::to_string(f.http_status);
  if (f.status != iothub::DpsStatus::unknown)
    text += std::string(text.empty() ? "" : ", ") + "registration " + iothub::to_string(f.status);
  if (f.error_code != 0) text += std::string(text.empty() ? "" : ", ") + "errorCode " + std::to_string(f.error_code);
  if (!f.message.empty()) text += std::string(text.empty() ? "" : ": ") + std::string(f.message);
  return text;
}

}  // namespace

bool split_hub_name(const std::string& assigned_hub, std::string& host, std::uint16_t& port) {
  const auto colon = assigned_hub.rfind(':');
  port = 8883;
  host = assigned_hub.substr(0, colon);
  if (colon == std::string::npos) return !host.empty();
  const std::string digits = assigned_hub.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) return false;
  const unsigned long value = std::stoul(digits);
  if (value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return !host.empty();
}

namespace {

// Turns the client's events into progress lines and, once there is one, the outcome.
class RegistrationSink final : public device::DpsEventSink {
 public:
  RegistrationSink(const iothub::DpsClient& client, DpsOutcome& out,
                   const std::function<void(const std::string&)>& progress)
      : client_(client), out_(out), progress_(progress) {}

  bool done() const noexcept { return outcome_.has_value(); }
  void finish(Result<DpsAssignment> result) {
    if (!outcome_) outcome_ = std::move(result);
  }
  Result<DpsAssignment> take() { return std::move(*outcome_); }

  void on_dps_event(const iothub::DpsEvent& ev) override {
    if (std::holds_alternative<iothub::DpsConnected>(ev)) {
      say("connected to DPS; registering");
    } else if (const auto* a = std::get_if<iothub::DpsAssigning>(&ev)) {
      say((a->status == 202 ? "assigning (operation " + std::string(a->operation_id) + ")"
                            : "DPS answered " + std::to_string(a->status) + "; retrying") +
          ", next request in " + std::to_string(a->retry_after_s) + " s (retry-after)");
    } else if (const auto* done = std::get_if<iothub::DpsAssigned>(&ev)) {
      finish(DpsAssignment{std::string(done->assigned_hub), std::string(done->device_id), std::string(done->substatus),
                           client_.attempts()});
    } else if (const auto* f = std::get_if<iothub::DpsFailed>(&ev)) {
      if (!outcome_) out_.detail = failure_detail(*f);
      finish(tl::unexpected(f->error));
    } else if (const auto* refused = std::get_if<iothub::DpsRefused>(&ev)) {
      finish(tl::unexpected(Error{Errc::auth_refused, refused->message}));
    }
  }

 private:
  void say(const std::string& line) const {
    if (progress_) progress_(line);
  }

  const iothub::DpsClient& client_;
  DpsOutcome& out_;
  const std::function<void(const std::string&)>& progress_;
  std::optional<Result<DpsAssignment>> outcome_;
};

// How long to sleep: until the client's next deadline, never past ours.
Ms wait_for(std::uint64_t client_deadline_ms, Clock::time_point deadline) {
  auto wait = std::chrono::duration_cast<Ms>(deadline - Clock::now());
  const std::uint64_t now_ms = DeviceLink::now_ms();
  if (client_deadline_ms != mqtt::Session::no_deadline)
    wait = std::min(wait, Ms(client_deadline_ms > now_ms ? client_deadline_ms - now_ms : 0));
  return std::max(wait, Ms(0));
}

}  // namespace

// The byte moving is device::Pump's, the same step the board's registration runs.
DpsOutcome register_with_dps(const net::Endpoint& endpoint, const iothub::DpsRegistration& registration,
                             const iothub::DpsClientOptions& options, std::chrono::milliseconds timeout,
                             const std::function<void(const std::string&)>& progress) {
  DpsOutcome out;
  const auto deadline = Clock::now() + timeout;
  auto transport = net::open_connection(endpoint, timeout, &out.detail);
  if (!transport) {
    out.result = tl::unexpected(transport.error());
    return out;
  }
  net::Transport& t = **transport;
  auto memory = std::make_unique<iothub::StaticDpsClientMemory<>>();
  iothub::DpsClient client(memory->view(), registration, options);
  if (auto r = client.connect(DeviceLink::now_ms(), DeviceLink::now_unix()); !r) {
    out.result = tl::unexpected(r.error());
    return out;
  }
  RegistrationSink sink(client, out, progress);
  std::vector<std::uint8_t> buffer(4096);
  device::Pump pump(buffer);
  while (!sink.done()) {
    const device::PumpReport report = pump.step(t, client, sink, DeviceLink::now_ms());
    if (sink.done()) break;
    if (report.lost) {
      out.detail = report.error.code == Errc::connection_closed ? "DPS closed the connection"
                                                                : std::string(t.last_error_detail());
      sink.finish(tl::unexpected(report.error));
      break;
    }
    if (report.progress) continue;
    if (Clock::now() >= deadline) {
      sink.finish(tl::unexpected(Error{Errc::timeout, "DPS registration did not finish in time"}));
      break;
    }
    (void)net::wait_ready(t, wait_for(report.next_deadline_ms, deadline));
  }
  // Done: a DISCONNECT, flushed as far as the socket takes it at once, then close.
  if (client.session().connected()) {
    client.disconnect();
    (void)device::Pump::flush(t, client.session());
  }
  t.close();
  out.result = sink.take();
  return out;
}

}  // namespace picohub::link
