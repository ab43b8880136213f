#include "board/rp2040/uart0.hpp"

#include "board/rp2040/clocks.hpp"
#include "board/rp2040/gpio.hpp"
#include "board/rp2040/mmio.hpp"
#include "board/rp2040/resets.hpp"

namespace picohub::rp2040 {
namespace {

constexpr Address dr = base::uart0 + 0x00, fr = base::uart0 + 0x18, ibrd = base::uart0 + 0x24,
                  fbrd = base::uart0 + 0x28, lcr_h = base::uart0 + 0x2C, cr = base::uart0 + 0x30;
constexpr std::uint32_t fr_tx_full = 1u << 5, fr_rx_empty = 1u << 4;
constexpr std::uint32_t lcr_8bit_fifo = (3u << 5) | (1u << 4);  // WLEN 8, FEN; no parity, one stop bit
constexpr std::uint32_t cr_rx_tx_enable = (1u << 9) | (1u << 8) | (1u << 0);
// One byte at 115200 baud is ~87 µs = ~11,000 cycles; a poll is a few cycles, so this is several bytes' time.
constexpr std::uint32_t max_polls_per_byte = 50'000;

// Baud divisor in 1/64ths, rounded: 64 x clk / (16 x baud) = 4 x clk / baud.
constexpr std::uint32_t divisor_64ths = (8 * clocks::peri_hz / Uart0::baud + 1) / 2;
static_assert(divisor_64ths >> 6 == 67 && (divisor_64ths & 63) == 52, "125 MHz / 115200 is 67 + 52/64");

}  // namespace

Uart0::Uart0() noexcept {
  resets::hold(resets::Block::uart0);
  (void)resets::release(resets::Block::uart0);
  reg(ibrd) = divisor_64ths >> 6;
  reg(fbrd) = divisor_64ths & 63;
  reg(lcr_h) = lcr_8bit_fifo;  // this write latches the divisor
  reg(cr) = cr_rx_tx_enable;
  gpio::set_function(pin_tx, gpio::Function::uart);
  gpio::set_function(pin_rx, gpio::Function::uart, gpio::Pull::up);
}

void Uart0::write(std::string_view text) noexcept {
  for (char c : text) {
    if (!wait_bits(fr, fr_tx_full, 0, max_polls_per_byte)) return;
    reg(dr) = static_cast<std::uint8_t>(c);
  }
}

std::optional<std::uint8_t> Uart0::read() noexcept {
  if (reg(fr) & fr_rx_empty) return std::nullopt;
  return static_cast<std::uint8_t>(reg(dr));
}

}  // namespace picohub::rp2040
