// picohub firmware for the W5100S-EVB-Pico: boot report on UART0, then the cooperative main loop.
// Stages are LoopTasks; add the network stages to `tasks` below as they land.
#include <array>

#include "board.hpp"
#include "board/rp2040/clocks.hpp"
#include "console_line.hpp"
#include "loop_task.hpp"
#include "platform/entropy_health.hpp"
#include "status_tasks.hpp"

#ifndef PICOHUB_VERSION
#define PICOHUB_VERSION "unknown"
#endif

namespace picohub::firmware {
namespace {

// Feeding happens every loop pass; a pass sleeps at most loop_max_sleep_ms, so a healthy loop feeds ~5x per
// timeout. Any single step that takes longer than this is a hang by definition.
constexpr std::uint32_t watchdog_timeout_ms = 5000;
constexpr std::uint32_t loop_max_sleep_ms = 1000;

void print_boot_report(Board& board) noexcept {
  board.console_write("\r\npicohub firmware " PICOHUB_VERSION " for W5100S-EVB-Pico\r\n");

  ConsoleLine reset;
  reset << "reset reason: " << rp2040::describe(board.reset_reason());
  if (board.reset_reason() == rp2040::ResetReason::software_request) {
    reset << " (code ";
    reset.number(board.restart_code()) << ")";
  }
  reset << "\r\n";
  board.console_write(reset.text());

  if (board.clock_failures() != 0 || !board.gpio_ready()) {
    ConsoleLine clocks;
    clocks << "WARNING: hardware did not report ready (clock failure bits 0x";
    clocks.number(board.clock_failures(), 16) << (board.gpio_ready() ? "" : ", GPIO banks stuck in reset")
                                              << "); continuing\r\n";
    board.console_write(clocks.text());
  }

  ConsoleLine entropy;
  const platform::EntropyHealth health = board.start_entropy();
  entropy << "entropy: ROSC start-up health test (";
  entropy.number(platform::entropy_params::startup_samples) << " samples): " << platform::describe(health);
  if (health != platform::EntropyHealth::ok) entropy << "; TLS is blocked until it passes, everything else continues";
  entropy << "\r\n";
  board.console_write(entropy.text());

  print_temperature(board);

  ConsoleLine stack;
  stack << "stack: ";
  stack.number(board.stack_high_water_bytes()) << " of ";
  stack.number(board.stack_size_bytes()) << " bytes used so far\r\n";
  board.console_write(stack.text());
}

}  // namespace
}  // namespace picohub::firmware

int main() {
  using namespace picohub::firmware;
  static Board board;  // static storage, not the stack: it holds every driver
  board.enable_watchdog(watchdog_timeout_ms);
  print_boot_report(board);
  board.console_write("running: main loop (LED blinks every 500 ms, heartbeat every 10 s)\r\n");

  LedBlink blink(board, 500);
  Heartbeat heartbeat(board, 10'000, board.clock().now_ms() + 10'000);
  const std::array<LoopTask*, 2> tasks{&blink, &heartbeat};

  for (;;) {
    const std::uint64_t now = board.clock().now_ms();
    for (LoopTask* task : tasks) task->poll(now);
    board.feed_watchdog();
    board.sleep_until_ms(earliest_deadline(tasks, now + loop_max_sleep_ms));
  }
}
