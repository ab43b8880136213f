// Shared helpers for the mqtt unit tests (host only: may use the standard library freely).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "mqtt/codec.hpp"

namespace picohub::mqtt::test {

using Bytes = std::vector<std::uint8_t>;

inline Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

inline Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline std::span<const std::uint8_t> view(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::string_view as_text(std::span<const std::uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Encodes any packet into a fresh vector; the test fails loudly if encoding fails.
template <class P>
Bytes encoded(const P& packet, std::size_t capacity = 4096) {
  Bytes out(capacity);
  auto n = encode(packet, out);
  if (!n) return {};
  out.resize(*n);
  return out;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace picohub::mqtt::test
