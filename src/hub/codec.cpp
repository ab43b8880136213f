#include "hub/codec.hpp"

#include <ctime>
#include <random>
#include <vector>

#include "iothub/base64.hpp"
#include "iothub/property_bag.hpp"
#include "iothub/url_encoding.hpp"

namespace picohub::hub {

std::string base64_encode(std::string_view bytes) {
  std::string out(iothub::base64_encoded_size(bytes.size()), '\0');
  auto r = iothub::base64_encode(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), out);
  return r ? std::string(*r) : std::string();
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::vector<std::uint8_t> out(text.size() / 4 * 3 + 3);
  auto n = iothub::base64_decode(text, out);
  if (!n) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(out.data()), *n);
}

std::optional<std::string> url_decode(std::string_view text) {
  std::string out(text.size(), '\0');
  auto r = iothub::url_decode(text, out);
  if (!r) return std::nullopt;
  return std::string(*r);
}

std::string url_encode(std::string_view text) {
  std::string out(iothub::url_encoded_size(text), '\0');
  auto r = iothub::url_encode(text, out);
  return r ? std::string(*r) : std::string();
}

std::optional<PropertyList> parse_property_bag(std::string_view bag) {
  PropertyList out;
  iothub::PropertyBagReader reader(bag);
  std::string key(bag.size(), '\0'), value(bag.size(), '\0');
  while (auto p = reader.next()) {
    auto k = iothub::decode_key(*p, key);
    if (!k || k->empty()) return std::nullopt;
    if (!p->has_value) {
      out.emplace_back(std::string(*k), std::nullopt);
      continue;
    }
    auto v = iothub::decode_value(*p, value);
    if (!v) return std::nullopt;
    out.emplace_back(std::string(*k), std::string(*v));
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string iso8601_utc(std::int64_t unix_ms) {
  std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(unix_ms % 1000));
  return out;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      auto d = static_cast<unsigned char>(text[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::string random_key_base64(std::size_t bytes) {
  std::random_device rd;
  std::string raw(bytes, '\0');
  for (auto& b : raw) b = static_cast<char>(rd() & 0xFF);
  return base64_encode(raw);
}

std::string random_hex(std::size_t bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    auto v = rd() & 0xFF;
    out.push_back(hex[v >> 4]);
    out.push_back(hex[v & 15]);
  }
  return out;
}

std::string content_etag(std::string_view text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  std::string bytes(8, '\0');
  for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>(h >> (8 * i));
  return base64_encode(bytes);
}

bool if_match_accepts(std::string_view if_match, std::string_view etag) {
  if (if_match.size() >= 2 && if_match.front() == '"' && if_match.back() == '"') {
    if_match = if_match.substr(1, if_match.size() - 2);
  }
  return if_match.empty() || if_match == "*" || if_match == etag;
}

}  // namespace picohub::hub
