// DNS stub resolver for one A record at a time, sans-I/O: start(name) -> query datagram -> response or timeout
// -> retries -> resolved or failed with a reason. IPv4 literals resolve at once without a query; a one-entry
// cache (enough for the hub host name) answers repeats until the record's TTL runs out. No heap, never blocks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/error.hpp"
#include "netstack/dns_message.hpp"
#include "netstack/ipv4.hpp"

namespace picohub::netstack {

enum class DnsState : std::uint8_t { idle, querying, resolved, failed };

enum class DnsFailure : std::uint8_t {
  none,
  invalid_name,  // not a host name we can put in a query
  timeout,       // no valid response after every try
  nxdomain,
  servfail,
  refused,
  server_error,
  no_address,
  truncated,  // as DnsStatus says
};

const char* to_string(DnsFailure failure) noexcept;

struct DnsConfig {
  RandomSource random;               // query ids
  std::uint32_t timeout_ms = 2'000;  // per try
  std::uint8_t tries = 3;
  std::uint32_t max_cache_ttl_s = 86'400;  // a day at most, whatever the server says
};

class DnsResolver {
 public:
  explicit DnsResolver(const DnsConfig& config) noexcept : config_(config) {}

  // Resolves `name` (copied) through `server`. Literal or cached names are resolved on return.
  void start(std::uint64_t now_ms, std::string_view name, Ipv4 server) noexcept;
  Result<void> on_datagram(std::span<const std::uint8_t> payload, Ipv4 from, std::uint16_t from_port,
                           std::uint64_t now_ms) noexcept;
  void on_time(std::uint64_t now_ms) noexcept;
  // The query due now, written into `buf` (dns_message_capacity bytes is always enough).
  std::optional<OutgoingDatagram> poll_datagram(std::span<std::uint8_t> buf) noexcept;
  std::uint64_t next_deadline_ms() const noexcept;

  DnsState state() const noexcept { return state_; }
  DnsFailure failure() const noexcept { return failure_; }
  Ipv4 address() const noexcept { return address_; }  // valid in resolved
  bool answered_from_cache() const noexcept { return from_cache_; }
  void clear_cache() noexcept { cache_len_ = 0; }

 private:
  void finish(DnsFailure failure) noexcept;
  bool cache_hit(std::uint64_t now_ms) noexcept;
  std::string_view name() const noexcept { return {name_.data(), name_len_}; }

  DnsConfig config_;
  DnsState state_ = DnsState::idle;
  DnsFailure failure_ = DnsFailure::none;
  std::array<char, dns_max_name + 1> name_{};
  std::size_t name_len_ = 0;
  Ipv4 server_;
  Ipv4 address_;
  std::uint16_t id_ = 0;
  std::uint8_t tries_sent_ = 0;
  bool send_due_ = false;
  bool from_cache_ = false;
  std::uint64_t timeout_at_ms_ = no_deadline;
  // The cache: one name, its address, and when it stops being valid.
  std::array<char, dns_max_name + 1> cache_name_{};
  std::size_t cache_len_ = 0;
  Ipv4 cache_address_;
  std::uint64_t cache_expires_ms_ = 0;
};

}  // namespace picohub::netstack
