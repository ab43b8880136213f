#include "netstack/dns_resolver.hpp"

#include <algorithm>

namespace picohub::netstack {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

DnsFailure failure_for(DnsStatus status) {
  switch (status) {
    case DnsStatus::address: return DnsFailure::none;
    case DnsStatus::nxdomain: return DnsFailure::nxdomain;
    case DnsStatus::servfail: return DnsFailure::servfail;
    case DnsStatus::refused: return DnsFailure::refused;
    case DnsStatus::other_error: return DnsFailure::server_error;
    case DnsStatus::no_address: return DnsFailure::no_address;
    case DnsStatus::truncated: return DnsFailure::truncated;
  }
  return DnsFailure::server_error;
}

}  // namespace

const char* to_string(DnsFailure failure) noexcept {
  switch (failure) {
    case DnsFailure::none: return "no failure";
    case DnsFailure::invalid_name: return "not a valid host name";
    case DnsFailure::timeout: return "no answer from the DNS server (timed out)";
    case DnsFailure::nxdomain: return to_string(DnsStatus::nxdomain);
    case DnsFailure::servfail: return to_string(DnsStatus::servfail);
    case DnsFailure::refused: return to_string(DnsStatus::refused);
    case DnsFailure::server_error: return to_string(DnsStatus::other_error);
    case DnsFailure::no_address: return to_string(DnsStatus::no_address);
    case DnsFailure::truncated: return to_string(DnsStatus::truncated);
  }
  return "unknown";
}

void DnsResolver::start(std::uint64_t now_ms, std::string_view name, Ipv4 server) noexcept {
  failure_ = DnsFailure::none;
  from_cache_ = false;
  send_due_ = false;
  timeout_at_ms_ = no_deadline;
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (auto literal = parse_ipv4(name)) {
    address_ = *literal;
    state_ = DnsState::resolved;
    return;
  }
  if (!is_valid_dns_name(name)) {
    finish(DnsFailure::invalid_name);
    return;
  }
  std::copy(name.begin(), name.end(), name_.begin());
  name_len_ = name.size();
  if (cache_hit(now_ms)) return;
  server_ = server;
  id_ = static_cast<std::uint16_t>(config_.random());
  tries_sent_ = 0;
  state_ = DnsState::querying;
  send_due_ = true;
  timeout_at_ms_ = now_ms + config_.timeout_ms;
}

bool DnsResolver::cache_hit(std::uint64_t now_ms) noexcept {
  if (cache_len_ == 0 || now_ms >= cache_expires_ms_ ||
      !same_name(name(), std::string_view(cache_name_.data(), cache_len_)))
    return false;
  address_ = cache_address_;
  state_ = DnsState::resolved;
  from_cache_ = true;
  return true;
}

Result<void> DnsResolver::on_datagram(std::span<const std::uint8_t> payload, Ipv4 from, std::uint16_t from_port,
                                      std::uint64_t now_ms) noexcept {
  if (state_ != DnsState::querying) return fail(Errc::protocol_violation, "DNS response while no query is running");
  if (from != server_ || from_port != dns_server_port)
    return fail(Errc::protocol_violation, "DNS response not from the server we asked");
  auto answer = parse_dns_response(payload, id_, name());
  if (!answer) return tl::unexpected(answer.error());
  if (answer->status != DnsStatus::address) {
    finish(failure_for(answer->status));
    return {};
  }
  address_ = answer->address;
  state_ = DnsState::resolved;
  timeout_at_ms_ = no_deadline;
  send_due_ = false;
  const std::uint32_t ttl = std::min(answer->ttl_s, config_.max_cache_ttl_s);
  if (ttl > 0) {
    std::copy(name_.begin(), name_.begin() + static_cast<std::ptrdiff_t>(name_len_), cache_name_.begin());
    cache_len_ = name_len_;
    cache_address_ = address_;
    cache_expires_ms_ = now_ms + std::uint64_t{ttl} * 1000;
  }
  return {};
}

void DnsResolver::on_time(std::uint64_t now_ms) noexcept {
  if (state_ != DnsState::querying || now_ms < timeout_at_ms_) return;
  if (tries_sent_ >= config_.tries) {
    finish(DnsFailure::timeout);
    return;
  }
  send_due_ = true;  // same id: a late answer to an earlier try is still welcome
  timeout_at_ms_ = now_ms + config_.timeout_ms;
}

std::optional<OutgoingDatagram> DnsResolver::poll_datagram(std::span<std::uint8_t> buf) noexcept {
  if (!send_due_) return std::nullopt;
  auto size = build_dns_query(id_, name(), buf);
  if (!size) return std::nullopt;
  send_due_ = false;
  ++tries_sent_;
  return OutgoingDatagram{*size, server_, dns_server_port};
}

std::uint64_t DnsResolver::next_deadline_ms() const noexcept {
  return state_ == DnsState::querying ? timeout_at_ms_ : no_deadline;
}

void DnsResolver::finish(DnsFailure failure) noexcept {
  state_ = DnsState::failed;
  failure_ = failure;
  send_due_ = false;
  timeout_at_ms_ = no_deadline;
}

}  // namespace picohub::netstack
