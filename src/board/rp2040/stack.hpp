// The main stack: where it is (linker script), its MPU guard, and how much of it has ever been used.
// startup paints the stack with a pattern before anything runs; the high-water mark is the deepest word
// that no longer holds it.
#pragma once

#include <cstdint>

namespace picohub::rp2040::stack {

inline constexpr std::uint32_t paint_pattern = 0x5AC5'5AC5;

std::uint32_t size_bytes() noexcept;        // usable stack, guard excluded
std::uint32_t high_water_bytes() noexcept;  // most ever used since reset (a lower bound: a frame may skip words)

// Fills [guard end, `below`) with the pattern. Called from the reset handler with its own stack pointer.
void paint(std::uintptr_t below) noexcept;
// Arms the MPU guard over the lowest 256 bytes; false when the core has no MPU (rp2040js).
bool arm_guard() noexcept;

}  // namespace picohub::rp2040::stack
