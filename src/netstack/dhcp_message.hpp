// DHCP (RFC 2131/2132) messages as the client sees them: building DISCOVER/REQUEST into a caller buffer, and
// checking + reading a server reply. The W5100S hands over the UDP payload only, so these are BOOTP messages
// starting at `op`, with no IP or UDP header.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/error.hpp"
#include "netstack/ipv4.hpp"
#include "platform/addresses.hpp"

namespace picohub::netstack {

inline constexpr std::uint16_t dhcp_server_port = 67;
inline constexpr std::uint16_t dhcp_client_port = 68;
// Every message we build fits in this (the classic 576-byte datagram minus IP and UDP headers).
inline constexpr std::size_t dhcp_message_capacity = 548;
inline constexpr std::size_t dhcp_max_hostname = 63;

using MacAddress = platform::MacAddress;

enum class DhcpMessageType : std::uint8_t {
  discover = 1,
  offer = 2,
  request = 3,
  decline = 4,
  ack = 5,
  nak = 6,
  release = 7,
  inform = 8,
};

// What goes into a client message. Zero addresses mean "leave out" for requested_ip and server_id.
struct DhcpRequestFields {
  DhcpMessageType type = DhcpMessageType::discover;
  std::uint32_t xid = 0;
  std::uint16_t secs = 0;
  MacAddress mac{};
  Ipv4 ciaddr;                // our address while renewing or rebinding, else 0.0.0.0
  Ipv4 requested_ip;          // option 50 (REQUEST in SELECTING state)
  Ipv4 server_id;             // option 54 (REQUEST in SELECTING state)
  std::string_view hostname;  // option 12, cut to dhcp_max_hostname; empty = left out
};

// Writes the message into `out` (at least dhcp_message_capacity bytes); returns its size (>= 300).
Result<std::size_t> build_dhcp_message(const DhcpRequestFields& fields, std::span<std::uint8_t> out) noexcept;

struct DhcpReply {
  DhcpMessageType type = DhcpMessageType::nak;
  Ipv4 your_ip;    // yiaddr
  Ipv4 server_id;  // option 54 (zero when absent)
  Ipv4 subnet_mask;
  Ipv4 router;  // first router of option 3
  std::array<Ipv4, 2> dns{};
  std::uint8_t dns_count = 0;
  std::array<Ipv4, 2> ntp{};  // option 42, so SNTP can start before DNS
  std::uint8_t ntp_count = 0;
  std::uint32_t lease_s = 0;  // 0 when absent
  std::uint32_t t1_s = 0;     // 0 when absent
  std::uint32_t t2_s = 0;     // 0 when absent
};

// Accepts only a complete server reply (op 2, Ethernet hardware type, magic cookie, options ending in END) for our
// transaction `xid` and hardware address `mac`, with a message type and well-sized options. Everything else is
// refused with a reason; the client ignores refused datagrams.
Result<DhcpReply> parse_dhcp_reply(std::span<const std::uint8_t> message, std::uint32_t xid,
                                   const MacAddress& mac) noexcept;

}  // namespace picohub::netstack
