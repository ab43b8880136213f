// Fixed-point decimal text without floating point: newlib-nano's printf has no %f, and the board has no FPU, so
// readings travel as integers in hundredths (2150 = 21.50) and are written here.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/error.hpp"

namespace picohub::device {

// Writes `hundredths` / 100 with exactly two decimals ("-3.05", "21.50", "0.00") at the start of `out`.
// too_large when it does not fit.
Result<std::string_view> format_hundredths(std::int32_t hundredths, std::span<char> out) noexcept;

}  // namespace picohub::device
