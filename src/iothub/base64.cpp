#include "iothub/base64.hpp"

namespace picohub::iothub {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

Result<std::string_view> base64_encode(std::span<const std::uint8_t> in, std::span<char> out) noexcept {
  const std::size_t need = base64_encoded_size(in.size());
  if (need > out.size()) return fail(Errc::too_large, "buffer too small for the base64 text");
  std::size_t o = 0;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = alphabet[(v >> 6) & 63];
    out[o++] = alphabet[v & 63];
  }
  const std::size_t rest = in.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (rest == 2) v |= std::uint32_t{in[i + 1]} << 8;
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
  return std::string_view(out.data(), o);
}

Result<std::size_t> base64_decode(std::string_view in, std::span<std::uint8_t> out, Base64Mode mode) noexcept {
  std::size_t data_len = in.size();
  if (mode == Base64Mode::strict) {
    if (in.size() % 4 != 0) return fail(Errc::malformed, "base64 length must be a multiple of 4");
    std::size_t pad = 0;
    while (pad < 2 && data_len > 0 && in[data_len - 1] == '=') {
      --data_len;
      ++pad;
    }
  } else {
    const std::size_t eq = in.find('=');
    if (eq != std::string_view::npos) data_len = eq;
  }
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t o = 0;
  for (std::size_t i = 0; i < data_len; ++i) {
    const int v = sextet(in[i]);
    if (v < 0) return fail(Errc::malformed, "not a base64 character");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o >= out.size()) return fail(Errc::too_large, "buffer too small for the decoded base64");
      out[o++] = static_cast<std::uint8_t>((acc >> bits) & 0xff);
    }
  }
  if (mode == Base64Mode::strict && data_len % 4 == 1) return fail(Errc::malformed, "base64 ends mid-byte");
  return o;
}

}  // namespace picohub::iothub
