// Time, as the portable core sees it: a monotonic millisecond count (never goes back, starts anywhere) and a
// Unix time that is *unknown* until something sets it (SNTP on the board, the operating system on the host).
// Nothing that signs a SAS token or checks a certificate may run on an unknown Unix time.
#pragma once

#include <cstdint>
#include <optional>

namespace picohub::platform {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::uint64_t now_ms() const noexcept = 0;
};

// Unix time kept as an offset from the monotonic clock, so it advances with it between syncs.
class UnixClock {
 public:
  // `unix_ms` was the Unix time (milliseconds) at monotonic time `at_ms`.
  void set(std::uint64_t unix_ms, std::uint64_t at_ms) noexcept {
    offset_ms_ = static_cast<std::int64_t>(unix_ms) - static_cast<std::int64_t>(at_ms);
    synced_at_ms_ = at_ms;
    known_ = true;
  }
  void forget() noexcept { known_ = false; }
  bool known() const noexcept { return known_; }
  // Monotonic time of the last set(); meaningful only when known().
  std::uint64_t synced_at_ms() const noexcept { return synced_at_ms_; }

  std::optional<std::uint64_t> unix_ms(std::uint64_t now_ms) const noexcept {
    if (!known_) return std::nullopt;
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(now_ms) + offset_ms_);
  }
  std::optional<std::uint64_t> unix_s(std::uint64_t now_ms) const noexcept {
    auto ms = unix_ms(now_ms);
    if (!ms) return std::nullopt;
    return *ms / 1000;
  }

 private:
  std::int64_t offset_ms_ = 0;
  std::uint64_t synced_at_ms_ = 0;
  bool known_ = false;
};

}  // namespace picohub::platform
