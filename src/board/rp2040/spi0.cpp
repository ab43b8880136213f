#include "board/rp2040/spi0.hpp"

#include "board/rp2040/clocks.hpp"
#include "board/rp2040/gpio.hpp"
#include "board/rp2040/mmio.hpp"
#include "board/rp2040/resets.hpp"

namespace picohub::rp2040 {
namespace {

constexpr Address cr0 = base::spi0 + 0x00, cr1 = base::spi0 + 0x04, dr = base::spi0 + 0x08, sr = base::spi0 + 0x0C,
                  cpsr = base::spi0 + 0x10;
constexpr std::uint32_t cr0_8bit_frames = 7;   // DSS = bits - 1; FRF 0 (Motorola), SPO 0, SPH 0 (mode 0)
constexpr std::uint32_t cr1_enable = 1u << 1;  // SSE; MS 0 = master
constexpr std::uint32_t sr_busy = 1u << 4, sr_rx_not_empty = 1u << 2, sr_tx_not_full = 1u << 1;
constexpr std::uint32_t prescale = 2;  // CPSDVSR: the smallest (even) prescaler
constexpr std::size_t fifo_depth = 8;
// Polls without progress before a transfer is abandoned: far longer than one byte at the slowest clock.
constexpr std::uint32_t max_idle_polls = 100'000;

}  // namespace

Spi0Bus::Spi0Bus(std::uint32_t max_hz) noexcept {
  resets::hold(resets::Block::spi0);
  (void)resets::release(resets::Block::spi0);

  // f = clk_peri / (prescale x (SCR + 1)); pick the smallest SCR that keeps f <= max_hz.
  const std::uint32_t per_scr = clocks::peri_hz / prescale;
  std::uint32_t divisor = max_hz == 0 ? 256 : (per_scr + max_hz - 1) / max_hz;
  if (divisor < 1) divisor = 1;
  if (divisor > 256) divisor = 256;
  clock_hz_ = per_scr / divisor;

  reg(cpsr) = prescale;
  reg(cr0) = ((divisor - 1) << 8) | cr0_8bit_frames;
  reg(cr1) = cr1_enable;

  gpio::make_output(pin_cs, true);  // idle: deselected
  gpio::set_function(pin_rx, gpio::Function::spi);
  gpio::set_function(pin_sck, gpio::Function::spi);
  gpio::set_function(pin_tx, gpio::Function::spi);
}

void Spi0Bus::transaction(std::span<const std::uint8_t> header, std::span<const std::uint8_t> data_out,
                          std::span<std::uint8_t> data_in) {
  while (reg(sr) & sr_rx_not_empty) (void)reg_read(dr);  // nothing stale may be taken for the reply
  gpio::write(pin_cs, false);
  exchange(header.data(), nullptr, header.size());
  exchange(data_out.data(), nullptr, data_out.size());
  exchange(nullptr, data_in.data(), data_in.size());
  (void)wait_bits(sr, sr_busy, 0, max_idle_polls);  // last bit on the wire before CS rises
  gpio::write(pin_cs, true);
}

void Spi0Bus::exchange(const std::uint8_t* tx, std::uint8_t* rx, std::size_t count) noexcept {
  std::size_t sent = 0, received = 0;
  std::uint32_t idle = 0;
  while (received < count) {
    bool progress = false;
    if (sent < count && sent - received < fifo_depth && (reg(sr) & sr_tx_not_full)) {
      reg(dr) = tx ? tx[sent] : 0u;
      ++sent;
      progress = true;
    }
    if (reg(sr) & sr_rx_not_empty) {
      const auto byte = static_cast<std::uint8_t>(reg(dr));
      if (rx) rx[received] = byte;
      ++received;
      progress = true;
    }
    idle = progress ? 0 : idle + 1;
    if (idle > max_idle_polls) {
      ++stalls_;
      return;
    }
  }
}

}  // namespace picohub::rp2040
