#include "board/rp2040/rosc.hpp"

#include "board/rp2040/mmio.hpp"

namespace picohub::rp2040::rosc {
namespace {
constexpr Address randombit = base::rosc + 0x1C;
// The ring oscillator runs at roughly 2-12 MHz while clk_sys is 125 MHz: back-to-back reads would sample the
// same oscillator phase many times over (long runs of equal bits, far less than the assumed 0.5 bit of
// min-entropy each). Spacing reads by ~1 µs (~128 cycles, several ROSC periods) lets the phase drift between
// samples. 4096 start-up samples then take ~4 ms, one 32-byte output block (640 samples) ~0.7 ms.
constexpr std::uint32_t spacing_loops = 32;  // ~4 cycles each
}  // namespace

std::uint8_t random_bit(void*) noexcept {
  for (std::uint32_t i = 0; i < spacing_loops; ++i) asm volatile("nop");
  return static_cast<std::uint8_t>(reg(randombit) & 1u);
}

}  // namespace picohub::rp2040::rosc
