// UART0 (PL011) as the console: 115200 baud, 8N1, FIFOs on, TX on GP0, RX on GP1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace picohub::rp2040 {

class Uart0 {
 public:
  static constexpr std::uint32_t pin_tx = 0, pin_rx = 1;
  static constexpr std::uint32_t baud = 115'200;

  // Resets and configures UART0 and its pins (clk_peri must already run).
  Uart0() noexcept;

  // Queues the text in the 32-byte TX FIFO, waiting for room as it goes: a full FIFO drains one byte per
  // 87 µs, so a 100-character line costs under 9 ms. The wait per byte is bounded: a UART that never drains
  // loses the text instead of hanging the loop. Static: the fault handler uses it without an object.
  static void write(std::string_view text) noexcept;
  // One received byte, if any.
  std::optional<std::uint8_t> read() noexcept;
};

}  // namespace picohub::rp2040
