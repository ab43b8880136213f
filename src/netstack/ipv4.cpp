#include "netstack/ipv4.hpp"

namespace picohub::netstack {

std::size_t format_ipv4(Ipv4 address, std::span<char> out) noexcept {
  char text[ipv4_text_capacity];
  std::size_t n = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const unsigned v = address.octets[i];
    if (v >= 100) text[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) text[n++] = static_cast<char>('0' + v / 10 % 10);
    text[n++] = static_cast<char>('0' + v % 10);
    if (i < 3) text[n++] = '.';
  }
  if (out.size() < n + 1) return 0;
  for (std::size_t i = 0; i < n; ++i) out[i] = text[i];
  out[n] = '\0';
  return n;
}

std::optional<Ipv4> parse_ipv4(std::string_view text) noexcept {
  Ipv4 address;
  std::size_t pos = 0;
  for (std::size_t part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= text.size() || text[pos] != '.') return std::nullopt;
      ++pos;
    }
    const std::size_t start = pos;
    unsigned value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 3) {
      value = value * 10 + static_cast<unsigned>(text[pos] - '0');
      ++pos;
    }
    const std::size_t digits = pos - start;
    if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0')) return std::nullopt;
    address.octets[part] = static_cast<std::uint8_t>(value);
  }
  if (pos != text.size()) return std::nullopt;
  return address;
}

}  // namespace picohub::netstack
