// The cooperative main loop's unit of work. Each stage of the firmware (status LED, heartbeat, and later the
// W5100S link, DHCP, SNTP, DNS, TLS, the IoT Hub client) is a LoopTask: polled with the current time, it does
// a bounded amount of work and says when it next needs to run. Nothing blocks; the loop sleeps in between.
#pragma once

#include <cstdint>
#include <span>

namespace picohub::firmware {

class LoopTask {
 public:
  virtual ~LoopTask() = default;
  // Does whatever is due at `now_ms`. Must return quickly (well under the watchdog timeout).
  virtual void poll(std::uint64_t now_ms) noexcept = 0;
  // The next time poll() has something to do; the loop may call poll() earlier (after any interrupt).
  virtual std::uint64_t next_deadline_ms() const noexcept = 0;
};

// The earliest deadline among `tasks`, but no later than `latest_ms`.
inline std::uint64_t earliest_deadline(std::span<LoopTask* const> tasks, std::uint64_t latest_ms) noexcept {
  std::uint64_t deadline = latest_ms;
  for (const LoopTask* task : tasks) {
    const std::uint64_t d = task->next_deadline_ms();
    if (d < deadline) deadline = d;
  }
  return deadline;
}

}  // namespace picohub::firmware
