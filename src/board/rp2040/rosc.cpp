#include "board/rp2040/rosc.hpp"

#include "board/rp2040/mmio.hpp"

namespace picohub::rp2040::rosc {

std::uint8_t random_bit(void*) noexcept {
  constexpr Address randombit = base::rosc + 0x1C;
  return static_cast<std::uint8_t>(reg(randombit) & 1u);
}

}  // namespace picohub::rp2040::rosc
