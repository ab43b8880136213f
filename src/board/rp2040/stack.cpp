#include "board/rp2040/stack.hpp"

#include "board/rp2040/cortex_m0.hpp"

extern "C" {
extern std::uint32_t __stack_limit__[], __stack_top__[], __stack_guard_size__[];
}

namespace picohub::rp2040::stack {
namespace {

volatile std::uint32_t* usable_bottom() noexcept {
  // The guard size is a linker symbol: its *address* is the value.
  return __stack_limit__ + reinterpret_cast<std::uintptr_t>(__stack_guard_size__) / 4;
}

}  // namespace

std::uint32_t size_bytes() noexcept {
  return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(__stack_top__) -
                                    reinterpret_cast<std::uintptr_t>(usable_bottom()));
}

std::uint32_t high_water_bytes() noexcept {
  volatile std::uint32_t* word = usable_bottom();
  volatile std::uint32_t* const top = __stack_top__;
  while (word < top && *word == paint_pattern) ++word;
  return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(top) - reinterpret_cast<std::uintptr_t>(word));
}

void paint(std::uintptr_t below) noexcept {
  for (volatile std::uint32_t* word = usable_bottom(); reinterpret_cast<std::uintptr_t>(word) < below; ++word) {
    *word = paint_pattern;
  }
}

bool arm_guard() noexcept { return cortex_m0::guard_256_bytes(reinterpret_cast<std::uintptr_t>(__stack_limit__)); }

}  // namespace picohub::rp2040::stack
