#include "netstack/dhcp_client.hpp"

#include <algorithm>

namespace picohub::netstack {
namespace {

constexpr std::uint32_t infinite_lease = 0xFFFFFFFF;
constexpr std::uint64_t min_renew_retry_ms = 60'000;  // RFC 2131 §4.4.5: no faster than once a minute

std::uint64_t add_seconds(std::uint64_t base_ms, std::uint32_t seconds) {
  if (seconds == infinite_lease) return no_deadline;
  return base_ms + std::uint64_t{seconds} * 1000;
}

}  // namespace

const char* to_string(DhcpState state) noexcept {
  switch (state) {
    case DhcpState::idle: return "idle";
    case DhcpState::selecting: return "selecting (DISCOVER sent, waiting for an OFFER)";
    case DhcpState::requesting: return "requesting (REQUEST sent, waiting for an ACK)";
    case DhcpState::bound: return "bound";
    case DhcpState::renewing: return "renewing (T1 passed, asking the server)";
    case DhcpState::rebinding: return "rebinding (T2 passed, asking any server)";
    case DhcpState::static_config: return "static configuration";
  }
  return "unknown";
}

const char* to_string(DhcpEvent event) noexcept {
  switch (event) {
    case DhcpEvent::lease_acquired: return "lease acquired";
    case DhcpEvent::lease_renewed: return "lease renewed";
    case DhcpEvent::lease_lost: return "lease lost";
    case DhcpEvent::nak_received: return "server refused the request (NAK); restarting";
  }
  return "unknown";
}

void DhcpClient::start(std::uint64_t now_ms) noexcept {
  const bool had_lease = has_lease_state();
  enter_init(now_ms);
  if (had_lease) push(DhcpEvent::lease_lost);
}

void DhcpClient::start_static(const DhcpLease& lease, std::uint64_t) noexcept {
  lease_ = lease;
  lease_.lease_s = infinite_lease;
  lease_.server_id = Ipv4{};
  state_ = DhcpState::static_config;
  send_due_ = false;
  retry_at_ms_ = t1_ms_ = t2_ms_ = expiry_ms_ = no_deadline;
  push(DhcpEvent::lease_acquired);
}

void DhcpClient::stop() noexcept {
  state_ = DhcpState::idle;
  lease_ = DhcpLease{};
  send_due_ = false;
  retry_at_ms_ = t1_ms_ = t2_ms_ = expiry_ms_ = no_deadline;
}

const DhcpLease* DhcpClient::lease() const noexcept { return has_lease_state() ? &lease_ : nullptr; }

bool DhcpClient::has_lease_state() const noexcept {
  return state_ == DhcpState::bound || state_ == DhcpState::renewing || state_ == DhcpState::rebinding ||
         state_ == DhcpState::static_config;
}

void DhcpClient::enter_init(std::uint64_t now_ms) noexcept {
  state_ = DhcpState::selecting;
  lease_ = DhcpLease{};
  xid_ = config_.random();
  attempt_ = 0;
  exchange_started_ms_ = now_ms;
  t1_ms_ = t2_ms_ = expiry_ms_ = no_deadline;
  send_now(now_ms);
}

void DhcpClient::send_now(std::uint64_t now_ms) noexcept {
  send_due_ = true;
  request_sent_ms_ = now_ms;
  const std::uint64_t secs = (now_ms - exchange_started_ms_) / 1000;
  secs_ = static_cast<std::uint16_t>(std::min<std::uint64_t>(secs, 0xFFFF));
  schedule_retry(now_ms);
  ++attempt_;
}

// SELECTING/REQUESTING back off exponentially; RENEWING/REBINDING wait half the time left to T2/expiry, >= 60 s.
void DhcpClient::schedule_retry(std::uint64_t now_ms) noexcept {
  if (state_ == DhcpState::selecting || state_ == DhcpState::requesting) {
    retry_at_ms_ = now_ms + config_.backoff.delay_ms(attempt_, config_.random());
    return;
  }
  const std::uint64_t limit = state_ == DhcpState::renewing ? t2_ms_ : expiry_ms_;
  const std::uint64_t half = limit > now_ms ? (limit - now_ms) / 2 : 0;
  retry_at_ms_ = std::min(limit, now_ms + std::max(half, min_renew_retry_ms));
}

void DhcpClient::on_time(std::uint64_t now_ms) noexcept {
  if (state_ == DhcpState::idle || state_ == DhcpState::static_config) return;
  if (now_ms >= expiry_ms_) {
    start(now_ms);  // lease over: lease_lost, then DISCOVER
    return;
  }
  if (state_ == DhcpState::bound && now_ms >= t1_ms_) {
    state_ = DhcpState::renewing;
    xid_ = config_.random();
    exchange_started_ms_ = now_ms;
    send_now(now_ms);
  }
  if (state_ == DhcpState::renewing && now_ms >= t2_ms_) {
    state_ = DhcpState::rebinding;
    send_now(now_ms);
    return;
  }
  if (state_ != DhcpState::bound && now_ms >= retry_at_ms_) {
    if (state_ == DhcpState::requesting && attempt_ >= config_.request_tries) {
      enter_init(now_ms);
      return;
    }
    send_now(now_ms);
  }
}

Result<void> DhcpClient::on_datagram(std::span<const std::uint8_t> payload, Ipv4, std::uint16_t from_port,
                                     std::uint64_t now_ms) noexcept {
  if (from_port != dhcp_server_port) return fail(Errc::protocol_violation, "datagram not from the DHCP server port");
  if (state_ == DhcpState::idle || state_ == DhcpState::bound || state_ == DhcpState::static_config)
    return fail(Errc::protocol_violation, "DHCP reply while no exchange is running");
  auto reply = parse_dhcp_reply(payload, xid_, config_.mac);
  if (!reply) return tl::unexpected(reply.error());
  switch (reply->type) {
    case DhcpMessageType::offer:
      if (state_ != DhcpState::selecting) return fail(Errc::protocol_violation, "DHCP OFFER outside SELECTING");
      if (reply->your_ip.is_zero() || reply->server_id.is_zero())
        return fail(Errc::malformed, "DHCP OFFER without an address or server identifier");
      on_offer(*reply, now_ms);
      return {};
    case DhcpMessageType::ack:
      if (state_ == DhcpState::selecting) return fail(Errc::protocol_violation, "DHCP ACK before any REQUEST");
      if (reply->your_ip.is_zero()) return fail(Errc::malformed, "DHCP ACK without an address");
      on_ack(*reply);
      return {};
    case DhcpMessageType::nak:
      if (state_ == DhcpState::selecting) return fail(Errc::protocol_violation, "DHCP NAK before any REQUEST");
      on_nak(now_ms);
      return {};
    default: return fail(Errc::protocol_violation, "DHCP message type a client does not accept");
  }
}

void DhcpClient::on_offer(const DhcpReply& reply, std::uint64_t now_ms) noexcept {
  offered_ip_ = reply.your_ip;
  offer_server_ = reply.server_id;
  state_ = DhcpState::requesting;
  attempt_ = 0;
  send_now(now_ms);
}

void DhcpClient::on_ack(const DhcpReply& reply) noexcept {
  const bool same_address = has_lease_state() && lease_.ip == reply.your_ip;
  lease_.ip = reply.your_ip;
  lease_.subnet_mask = reply.subnet_mask;
  lease_.gateway = reply.router;
  lease_.dns = reply.dns;
  lease_.dns_count = reply.dns_count;
  lease_.ntp = reply.ntp;
  lease_.ntp_count = reply.ntp_count;
  lease_.lease_s = reply.lease_s != 0 ? reply.lease_s : infinite_lease;  // RFC 2131: REQUEST-ACK must carry 51
  if (!reply.server_id.is_zero()) lease_.server_id = reply.server_id;
  else if (lease_.server_id.is_zero()) lease_.server_id = offer_server_;

  // Defaults (RFC 2131 §4.4.5): T1 = 0.5 * lease, T2 = 0.875 * lease; server values kept when T1 < T2 < lease.
  const std::uint32_t lease_s = lease_.lease_s;
  std::uint32_t t1 = lease_s / 2, t2 = static_cast<std::uint32_t>(std::uint64_t{lease_s} * 7 / 8);
  if (reply.t2_s != 0 && reply.t2_s < lease_s) t2 = reply.t2_s;
  if (reply.t1_s != 0 && reply.t1_s < t2) t1 = reply.t1_s;
  if (t1 > t2) t1 = t2;
  expiry_ms_ = add_seconds(request_sent_ms_, lease_s);
  t1_ms_ = lease_s == infinite_lease ? no_deadline : add_seconds(request_sent_ms_, t1);
  t2_ms_ = lease_s == infinite_lease ? no_deadline : add_seconds(request_sent_ms_, t2);
  state_ = DhcpState::bound;
  send_due_ = false;
  retry_at_ms_ = no_deadline;
  push(same_address ? DhcpEvent::lease_renewed : DhcpEvent::lease_acquired);
}

void DhcpClient::on_nak(std::uint64_t now_ms) noexcept {
  const bool had_lease = has_lease_state();
  enter_init(now_ms);
  push(had_lease ? DhcpEvent::lease_lost : DhcpEvent::nak_received);
}

std::optional<OutgoingDatagram> DhcpClient::poll_datagram(std::span<std::uint8_t> buf) noexcept {
  if (!send_due_ || buf.size() < dhcp_message_capacity) return std::nullopt;
  DhcpRequestFields f;
  f.xid = xid_;
  f.secs = secs_;
  f.mac = config_.mac;
  f.hostname = config_.hostname;
  OutgoingDatagram out{0, ipv4_broadcast, dhcp_server_port};
  if (state_ == DhcpState::selecting) {
    f.type = DhcpMessageType::discover;
  } else if (state_ == DhcpState::requesting) {
    f.type = DhcpMessageType::request;
    f.requested_ip = offered_ip_;
    f.server_id = offer_server_;
  } else if (state_ == DhcpState::renewing || state_ == DhcpState::rebinding) {
    f.type = DhcpMessageType::request;
    f.ciaddr = lease_.ip;
    // Renewal goes to the server that leased the address; without its identifier, ask everyone.
    if (state_ == DhcpState::renewing && !lease_.server_id.is_zero()) out.to_ip = lease_.server_id;
  } else {
    send_due_ = false;
    return std::nullopt;
  }
  auto size = build_dhcp_message(f, buf);
  if (!size) return std::nullopt;
  send_due_ = false;
  out.size = *size;
  return out;
}

std::optional<DhcpEvent> DhcpClient::poll_event() noexcept {
  if (event_count_ == 0) return std::nullopt;
  const DhcpEvent e = events_[event_head_];
  event_head_ = static_cast<std::uint8_t>((event_head_ + 1) % events_.size());
  --event_count_;
  return e;
}

void DhcpClient::push(DhcpEvent event) noexcept {
  if (event_count_ == events_.size()) poll_event();  // oldest dropped: the newest state is what matters
  events_[(event_head_ + event_count_) % events_.size()] = event;
  ++event_count_;
}

std::uint64_t DhcpClient::next_deadline_ms() const noexcept {
  switch (state_) {
    case DhcpState::idle:
    case DhcpState::static_config: return no_deadline;
    case DhcpState::bound: return std::min(t1_ms_, expiry_ms_);
    case DhcpState::renewing: return std::min({retry_at_ms_, t2_ms_, expiry_ms_});
    default: return std::min(retry_at_ms_, expiry_ms_);
  }
}

}  // namespace picohub::netstack
