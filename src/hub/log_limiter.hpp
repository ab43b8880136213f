// Per-client log rate limit: a device that misbehaves in a loop (bad property bags, refused patches, reconnect
// storms) must not fill the disk with the broker log. Each key (client id) gets `per_second` lines per
// one-second window; the rest are counted and reported as one "suppressed N log lines" line when the key's
// window ends (on its next line, or from sweep()).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

namespace picohub::hub {

class LogLimiter {
 public:
  explicit LogLimiter(int per_second = 5) : per_second_(per_second) {}

  // Whether a line for `key` may be written now. `report` is called first with a summary line when an earlier
  // window of this key suppressed lines.
  bool allow(const std::string& key, std::int64_t now_ms, const std::function<void(const std::string&)>& report);
  // Reports and forgets keys whose window ended (call about once a second).
  void sweep(std::int64_t now_ms, const std::function<void(const std::string&)>& report);

 private:
  struct Window {
    std::int64_t start_ms = 0;
    int lines = 0;
    std::int64_t suppressed = 0;
  };
  static std::string summary(const std::string& key, std::int64_t suppressed);
  int per_second_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace picohub::hub
