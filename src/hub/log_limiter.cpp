#include "hub/log_limiter.hpp"

namespace picohub::hub {

std::string LogLimiter::summary(const std::string& key, std::int64_t suppressed) {
  return (key.empty() ? std::string("(no client id)") : key) + ": suppressed " + std::to_string(suppressed) +
         " log line(s) (more than the per-client limit per second)";
}

bool LogLimiter::allow(const std::string& key, std::int64_t now_ms,
                       const std::function<void(const std::string&)>& report) {
  Window& w = windows_[key];
  if (now_ms - w.start_ms >= 1000 || now_ms < w.start_ms) {
    if (w.suppressed > 0) report(summary(key, w.suppressed));
    w = Window{now_ms, 0, 0};
  }
  if (w.lines < per_second_) {
    ++w.lines;
    return true;
  }
  ++w.suppressed;
  return false;
}

void LogLimiter::sweep(std::int64_t now_ms, const std::function<void(const std::string&)>& report) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (now_ms - it->second.start_ms >= 1000 || now_ms < it->second.start_ms) {
      if (it->second.suppressed > 0) report(summary(it->first, it->second.suppressed));
      it = windows_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace picohub::hub
