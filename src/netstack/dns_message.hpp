// DNS (RFC 1035) A-record messages as a stub resolver sees them: a query with recursion desired, and a response
// walked with bounded compression-pointer jumps, following a CNAME chain inside the answer to the A record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/error.hpp"
#include "netstack/ipv4.hpp"

namespace picohub::netstack {

inline constexpr std::uint16_t dns_server_port = 53;
inline constexpr std::size_t dns_max_name = 253;          // text form, without a trailing dot
inline constexpr std::size_t dns_message_capacity = 512;  // plain UDP DNS

// Host name rules for a query: ASCII labels of 1..63 bytes, 253 bytes in all, one trailing dot allowed.
bool is_valid_dns_name(std::string_view name) noexcept;

// Writes a query for the A record of `name` (ASCII, labels of 1..63, trailing dot allowed) into `out`.
Result<std::size_t> build_dns_query(std::uint16_t id, std::string_view name, std::span<std::uint8_t> out) noexcept;

// A well-formed response to our query, which may still say "no": the resolver reports these by name.
enum class DnsStatus : std::uint8_t {
  address,      // an A record for the name (possibly through CNAMEs)
  nxdomain,     // RCODE 3: the name does not exist
  servfail,     // RCODE 2: the server failed (often: its upstream is unreachable)
  refused,      // RCODE 5: the server does not serve us
  other_error,  // any other non-zero RCODE
  no_address,   // RCODE 0 but no A record at the end of the chain
  truncated,    // TC set: the answer did not fit in UDP; we do not do TCP
};

const char* to_string(DnsStatus status) noexcept;

struct DnsAnswer {
  DnsStatus status = DnsStatus::no_address;
  Ipv4 address;
  std::uint32_t ttl_s = 0;  // smallest TTL along the chain
};

// Refuses (with a reason) anything that is not a complete response to query `id` for `name`: wrong id, QR clear,
// question mismatch, any section running past the end, names longer than 255 or with too many pointer jumps.
Result<DnsAnswer> parse_dns_response(std::span<const std::uint8_t> message, std::uint16_t id,
                                     std::string_view name) noexcept;

}  // namespace picohub::netstack
