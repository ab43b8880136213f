#include "endpoint_text.hpp"

#include <charconv>

namespace picohub::cli {

bool split_endpoint(std::string_view text, std::string& host, std::uint16_t& port) {
  port = 8883;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(text.substr(1, close - 1));
    text.remove_prefix(close + 1);
    if (text.empty()) return true;
    if (text.front() != ':') return false;
    text.remove_prefix(1);
  } else {
    const auto colon = text.rfind(':');
    host = std::string(text.substr(0, colon));
    if (colon == std::string_view::npos) return !host.empty();
    text.remove_prefix(colon + 1);
  }
  unsigned value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || p != text.data() + text.size() || value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return !host.empty();
}

}  // namespace picohub::cli
