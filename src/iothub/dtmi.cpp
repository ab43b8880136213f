#include "iothub/dtmi.hpp"

namespace picohub::iothub {
namespace {

bool is_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool valid_segment(std::string_view s) noexcept {
  if (s.empty() || !is_letter(s.front()) || s.back() == '_') return false;
  for (char c : s)
    if (!is_letter(c) && !is_digit(c) && c != '_') return false;
  return true;
}

// 1..999999999, no leading zero.
bool valid_version_number(std::string_view s) noexcept {
  if (s.empty() || s.size() > 9 || s.front() == '0') return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

}  // namespace

bool is_valid_dtmi(std::string_view id) noexcept {
  constexpr std::string_view scheme = "dtmi:";
  if (id.size() > max_model_id_bytes || !id.starts_with(scheme)) return false;
  id.remove_prefix(scheme.size());
  const auto semicolon = id.find(';');
  if (semicolon == std::string_view::npos) return false;
  std::string_view path = id.substr(0, semicolon);
  std::string_view version = id.substr(semicolon + 1);
  for (;;) {
    const auto colon = path.find(':');
    if (!valid_segment(path.substr(0, colon))) return false;
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  const auto dot = version.find('.');
  if (dot == std::string_view::npos) return valid_version_number(version);
  const std::string_view minor = version.substr(dot + 1);
  return valid_version_number(version.substr(0, dot)) && (minor == "0" || valid_version_number(minor));
}

}  // namespace picohub::iothub
