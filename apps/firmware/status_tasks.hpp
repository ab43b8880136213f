// The firmware's own status stages: the LED blink that shows the loop is alive, and a periodic console
// heartbeat with uptime, temperature and stack use.
#pragma once

#include <cstdint>

#include "board.hpp"
#include "loop_task.hpp"

namespace picohub::firmware {

class LedBlink final : public LoopTask {
 public:
  LedBlink(Board& board, std::uint32_t half_period_ms) noexcept : board_(board), half_period_ms_(half_period_ms) {}
  void poll(std::uint64_t now_ms) noexcept override;
  std::uint64_t next_deadline_ms() const noexcept override { return next_ms_; }

 private:
  Board& board_;
  std::uint32_t half_period_ms_;
  std::uint64_t next_ms_ = 0;
};

class Heartbeat final : public LoopTask {
 public:
  Heartbeat(Board& board, std::uint32_t period_ms, std::uint64_t first_ms) noexcept
      : board_(board), period_ms_(period_ms), next_ms_(first_ms) {}
  void poll(std::uint64_t now_ms) noexcept override;
  std::uint64_t next_deadline_ms() const noexcept override { return next_ms_; }

 private:
  Board& board_;
  std::uint32_t period_ms_;
  std::uint64_t next_ms_;
};

// "temperature: 27.1 C (ADC raw 876)" or why there is no usable reading. Shared by the boot report.
void print_temperature(Board& board) noexcept;

}  // namespace picohub::firmware
