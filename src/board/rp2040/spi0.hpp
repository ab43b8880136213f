// SPI0 (PL022) as the W5100S's bus: GP16 RX (MISO), GP18 SCK, GP19 TX (MOSI), mode 0, 8-bit frames, master.
// Chip select is GP17 driven as a plain SIO output, not the PL022's CSn: in Motorola mode with SPH=0 the
// PL022 raises CSn between every byte, which ends a W5100S burst (and rp2040js cannot show a hardware CSn).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "platform/spi_bus.hpp"

namespace picohub::rp2040 {

class Spi0Bus final : public platform::SpiBus {
 public:
  static constexpr std::uint32_t pin_rx = 16, pin_cs = 17, pin_sck = 18, pin_tx = 19;
  // 31.25 MHz: clk_peri / 4, under the W5100S's 70 MHz and a rate the PL022 can sample cleanly.
  static constexpr std::uint32_t default_max_hz = 31'250'000;

  // Resets and configures SPI0 and its pins (clk_peri must already run). The bus runs at the fastest rate
  // clk_peri / (2 x n) that does not exceed `max_hz` (at least 244 kHz).
  explicit Spi0Bus(std::uint32_t max_hz = default_max_hz) noexcept;

  void transaction(std::span<const std::uint8_t> header, std::span<const std::uint8_t> data_out,
                   std::span<std::uint8_t> data_in) override;

  std::uint32_t clock_hz() const noexcept { return clock_hz_; }
  // Transfers abandoned because the controller stopped making progress (should stay 0 on working hardware).
  std::uint32_t stalls() const noexcept { return stalls_; }

 private:
  // Full-duplex exchange of `count` bytes: sends `tx` (zeros when null), stores what comes back in `rx`
  // (discarded when null). Keeps at most 8 bytes in flight so the 8-deep RX FIFO never overflows.
  void exchange(const std::uint8_t* tx, std::uint8_t* rx, std::size_t count) noexcept;

  std::uint32_t clock_hz_ = 0;
  std::uint32_t stalls_ = 0;
};

}  // namespace picohub::rp2040
