#include "netstack/sntp_client.hpp"

namespace picohub::netstack {

const char* to_string(SntpFailure failure) noexcept {
  switch (failure) {
    case SntpFailure::none: return "no failure";
    case SntpFailure::timeout: return "no answer from the time server (timed out)";
    case SntpFailure::kiss_of_death: return to_string(SntpVerdict::kiss_of_death);
    case SntpFailure::unsynchronized: return to_string(SntpVerdict::unsynchronized);
    case SntpFailure::bad_stratum: return to_string(SntpVerdict::bad_stratum);
    case SntpFailure::no_transmit_time: return to_string(SntpVerdict::no_transmit_time);
  }
  return "unknown";
}

void SntpClient::start(std::uint64_t now_ms, Ipv4 server) noexcept {
  server_ = server;
  failures_ = 0;
  failure_ = SntpFailure::none;
  send_now(now_ms);
}

void SntpClient::request_resync(std::uint64_t now_ms) noexcept {
  if (state_ == SntpState::idle || state_ == SntpState::waiting) return;
  failures_ = 0;
  send_now(now_ms);
}

void SntpClient::stop() noexcept {
  state_ = SntpState::idle;
  send_due_ = false;
  deadline_ms_ = no_deadline;
}

void SntpClient::send_now(std::uint64_t now_ms) noexcept {
  // A fresh 64-bit nonce per request: only the server that got it can echo it back. Never 0 (that would match
  // a server's empty originate field), and no retry loop: a broken random source must not hang the main loop.
  const std::uint64_t high = config_.random();
  nonce_ = (high << 32) | config_.random();
  if (nonce_ == 0) nonce_ = 1;
  state_ = SntpState::waiting;
  send_due_ = true;
  sent_ms_ = now_ms;
  deadline_ms_ = now_ms + config_.timeout_ms;
}

void SntpClient::on_time(std::uint64_t now_ms) noexcept {
  if (state_ == SntpState::idle || now_ms < deadline_ms_) return;
  if (state_ == SntpState::waiting) attempt_failed(SntpFailure::timeout, now_ms);
  else send_now(now_ms);  // back-off over, or resync due
}

void SntpClient::attempt_failed(SntpFailure failure, std::uint64_t now_ms) noexcept {
  failure_ = failure;
  // A kiss-o'-death asks us to go away: wait the longest back-off straight away.
  const std::uint32_t delay = failure == SntpFailure::kiss_of_death
                                  ? config_.backoff.max_ms
                                  : config_.backoff.delay_ms(failures_, config_.random());
  ++failures_;
  state_ = SntpState::backing_off;
  send_due_ = false;
  deadline_ms_ = now_ms + delay;
}

Result<void> SntpClient::on_datagram(std::span<const std::uint8_t> payload, Ipv4 from, std::uint16_t from_port,
                                     std::uint64_t now_ms) noexcept {
  if (state_ != SntpState::waiting) return fail(Errc::protocol_violation, "SNTP reply while no request is out");
  if (from != server_ || from_port != sntp_server_port)
    return fail(Errc::protocol_violation, "SNTP reply not from the server we asked");
  auto reply = parse_sntp_reply(payload, nonce_);
  if (!reply) return tl::unexpected(reply.error());
  switch (reply->verdict) {
    case SntpVerdict::usable: accept(*reply, now_ms); return {};
    case SntpVerdict::kiss_of_death:
      kiss_code_ = reply->kiss_code;
      attempt_failed(SntpFailure::kiss_of_death, now_ms);
      break;
    case SntpVerdict::unsynchronized: attempt_failed(SntpFailure::unsynchronized, now_ms); break;
    case SntpVerdict::bad_stratum: attempt_failed(SntpFailure::bad_stratum, now_ms); break;
    case SntpVerdict::no_transmit_time: attempt_failed(SntpFailure::no_transmit_time, now_ms); break;
  }
  return fail(Errc::protocol_violation, to_string(reply->verdict));
}

// Time now = server transmit time + one-way delay, taken as half the round trip minus the server's hold time.
void SntpClient::accept(const SntpReply& reply, std::uint64_t now_ms) noexcept {
  const std::uint64_t round_trip = now_ms - sent_ms_;
  // T3 - T2 in ms; modular arithmetic keeps it right across an era rollover.
  const std::uint64_t held = reply.transmit_timestamp - reply.receive_timestamp;
  const std::uint64_t hold = (held >> 32) >= (1u << 20) ? round_trip + 1 : (held * 1000) >> 32;  // absurd: ignored
  const std::uint64_t network = hold <= round_trip ? round_trip - hold : round_trip;
  last_sync_.unix_ms = ntp_to_unix_ms(reply.transmit_timestamp, config_.era_pivot_unix_s) + network / 2;
  last_sync_.at_ms = now_ms;
  last_sync_.round_trip_ms = static_cast<std::uint32_t>(round_trip > 0xFFFFFFFF ? 0xFFFFFFFF : round_trip);
  has_synced_ = true;
  sync_pending_ = true;
  failures_ = 0;
  failure_ = SntpFailure::none;
  state_ = SntpState::synced;
  send_due_ = false;
  deadline_ms_ = now_ms + config_.resync_interval_ms;
}

std::optional<OutgoingDatagram> SntpClient::poll_datagram(std::span<std::uint8_t> buf) noexcept {
  if (!send_due_) return std::nullopt;
  auto size = build_sntp_request(nonce_, buf);
  if (!size) return std::nullopt;
  send_due_ = false;
  return OutgoingDatagram{*size, server_, sntp_server_port};
}

std::optional<SntpSync> SntpClient::poll_sync() noexcept {
  if (!sync_pending_) return std::nullopt;
  sync_pending_ = false;
  return last_sync_;
}

}  // namespace picohub::netstack
