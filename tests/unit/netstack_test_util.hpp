// Helpers for the netstack tests: a scripted random source and a byte builder for hand-made packets.
#pragma once

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "netstack/ipv4.hpp"

namespace picohub::netstack::test {

// Hands out the scripted values first, then `fallback` forever.
struct ScriptedRandom {
  std::deque<std::uint32_t> values;
  std::uint32_t fallback = 0;
  int calls = 0;

  static std::uint32_t next(void* self) {
    auto* r = static_cast<ScriptedRandom*>(self);
    ++r->calls;
    if (r->values.empty()) return r->fallback;
    const std::uint32_t v = r->values.front();
    r->values.pop_front();
    return v;
  }
  RandomSource source() { return RandomSource{&ScriptedRandom::next, this}; }
};

// Appends big-endian fields: what the RFC figures describe, written out by hand.
struct Bytes {
  std::vector<std::uint8_t> b;

  Bytes& u8(unsigned v) {
    b.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  Bytes& u16(unsigned v) { return u8(v >> 8).u8(v & 0xFF); }
  Bytes& u32(std::uint32_t v) { return u16(v >> 16).u16(v & 0xFFFF); }
  Bytes& ip(Ipv4 a) {
    for (auto o : a.octets) u8(o);
    return *this;
  }
  Bytes& raw(std::initializer_list<unsigned> values) {
    for (auto v : values) u8(v);
    return *this;
  }
  Bytes& text(std::string_view s) {
    for (char c : s) u8(static_cast<unsigned char>(c));
    return *this;
  }
  Bytes& zeros(std::size_t n) {
    b.insert(b.end(), n, 0);
    return *this;
  }
  std::size_t size() const { return b.size(); }
  std::span<const std::uint8_t> span() const { return b; }
};

inline constexpr Ipv4 ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) { return Ipv4{{a, b, c, d}}; }

}  // namespace picohub::netstack::test
