#include "service_time.hpp"

#include <ctime>

namespace picohub::cli {

std::optional<long long> parse_since_ms(const std::string& text, long long now_ms) {
  if (text.empty()) return std::nullopt;
  char unit = text.back();
  if (std::string("smhd").find(unit) != std::string::npos && text.size() > 1) {
    try {
      std::size_t used = 0;
      const double value = std::stod(text.substr(0, text.size() - 1), &used);
      if (used != text.size() - 1 || value < 0) return std::nullopt;
      const double scale = unit == 's' ? 1e3 : unit == 'm' ? 60e3 : unit == 'h' ? 3600e3 : 86400e3;
      return now_ms - static_cast<long long>(value * scale);
    } catch (...) {
      return std::nullopt;
    }
  }
  if (text.find_first_not_of("0123456789") == std::string::npos) return std::stoll(text) * 1000;
  std::tm tm{};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) {
    tm = {};
    rest = ::strptime(text.c_str(), "%Y-%m-%d", &tm);
    if (rest == nullptr || *rest != '\0') return std::nullopt;
  }
  long long ms = static_cast<long long>(::timegm(&tm)) * 1000;
  if (*rest == '.') {
    ++rest;
    long long frac = 0, scale = 100;
    while (*rest >= '0' && *rest <= '9') {
      frac += (*rest - '0') * scale;
      scale /= 10;
      ++rest;
    }
    ms += frac;
  }
  if (*rest == 'Z') ++rest;
  if (*rest != '\0') return std::nullopt;
  return ms;
}

}  // namespace picohub::cli
