#include "iothub/url_encoding.hpp"

namespace picohub::iothub {
namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes one character at in[i]; advances i. Returns -1 on a malformed escape.
int next_decoded(std::string_view in, std::size_t& i) noexcept {
  const char c = in[i];
  if (c != '%') {
    ++i;
    return static_cast<unsigned char>(c);
  }
  if (i + 2 >= in.size()) return -1;
  const int hi = hex_value(in[i + 1]);
  const int lo = hex_value(in[i + 2]);
  if (hi < 0 || lo < 0) return -1;
  i += 3;
  return hi * 16 + lo;
}

}  // namespace

std::size_t url_encoded_size(std::string_view in) noexcept {
  std::size_t n = 0;
  for (char c : in) n += is_unreserved(c) ? 1 : 3;
  return n;
}

Result<std::string_view> url_encode(std::string_view in, std::span<char> out) noexcept {
  std::size_t n = 0;
  for (char c : in) {
    if (is_unreserved(c)) {
      if (n + 1 > out.size()) return fail(Errc::too_large, "buffer too small for the url-encoded text");
      out[n++] = c;
    } else {
      if (n + 3 > out.size()) return fail(Errc::too_large, "buffer too small for the url-encoded text");
      const auto b = static_cast<unsigned char>(c);
      out[n++] = '%';
      out[n++] = hex_digits[b >> 4];
      out[n++] = hex_digits[b & 0x0f];
    }
  }
  return std::string_view(out.data(), n);
}

Result<std::string_view> url_decode(std::string_view in, std::span<char> out) noexcept {
  std::size_t n = 0;
  std::size_t i = 0;
  while (i < in.size()) {
    const int v = next_decoded(in, i);
    if (v < 0) return fail(Errc::malformed, "'%' must be followed by two hex digits");
    if (n >= out.size()) return fail(Errc::too_large, "buffer too small for the url-decoded text");
    out[n++] = static_cast<char>(v);
  }
  return std::string_view(out.data(), n);
}

bool url_decoded_equals(std::string_view encoded, std::string_view plain) noexcept {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < encoded.size()) {
    const int v = next_decoded(encoded, i);
    if (v < 0 || j >= plain.size() || static_cast<unsigned char>(plain[j]) != v) return false;
    ++j;
  }
  return j == plain.size();
}

}  // namespace picohub::iothub
