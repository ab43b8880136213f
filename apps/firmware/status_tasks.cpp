#include "status_tasks.hpp"

#include "console_line.hpp"

namespace picohub::firmware {

void LedBlink::poll(std::uint64_t now_ms) noexcept {
  if (now_ms < next_ms_) return;
  board_.toggle_led();
  next_ms_ = now_ms + half_period_ms_;
}

void Heartbeat::poll(std::uint64_t now_ms) noexcept {
  if (now_ms < next_ms_) return;
  next_ms_ = now_ms + period_ms_;
  ConsoleLine line;
  line << "alive: uptime ";
  line.number(now_ms / 1000) << " s, stack high water ";
  line.number(board_.stack_high_water_bytes()) << " of ";
  line.number(board_.stack_size_bytes()) << " bytes\r\n";
  board_.console_write(line.text());
  print_temperature(board_);
}

void print_temperature(Board& board) noexcept {
  ConsoleLine line;
  const auto reading = board.temperature();
  if (!reading) {
    line << "temperature: no reading (ADC conversion did not finish)\r\n";
  } else if (!reading->plausible) {
    line << "temperature: implausible reading ";
    line.milli_one_decimal(reading->millicelsius) << " C (ADC raw ";
    line.number(reading->raw) << "): reported as unavailable\r\n";
  } else {
    line << "temperature: ";
    line.milli_one_decimal(reading->millicelsius) << " C (ADC raw ";
    line.number(reading->raw) << ")\r\n";
  }
  board.console_write(line.text());
}

}  // namespace picohub::firmware
