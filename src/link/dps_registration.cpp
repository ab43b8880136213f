#include "link/dps_registration.hpp"

#include <memory>
#include <vector>

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

DpsOutcome register_with_dps(const net::Endpoint& endpoint, const iothub::DpsRegistration& registration,
                             const iothub::DpsClientOptions& options, std::chrono::milliseconds timeout,
                             const std::function<void(const std::string&)>& progress) {
  DpsOutcome out;
  const auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
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
  std::optional<Result<DpsAssignment>> outcome;
  const auto handle = [&](const iothub::DpsEvent& ev) {
    if (std::holds_alternative<iothub::DpsConnected>(ev)) {
      say("connected to DPS; registering");
    } else if (auto* a = std::get_if<iothub::DpsAssigning>(&ev)) {
      say((a->status == 202 ? "assigning (operation " + std::string(a->operation_id) + ")"
                            : "DPS answered " + std::to_string(a->status) + "; retrying") +
          ", next request in " + std::to_string(a->retry_after_s) + " s (retry-after)");
    } else if (auto* done = std::get_if<iothub::DpsAssigned>(&ev)) {
      outcome = DpsAssignment{std::string(done->assigned_hub), std::string(done->device_id),
                              std::string(done->substatus), client.attempts()};
    } else if (auto* f = std::get_if<iothub::DpsFailed>(&ev)) {
      out.detail = failure_detail(*f);
      outcome = tl::unexpected(f->error);
    } else if (auto* refused = std::get_if<iothub::DpsRefused>(&ev)) {
      outcome = tl::unexpected(Error{Errc::auth_refused, refused->message});
    }
  };
  std::vector<std::uint8_t> buffer(4096);
  while (!outcome) {
    while (!client.pending_output().empty()) {
      auto w = t.write(client.pending_output());
      if (!w && w.error().code == Errc::would_block) break;
      if (!w) {
        out.detail = std::string(t.last_error_detail());
        outcome = tl::unexpected(w.error());
        break;
      }
      client.consume_output(*w);
    }
    while (auto ev = client.poll_event()) handle(*ev);
    if (outcome) break;
    auto r = t.read(buffer);
    if (r) {
      std::span<const std::uint8_t> rest(buffer.data(), *r);
      while (!rest.empty() && !outcome) {
        auto n = client.receive(rest, DeviceLink::now_ms());
        if (!n) break;  // the session failed: its ProtocolError event says why
        rest = rest.subspan(*n);
        const bool taken = *n > 0;
        bool any = false;
        while (auto ev = client.poll_event()) {
          any = true;
          handle(*ev);
        }
        if (!taken && !any) break;
      }
    } else if (r.error().code == Errc::would_block) {
      const auto now = Clock::now();
      if (now >= deadline) {
        outcome = tl::unexpected(Error{Errc::timeout, "DPS registration did not finish in time"});
        break;
      }
      auto wait = std::chrono::duration_cast<Ms>(deadline - now);
      const std::uint64_t due = client.next_deadline_ms(), now_ms = DeviceLink::now_ms();
      if (due != mqtt::Session::no_deadline) wait = std::min(wait, Ms(due > now_ms ? due - now_ms : 0));
      (void)net::wait_ready(t, wait);
    } else {
      out.detail = r.error().code == Errc::connection_closed ? "DPS closed the connection"
                                                             : std::string(t.last_error_detail());
      outcome = tl::unexpected(r.error());
      break;
    }
    client.on_time(DeviceLink::now_ms());
  }
  // Done: a DISCONNECT, flushed as far as the socket takes it at once, then close.
  if (client.session().connected()) {
    client.disconnect();
    auto pending = client.pending_output();
    if (!pending.empty()) (void)t.write(pending);
  }
  t.close();
  out.result = std::move(*outcome);
  return out;
}

}  // namespace picohub::link
