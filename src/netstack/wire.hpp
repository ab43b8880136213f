// Big-endian field access for the netstack's packet builders and parsers. Callers check bounds first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "netstack/ipv4.hpp"

namespace picohub::netstack::wire {

inline std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) noexcept {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
inline std::uint32_t get32(std::span<const std::uint8_t> b, std::size_t at) noexcept {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) |
         std::uint32_t{b[at + 3]};
}
inline Ipv4 get_ipv4(std::span<const std::uint8_t> b, std::size_t at) noexcept { return Ipv4::from_u32(get32(b, at)); }

inline void put16(std::span<std::uint8_t> b, std::size_t at, std::uint16_t v) noexcept {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
inline void put32(std::span<std::uint8_t> b, std::size_t at, std::uint32_t v) noexcept {
  put16(b, at, static_cast<std::uint16_t>(v >> 16));
  put16(b, at + 2, static_cast<std::uint16_t>(v));
}
inline void put_ipv4(std::span<std::uint8_t> b, std::size_t at, Ipv4 v) noexcept { put32(b, at, v.to_u32()); }

}  // namespace picohub::netstack::wire
