// Shared by the websocket unit tests: counting entropy and server frames built by hand.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "platform/entropy.hpp"
#include "websocket/framing.hpp"

namespace picohub::websocket::testing {

class CountingEntropy final : public platform::Entropy {
 public:
  bool healthy = true;
  std::uint8_t next = 1;
  Result<void> fill(std::span<std::uint8_t> out) override {
    if (!healthy) return fail(Errc::crypto_failure, "source failed its health tests");
    for (auto& b : out) b = next++;
    return {};
  }
  platform::EntropyHealth health() const noexcept override { return platform::EntropyHealth::ok; }
};

// An unmasked (server) frame; `length_form` 0 picks the shortest length encoding, 16 or 64 forces one.
inline std::vector<std::uint8_t> server_frame(Opcode opcode, std::vector<std::uint8_t> payload, bool fin = true,
                                              int length_form = 0) {
  std::vector<std::uint8_t> f;
  f.reserve(payload.size() + 10);
  f.push_back(static_cast<std::uint8_t>((fin ? 0x80 : 0) | static_cast<std::uint8_t>(opcode)));
  const std::uint64_t n = payload.size();
  if (length_form == 0 && n < 126) {
    f.push_back(static_cast<std::uint8_t>(n));
  } else if (length_form == 16 || (length_form == 0 && n <= 0xFFFF)) {
    f.push_back(126);
    f.push_back(static_cast<std::uint8_t>(n >> 8));
    f.push_back(static_cast<std::uint8_t>(n));
  } else {
    f.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8) f.push_back(static_cast<std::uint8_t>(n >> shift));
  }
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

inline std::vector<std::uint8_t> bytes(std::size_t n, std::uint8_t seed = 0) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 7);
  return v;
}

}  // namespace picohub::websocket::testing
