#include "iothub/json_scan.hpp"

#include <cstddef>

namespace picohub::iothub {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_space(std::string_view s, std::size_t i) noexcept {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

// s[i] is '"': the index after the closing quote, or npos.
std::size_t skip_string(std::string_view s, std::size_t i) noexcept {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] == '"') return i + 1;
  }
  return std::string_view::npos;
}

// The index after the value starting at s[i], or npos. Containers are skipped by counting brackets (strings
// skipped whole), so the depth bound replaces recursion; bracket kinds are not matched against each other.
std::size_t skip_value(std::string_view s, std::size_t i) noexcept {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] != '{' && s[i] != '[') {
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_space(s[i])) ++i;
    return i;
  }
  int depth = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {
      i = skip_string(s, i);
      if (i == std::string_view::npos) return i;
      continue;
    }
    if (c == '{' || c == '[') {
      if (++depth > json_max_depth) return std::string_view::npos;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
    ++i;
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<std::string_view> json_member(std::string_view object, std::string_view key) noexcept {
  constexpr auto npos = std::string_view::npos;
  std::size_t i = skip_space(object, 0);
  if (i >= object.size() || object[i] != '{') return std::nullopt;
  i = skip_space(object, i + 1);
  if (i < object.size() && object[i] == '}') return std::nullopt;
  while (i < object.size() && object[i] == '"') {
    const std::size_t name_end = skip_string(object, i);
    if (name_end == npos) return std::nullopt;
    const std::string_view name = object.substr(i + 1, name_end - i - 2);
    i = skip_space(object, name_end);
    if (i >= object.size() || object[i] != ':') return std::nullopt;
    const std::size_t value_begin = skip_space(object, i + 1);
    const std::size_t value_end = skip_value(object, value_begin);
    if (value_end == npos || value_end == value_begin) return std::nullopt;
    if (name == key) return object.substr(value_begin, value_end - value_begin);
    i = skip_space(object, value_end);
    if (i >= object.size() || object[i] != ',') return std::nullopt;
    i = skip_space(object, i + 1);
  }
  return std::nullopt;
}

// By hand rather than std::from_chars: the 64-bit overflow checks cost ~400 bytes of flash on the M0+, and 18
// digits are plenty for a twin integer (IoT Hub caps them at 2^52).
std::optional<std::int64_t> json_integer(std::string_view value) noexcept {
  const bool negative = !value.empty() && value[0] == '-';
  if (negative) value.remove_prefix(1);
  if (value.empty() || value.size() > 18) return std::nullopt;
  std::int64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return negative ? -n : n;
}

bool json_is_null(std::string_view value) noexcept { return value == "null"; }

}  // namespace picohub::iothub
