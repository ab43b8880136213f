// Small types every netstack client shares: an IPv4 address (dotted-quad text in and out), the datagram a client
// asks the caller to send, the random source the caller lends it, and the "no deadline" marker.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>

#include "platform/addresses.hpp"

namespace picohub::netstack {

struct Ipv4 {
  platform::Ipv4Octets octets{};

  static constexpr Ipv4 from_u32(std::uint32_t host_order) noexcept {
    return Ipv4{{static_cast<std::uint8_t>(host_order >> 24), static_cast<std::uint8_t>(host_order >> 16),
                 static_cast<std::uint8_t>(host_order >> 8), static_cast<std::uint8_t>(host_order)}};
  }
  constexpr std::uint32_t to_u32() const noexcept {
    return (std::uint32_t{octets[0]} << 24) | (std::uint32_t{octets[1]} << 16) | (std::uint32_t{octets[2]} << 8) |
           std::uint32_t{octets[3]};
  }
  constexpr bool is_zero() const noexcept { return to_u32() == 0; }
  friend constexpr bool operator==(const Ipv4&, const Ipv4&) = default;
};

inline constexpr Ipv4 ipv4_any{};                            // 0.0.0.0
inline constexpr Ipv4 ipv4_broadcast{{255, 255, 255, 255}};  // limited broadcast

// Longest dotted quad plus its terminating NUL: "255.255.255.255".
inline constexpr std::size_t ipv4_text_capacity = 16;

// Writes "192.0.2.10" and a NUL into `out`; returns the text length, or 0 when `out` is too small.
std::size_t format_ipv4(Ipv4 address, std::span<char> out) noexcept;

// Strict dotted quad: four decimal numbers 0..255, no leading zeros (so "010" is never read as octal), nothing else.
std::optional<Ipv4> parse_ipv4(std::string_view text) noexcept;

// What poll_datagram() produced: `size` bytes at the start of the caller's buffer, to send to to_ip:to_port.
struct OutgoingDatagram {
  std::size_t size = 0;
  Ipv4 to_ip;
  std::uint16_t to_port = 0;
};

// Random values (transaction ids, DNS ids, SNTP nonces, retry jitter) come from the caller, never from rand():
// the caller decides how good they must be. Not a secret: a PRNG seeded from the MAC and a timer is enough.
struct RandomSource {
  std::uint32_t (*next)(void* context) = nullptr;
  void* context = nullptr;

  std::uint32_t operator()() const noexcept { return next != nullptr ? next(context) : 0; }
};

inline constexpr std::uint64_t no_deadline = std::numeric_limits<std::uint64_t>::max();

}  // namespace picohub::netstack
