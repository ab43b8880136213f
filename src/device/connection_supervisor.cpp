#include "device/connection_supervisor.hpp"

namespace picohub::device {

const char* describe(LossReason reason) noexcept {
  switch (reason) {
    case LossReason::none: return "no connection yet";
    case LossReason::link_down: return "Ethernet link is down";
    case LossReason::dhcp_failed: return "no DHCP lease";
    case LossReason::dns_failed: return "the hub's name did not resolve (DNS)";
    case LossReason::tcp_failed: return "TCP connection failed";
    case LossReason::tls_failed: return "TLS handshake failed";
    case LossReason::certificate_invalid: return "the hub's certificate did not verify";
    case LossReason::connect_timeout: return "connecting took too long";
    case LossReason::connack_timeout: return "no CONNACK from the hub in time";
    case LossReason::server_unavailable: return "hub is unavailable (CONNACK 3)";
    case LossReason::keep_alive_timeout: return "keep-alive timeout (no PINGRESP)";
    case LossReason::server_closed: return "connection closed by the hub";
    case LossReason::protocol_error: return "MQTT protocol error";
    case LossReason::write_failed: return "sending failed";
    case LossReason::read_failed: return "receiving failed";
    case LossReason::entropy_failed: return "the random source failed its health tests";
  }
  return "connection lost";
}

const char* describe(RefusalReason reason) noexcept {
  switch (reason) {
    case RefusalReason::bad_protocol: return "hub refused MQTT 3.1.1 (CONNACK 1)";
    case RefusalReason::identifier_rejected: return "hub rejected the client id (CONNACK 2)";
    case RefusalReason::bad_credentials: return "hub refused the user name or password (CONNACK 4)";
    case RefusalReason::not_authorized: return "hub refused the credentials (CONNACK 5)";
    case RefusalReason::sas_expired: return "the SharedAccessSignature has expired";
    case RefusalReason::provisioning_refused: return "DPS refused the registration";
  }
  return "credentials refused";
}

RefusalReason refusal_for(mqtt::ConnectReturnCode code) noexcept {
  switch (code) {
    case mqtt::ConnectReturnCode::unacceptable_protocol_version: return RefusalReason::bad_protocol;
    case mqtt::ConnectReturnCode::identifier_rejected: return RefusalReason::identifier_rejected;
    case mqtt::ConnectReturnCode::bad_username_or_password: return RefusalReason::bad_credentials;
    default: return RefusalReason::not_authorized;
  }
}

std::uint32_t backoff_delay_ms(const Backoff& backoff, std::uint32_t attempt, std::uint32_t random) noexcept {
  const std::uint64_t ceiling = backoff.max_ms;
  const std::uint64_t floor = backoff.initial_ms < backoff.max_ms ? backoff.initial_ms : backoff.max_ms;
  std::uint64_t step = floor;
  for (std::uint32_t i = 1; i < attempt && step < ceiling; ++i) step *= 2;
  if (step > ceiling) step = ceiling;
  std::uint64_t low = step - step / 4, high = step + step / 4;
  if (low < floor) low = floor;
  if (high > ceiling) high = ceiling;
  return static_cast<std::uint32_t>(low + random % (high - low + 1));
}

void ConnectionSupervisor::begin_attempt(std::uint64_t now_ms) noexcept {
  state_ = SupervisorState::connecting;
  open_pending_ = true;
  retry_at_ms_ = now_ms;
  attempt_deadline_ms_ = no_deadline;  // set when open_transport is taken
}

void ConnectionSupervisor::start(std::uint64_t now_ms) noexcept {
  close_pending_ = resync_pending_ = give_up_pending_ = refused_ = reprovision_pending_ = false;
  attempt_ = refused_attempt_ = disowned_ = 0;
  last_loss_ = LossReason::none;
  begin_attempt(now_ms);
}

void ConnectionSupervisor::on_connected(std::uint64_t) noexcept {
  if (state_ != SupervisorState::connecting) return;
  state_ = SupervisorState::connected;
  attempt_ = refused_attempt_ = disowned_ = 0;
  refused_ = false;
  attempt_deadline_ms_ = no_deadline;
  ++connections_;
}

void ConnectionSupervisor::schedule_retry(const Backoff& backoff, std::uint32_t attempt, std::uint64_t now_ms,
                                          std::uint32_t random) noexcept {
  last_delay_ms_ = backoff_delay_ms(backoff, attempt, random);
  state_ = SupervisorState::waiting;
  open_pending_ = true;
  retry_at_ms_ = now_ms + last_delay_ms_;
  attempt_deadline_ms_ = no_deadline;
}

void ConnectionSupervisor::on_lost(LossReason reason, std::uint64_t now_ms, std::uint32_t random) noexcept {
  if (state_ == SupervisorState::closing) return finish_renewal(now_ms);  // the hub closed after our DISCONNECT
  // Only a live connection or an attempt can be lost; a late report about a closed one changes nothing.
  if (state_ != SupervisorState::connected && state_ != SupervisorState::connecting) return;
  last_loss_ = reason;
  close_pending_ = true;
  if (policy_.max_attempts != 0 && attempt_ >= policy_.max_attempts) {
    state_ = SupervisorState::stopped;
    open_pending_ = false;
    give_up_pending_ = true;
    return;
  }
  ++attempt_;
  schedule_retry(policy_.lost, attempt_, now_ms, random);
}

void ConnectionSupervisor::on_refused(RefusalReason reason, std::uint64_t now_ms, std::uint32_t random) noexcept {
  if (state_ == SupervisorState::closing) return finish_renewal(now_ms);
  if (state_ != SupervisorState::connected && state_ != SupervisorState::connecting) return;
  refused_ = true;
  last_refusal_ = reason;
  close_pending_ = true;
  attempt_ = 0;  // the hub answered: the network is fine
  ++refused_attempt_;
  if (policy_.stop_when_refused || (policy_.max_refusals != 0 && refused_attempt_ >= policy_.max_refusals)) {
    state_ = SupervisorState::stopped;
    open_pending_ = false;
    give_up_pending_ = true;
    return;
  }
  note_disowned(reason);
  resync_pending_ = policy_.resync_time_when_refused;
  schedule_retry(policy_.refused, refused_attempt_, now_ms, random);
  resync_at_ms_ = retry_at_ms_ > now_ms + policy_.resync_lead_ms ? retry_at_ms_ - policy_.resync_lead_ms : now_ms;
}

void ConnectionSupervisor::note_disowned(RefusalReason reason) noexcept {
  if (reason != RefusalReason::bad_credentials && reason != RefusalReason::not_authorized) return;
  if (policy_.reprovision_after_refusals == 0 || ++disowned_ < policy_.reprovision_after_refusals) return;
  disowned_ = 0;
  reprovision_pending_ = true;
}

void ConnectionSupervisor::on_provisioned(std::uint64_t now_ms) noexcept {
  if (state_ != SupervisorState::connecting) return;
  attempt_ = disowned_ = 0;
  begin_attempt(now_ms);
}

void ConnectionSupervisor::on_renewal_due(std::uint64_t now_ms) noexcept {
  if (state_ != SupervisorState::connected) return;
  state_ = SupervisorState::closing;
  closing_deadline_ms_ = now_ms + policy_.renewal_drain_ms;
}

void ConnectionSupervisor::finish_renewal(std::uint64_t now_ms) noexcept {
  closing_deadline_ms_ = no_deadline;
  close_pending_ = true;
  begin_attempt(now_ms);  // not a loss: no back-off, the attempt count stays
}

SupervisorAction ConnectionSupervisor::poll_action(std::uint64_t now_ms, std::uint32_t random) noexcept {
  if (state_ == SupervisorState::closing && now_ms >= closing_deadline_ms_) finish_renewal(now_ms);
  if (close_pending_) {
    close_pending_ = false;
    return SupervisorAction::close_transport;
  }
  if (resync_pending_ && now_ms >= resync_at_ms_) {
    resync_pending_ = false;
    return SupervisorAction::resync_time;
  }
  if (give_up_pending_) {
    give_up_pending_ = false;
    return SupervisorAction::give_up;
  }
  if (open_pending_ && now_ms >= retry_at_ms_ && reprovision_pending_) {
    reprovision_pending_ = false;  // open_transport follows, to DPS
    return SupervisorAction::reprovision;
  }
  if (open_pending_ && now_ms >= retry_at_ms_) {
    open_pending_ = false;
    state_ = SupervisorState::connecting;
    attempt_deadline_ms_ = now_ms + policy_.connect_timeout_ms;
    return SupervisorAction::open_transport;
  }
  if (state_ == SupervisorState::connecting && !open_pending_ && now_ms >= attempt_deadline_ms_) {
    // The attempt overran its budget: the same path as any failed attempt.
    on_lost(LossReason::connect_timeout, now_ms, random);
    return poll_action(now_ms, random);
  }
  return SupervisorAction::none;
}

std::uint64_t ConnectionSupervisor::next_deadline_ms() const noexcept {
  if (close_pending_ || give_up_pending_) return 0;
  if (resync_pending_) return resync_at_ms_;
  if (open_pending_) return retry_at_ms_;
  if (state_ == SupervisorState::connecting) return attempt_deadline_ms_;
  if (state_ == SupervisorState::closing) return closing_deadline_ms_;
  return no_deadline;
}

}  // namespace picohub::device
