#include "duration.hpp"

#include <charconv>
#include <limits>
#include <string_view>

namespace picohub::cli {

bool parse_duration_ms(const std::string& text, std::uint64_t& out) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || p == text.data()) return false;
  const std::string_view unit(p, static_cast<std::size_t>(end - p));
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1000;
  else if (unit == "ms") scale = 1;
  else if (unit == "m") scale = 60'000;
  else return false;
  if (value > std::numeric_limits<std::uint64_t>::max() / scale) return false;
  out = value * scale;
  return true;
}

}  // namespace picohub::cli
