#include "hub_connection.hpp"

#include <algorithm>
#include <charconv>

#include "console_line.hpp"
#include "tls/arena.hpp"
#include "utc_text.hpp"

namespace picohub::firmware {
namespace {

device::LossReason loss_for_connect_error(const Error& error) noexcept {
  switch (error.code) {
    case Errc::certificate_invalid: return device::LossReason::certificate_invalid;
    case Errc::tls_failure: return device::LossReason::tls_failed;
    case Errc::not_connected: return device::LossReason::link_down;
    default: return device::LossReason::tcp_failed;
  }
}

ConsoleLine& seconds_text(ConsoleLine& line, std::uint32_t ms) noexcept {
  line.number(ms / 1000) << ".";
  return line.number((ms % 1000) / 100) << " s";
}

}  // namespace

HubConnection::HubConnection(iothub::DeviceClient& client, NetworkBringup& network, w5100s::Chip& chip,
                             const platform::Clock& clock, const platform::UnixClock& unix_clock, HubTls tls,
                             device::ConsoleSink& console, device::DeviceEventSink& events,
                             netstack::RandomSource random) noexcept
    : client_(client),
      network_(network),
      clock_(clock),
      unix_clock_(unix_clock),
      tls_(tls),
      console_(console),
      events_(events),
      random_(random),
      supervisor_(device::board_policy()),
      pump_(read_buffer_),
      tcp_(chip, hub_socket) {}

void HubConnection::use_dps(iothub::DpsClient& dps, std::string_view dps_endpoint,
                            DpsAssignmentListener& listener) noexcept {
  dps_ = &dps;
  dps_endpoint_ = dps_endpoint;
  dps_listener_ = &listener;
  supervisor_ = device::ConnectionSupervisor(device::board_policy(true));  // a disowned device registers again
}

void HubConnection::use_websocket(std::uint16_t port, platform::Entropy& entropy) noexcept {
  ws_port_ = port;
  ws_entropy_ = &entropy;
}

Result<void> HubConnection::set_endpoint(std::string_view endpoint) noexcept {
  hub_endpoint_ = endpoint;
  std::string_view host = endpoint;
  port_ = 8883;
  if (const auto colon = endpoint.rfind(':'); colon != std::string_view::npos) {
    host = endpoint.substr(0, colon);
    const std::string_view digits = endpoint.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size() || value == 0 || value > 65535)
      return fail(Errc::invalid_argument, "the hub's port is not a number from 1 to 65535");
    port_ = static_cast<std::uint16_t>(value);
  }
  if (host.empty() || host.size() >= host_.size())
    return fail(Errc::invalid_argument, "the hub's host name is empty or over 127 characters");
  std::copy(host.begin(), host.end(), host_.begin());
  host_[host.size()] = '\0';
  host_length_ = host.size();
  if (ws_port_ != 0) port_ = ws_port_;  // the HTTPS port, DPS's and the hub's alike (config record 13)
  return {};
}

void HubConnection::start(std::uint64_t now_ms) noexcept {
  if (tls_.config == nullptr) {
    // The entropy source's failure is latched until a restart passes the start-up test again: retrying
    // connections would only repeat it. The network stages keep running (and show the board is alive).
    console_.write_line(
        "not connecting to the hub: TLS is blocked (see the entropy line); restart the board to retest");
    return;
  }
  supervisor_.start(now_ms);
  run_supervisor(now_ms);
}

void HubConnection::poll(std::uint64_t now_ms) noexcept {
  progress_ = false;
  if (phase_ != HubPhase::idle && phase_ != HubPhase::wait_network && network_.epoch() != network_epoch_) {
    lost(device::LossReason::link_down, "the network went away", now_ms);
  }
  run_supervisor(now_ms);
  switch (phase_) {
    case HubPhase::idle: break;
    case HubPhase::wait_network:
      if (network_.ready()) {
        network_epoch_ = network_.epoch();
        phase_ = HubPhase::resolving;
        network_.resolve({host_.data(), host_length_}, now_ms);
        poll_resolving(now_ms);
      }
      break;
    case HubPhase::resolving: poll_resolving(now_ms); break;
    case HubPhase::handshaking: poll_handshake(now_ms); break;
    case HubPhase::upgrading: poll_upgrade(now_ms); break;
    case HubPhase::registering: poll_registration(now_ms); break;
    case HubPhase::mqtt_connecting:
    case HubPhase::up:
    case HubPhase::closing: poll_session(now_ms); break;
  }
  run_supervisor(now_ms);
}

std::uint64_t HubConnection::next_deadline_ms() const noexcept {
  std::uint64_t deadline = supervisor_.next_deadline_ms();
  if (progress_ || phase_ == HubPhase::handshaking) return 0;  // one handshake step per loop pass: come back
  if (phase_ == HubPhase::wait_network || phase_ == HubPhase::resolving) {
    deadline = std::min(deadline, network_.next_deadline_ms());
  }
  if (phase_ == HubPhase::upgrading || phase_ == HubPhase::mqtt_connecting || phase_ == HubPhase::up ||
      phase_ == HubPhase::closing) {
    // The W5100S has no socket to sleep on: come back often enough to take what arrived.
    deadline = std::min({deadline, client_.next_deadline_ms(), clock_.now_ms() + 20});
  }
  if (phase_ == HubPhase::registering) deadline = std::min({deadline, dps_->next_deadline_ms(), clock_.now_ms() + 20});
  return deadline;
}

void HubConnection::run_supervisor(std::uint64_t now_ms) noexcept {
  for (int guard = 0; guard < 8; ++guard) {
    switch (supervisor_.poll_action(now_ms, random_())) {
      case device::SupervisorAction::none: return;
      case device::SupervisorAction::open_transport: begin_attempt(); break;
      case device::SupervisorAction::close_transport: close_transport(); break;
      case device::SupervisorAction::reprovision:
        static_assert(device::dps_reprovision_refusals == 2, "the line says twice");
        console_.write_line(
            "the hub refused this device twice in a row (deleted, disabled or moved?): registering with DPS again");
        dps_->forget_assignment();  // only a DPS policy asks for this
        break;
      case device::SupervisorAction::resync_time:
        console_.write_line("asking SNTP for the time again (a wrong clock signs tokens the hub refuses)");
        network_.request_time_resync(now_ms);
        break;
      case device::SupervisorAction::give_up:  // the board policy never gives up; say so if it ever does
        console_.write_line("connection supervisor gave up; restart the board");
        return;
    }
  }
}

void HubConnection::begin_attempt() noexcept {
  close_transport();
  if (registering()) {
    const std::string_view hub = hub_endpoint_;
    (void)set_endpoint(dps_endpoint_);  // checked by the config block's rules
    hub_endpoint_ = hub;
  }
  phase_ = HubPhase::wait_network;
}

void HubConnection::poll_resolving(std::uint64_t now_ms) noexcept {
  switch (network_.resolve_state()) {
    case ResolveState::idle:
    case ResolveState::pending: return;
    case ResolveState::failed: lost(device::LossReason::dns_failed, network_.resolve_failure(), now_ms); return;
    case ResolveState::resolved: break;
  }
  const netstack::Ipv4 address = network_.resolved_address();
  ConsoleLine line;
  line << "connecting to " << std::string_view(host_.data(), host_length_) << ":";
  line.number(port_) << " (";
  std::array<char, netstack::ipv4_text_capacity> ip{};
  line << std::string_view(ip.data(), netstack::format_ipv4(address, ip))
       << (ws_port_ != 0 ? "), TLS 1.2, MQTT over WebSockets" : "), TLS 1.2");
  console_.write_line(line.text());
  // A random local port so a reboot does not reuse the 4-tuple of a connection the hub still remembers.
  const auto local_port = static_cast<std::uint16_t>(49'152 + random_() % 16'000);
  if (auto r = tcp_.start_connect(address.octets, port_, local_port); !r) {
    lost(loss_for_connect_error(r.error()), r.error().what, now_ms);
    return;
  }
  tls::SessionOptions options;
  options.server_name = host_.data();
  options.use_chain_cache = true;  // a reconnect to an unchanged chain skips its signatures (tls/chain_cache.hpp)
  session_.emplace(*tls_.storage, tls_.config, tcp_, options);
  handshake_started_ms_ = now_ms;  // the TLS line reports the handshake, not the wait for the network before it
  phase_ = HubPhase::handshaking;
  progress_ = true;
}

void HubConnection::poll_handshake(std::uint64_t now_ms) noexcept {
  const std::uint64_t before = clock_.now_ms();
  auto r = session_->poll_connect();
  const auto step_ms = static_cast<std::uint32_t>(clock_.now_ms() - before);
  longest_step_ms_ = std::max(longest_step_ms_, step_ms);
  if (!r) {
    lost(loss_for_connect_error(r.error()), r.error().what, now_ms);
    return;
  }
  if (!*r) return;
  ConsoleLine line;
  line << "TLS: " << session_->protocol_version() << " " << session_->ciphersuite() << " in ";
  seconds_text(line, static_cast<std::uint32_t>(clock_.now_ms() - handshake_started_ms_)) << ", longest step ";
  line.number(longest_step_ms_) << " ms; chain " << (session_->chain_from_cache() ? "as cached" : "verified")
                                << "; arena peak ";
  line.number(tls::arena_peak_bytes()) << " B";
  console_.write_line(line.text());
  if (ws_port_ != 0) {
    ws_.emplace(*session_, *ws_entropy_,
                websocket::UpgradeTarget{
                    {host_.data(), host_length_}, port_, websocket::kIotHubPath, websocket::kMqttSubprotocol},
                ws_buffer_);
    phase_ = HubPhase::upgrading;
    progress_ = true;
    return;
  }
  start_mqtt(now_ms);
}

// The GET with Upgrade: websocket, then the server's 101; a refusal names what the server answered.
void HubConnection::poll_upgrade(std::uint64_t now_ms) noexcept {
  auto r = ws_->poll_connect();
  if (!r) {
    // A line of its own (the loss line that follows is too short to hold it): what failed and what the server said.
    ConsoleLine why;
    why << "WebSocket upgrade to /$iothub/websocket failed: " << r.error().what;
    if (const auto said = ws_->last_error_detail(); said.starts_with("HTTP/")) why << "; server said " << said;
    console_.write_line(why.text());
    lost(device::LossReason::protocol_error, "WebSocket upgrade", now_ms);
    return;
  }
  if (!*r) return;
  console_.write_line("WebSocket: upgraded at /$iothub/websocket");
  start_mqtt(now_ms);
}

void HubConnection::start_mqtt(std::uint64_t now_ms) noexcept {
  if (registering()) {
    if (auto c = dps_->connect(now_ms, unix_now(now_ms)); !c) {
      lost(device::LossReason::protocol_error, c.error().what, now_ms);
      return;
    }
    phase_ = HubPhase::registering;
    progress_ = true;
    return;
  }
  if (auto c = client_.connect(now_ms, unix_now(now_ms)); !c) {
    if (c.error().code == Errc::auth_refused) {
      console_.write_line(c.error().what);
      refused(device::RefusalReason::sas_expired, now_ms);
    } else {
      lost(device::LossReason::protocol_error, c.error().what, now_ms);
    }
    return;
  }
  phase_ = HubPhase::mqtt_connecting;
  progress_ = true;
}

void HubConnection::poll_session(std::uint64_t now_ms) noexcept {
  if (phase_ == HubPhase::closing) {
    // The DISCONNECT goes out; the hub answers everything sent before it (PUBACKs of telemetry in flight) and then
    // closes, which ends the supervisor's closing state (or its renewal_drain_ms does).
    const device::PumpReport report = pump_.step(link(), client_, events_, now_ms, unix_now(now_ms));
    progress_ = report.progress;
    if (report.lost || report.refused) supervisor_.on_lost(device::LossReason::server_closed, now_ms, random_());
    return;
  }
  const device::PumpReport report = pump_.step(link(), client_, events_, now_ms, unix_now(now_ms));
  progress_ = report.progress;
  if (report.refused) {
    // CONNACK 3 (server unavailable) is the hub's trouble, not ours: a loss with back-off, not a refusal.
    if (report.refused_code == mqtt::ConnectReturnCode::server_unavailable) {
      lost(device::LossReason::server_unavailable, "CONNACK 3", now_ms);
    } else {
      const char* words = by_certificate() ? iothub::describe_connack(report.refused_code, true)
                                           : iothub::describe_connack(report.refused_code);
      refused(device::refusal_for(report.refused_code), now_ms, words);
    }
    return;
  }
  if (report.lost) {
    lost(report.loss, report.error.what, now_ms);
    return;
  }
  if (report.ready && phase_ == HubPhase::mqtt_connecting) {
    phase_ = HubPhase::up;
    refusals_ = 0;
    supervisor_.on_connected(now_ms);
    ConsoleLine line;
    line << "connected to IoT Hub as " << client_.identity().device_id;
    if (by_certificate()) {
      line << " with its X.509 certificate";
    } else {
      line << "; SAS token valid until ";
      append_utc(line, client_.token_expiry_unix());
    }
    console_.write_line(line.text());
  }
  if (report.renewal_due) {
    console_.write_line("SAS token renewal due: reconnecting with a fresh token");
    phase_ = HubPhase::closing;
    supervisor_.on_renewal_due(now_ms);
    progress_ = true;
  }
}

// One pump step with the DPS client; the outcome moves the supervisor like the hub's own: assigned -> a fresh
// start (the next attempt goes to the assigned hub), refused -> the refusal schedule, failed -> a loss.
void HubConnection::poll_registration(std::uint64_t now_ms) noexcept {
  const device::PumpReport report = pump_.step(link(), *dps_, *this, now_ms);
  progress_ = report.progress;
  if (report.refused && report.refused_code != mqtt::ConnectReturnCode::server_unavailable) {
    refused(device::RefusalReason::provisioning_refused, now_ms, iothub::describe_dps_connack(report.refused_code));
    return;
  }
  if (report.refused) {
    lost(device::LossReason::server_unavailable, "DPS answered CONNACK 3", now_ms);
    return;
  }
  if (report.lost) {
    lost(report.loss, report.error.what, now_ms);
    return;
  }
  if (dps_->state() == iothub::DpsClientState::failed) {
    // DPS answered no (a disabled, failed or unknown enrollment): retrying soon cannot help, so the refusal
    // schedule; anything else (timeouts, bad answers) is a loss with the ordinary back-off.
    if (dps_refused_)
      refused(device::RefusalReason::provisioning_refused, now_ms, "DPS did not assign the device (see above)");
    else lost(device::LossReason::protocol_error, "DPS registration failed (see above)", now_ms);
    return;
  }
  if (dps_->state() != iothub::DpsClientState::assigned) return;
  const iothub::DpsAssigned assigned = *dps_->assigned();
  dps_->disconnect();
  (void)device::Pump::flush(link(), dps_->session());  // the DISCONNECT, as far as the socket takes it now
  close_transport();
  auto endpoint = dps_listener_->on_assigned(assigned);
  if (!endpoint || !set_endpoint(*endpoint)) {
    console_.write_line(endpoint ? "DPS: the assigned hub's name cannot be used" : endpoint.error().what);
    dps_->on_transport_reset();
    lost(device::LossReason::protocol_error, "DPS assignment unusable", now_ms);
    return;
  }
  supervisor_.on_provisioned(now_ms);  // registration done: the next attempt goes to the hub at once
  progress_ = true;
}

void HubConnection::on_dps_event(const iothub::DpsEvent& event) {
  ConsoleLine line;
  if (std::holds_alternative<iothub::DpsConnected>(event)) {
    line << "DPS: connected; sending the registration request";
  } else if (const auto* a = std::get_if<iothub::DpsAssigning>(&event)) {
    line << (a->status == 202 ? "DPS: assigning" : "DPS: busy, status ");
    if (a->status != 202) line.number(a->status);
    line << " (request ";
    line.number(a->attempt) << "); next request in ";
    line.number(a->retry_after_s) << " s (retry-after)";
  } else if (const auto* done = std::get_if<iothub::DpsAssigned>(&event)) {
    line << "DPS: assigned to hub " << done->assigned_hub << " as device " << done->device_id << " (";
    line.number(dps_->attempts()) << " requests)";
  } else if (const auto* f = std::get_if<iothub::DpsFailed>(&event)) {
    dps_refused_ = f->error.code == Errc::auth_refused;
    line << "DPS registration failed: " << f->error.what;
    if (f->http_status != 0 || f->error_code != 0) {
      line << " (status ";
      line.number(f->http_status) << ", errorCode ";
      line.number(static_cast<std::uint32_t>(f->error_code)) << ")";
    }
    console_.write_line(line.text());
    if (!f->message.empty()) {
      ConsoleLine said;
      said << "  DPS said: " << f->message;
      console_.write_line(said.text());
    }
    return;
  } else {
    return;  // DpsRefused: poll_registration prints it with the retry schedule
  }
  console_.write_line(line.text());
}

void HubConnection::close_transport() noexcept {
  ws_.reset();  // no close frame: TLS's close_notify below ends the connection for the server
  if (session_) {
    session_->close();
    session_.reset();
  }
  tcp_.close();
  pump_.reset();
  if (client_.state() != iothub::DeviceClientState::idle) client_.on_transport_reset();
  if (dps_ != nullptr && registering() && dps_->state() != iothub::DpsClientState::idle) dps_->on_transport_reset();
  phase_ = HubPhase::idle;
}

void HubConnection::lost(device::LossReason reason, std::string_view detail, std::uint64_t now_ms) noexcept {
  supervisor_.on_lost(reason, now_ms, random_());
  ConsoleLine line;
  line << "hub connection: " << device::describe(reason);
  if (!detail.empty()) line << " (" << detail << ")";
  line << "; retrying in ";
  seconds_text(line, supervisor_.last_delay_ms()) << " (attempt ";
  line.number(supervisor_.attempt()) << ")";
  console_.write_line(line.text());
  close_transport();
}

void HubConnection::refused(device::RefusalReason reason, std::uint64_t now_ms, const char* words) noexcept {
  supervisor_.on_refused(reason, now_ms, random_());
  ++refusals_;
  ConsoleLine line;
  if (words != nullptr) {
    console_.write_line(words);  // the hub's answer in words: longer than a ConsoleLine, so a line of its own
    line << "retrying in ";
  } else {
    line << "the hub refused the credentials: " << device::describe(reason) << "; retrying in ";
  }
  seconds_text(line, supervisor_.last_delay_ms()) << " (refusal ";
  line.number(refusals_) << "; the wait doubles up to ";
  line.number(supervisor_.policy().refused.max_ms / 60'000) << " min)";
  console_.write_line(line.text());
  close_transport();
}

std::uint64_t HubConnection::unix_now(std::uint64_t now_ms) const noexcept {
  return unix_clock_.unix_s(now_ms).value_or(0);
}

}  // namespace picohub::firmware
