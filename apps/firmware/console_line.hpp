// ConsoleLine: builds one console line in a fixed buffer (no heap, no printf): text, decimal and hex numbers,
// and fixed-point values such as a temperature in milli-degrees. Text that does not fit is cut, never overrun.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "common/decimal.hpp"

namespace picohub::firmware {

class ConsoleLine {
 public:
  static constexpr std::size_t capacity = 160;

  ConsoleLine& operator<<(std::string_view text) noexcept {
    for (char c : text) {
      if (size_ == capacity) break;
      buffer_[size_++] = c;
    }
    return *this;
  }
  // Every integer goes through write_decimal (base 10) or the hex loop: one formatter in the image, not
  // one per integer type and base.
  template <class Int>
  ConsoleLine& number(Int value, int base = 10) noexcept {
    if (base == 16) return hex(static_cast<std::uint32_t>(value));
    const auto bits = static_cast<std::uint64_t>(value);
    if constexpr (std::is_signed_v<Int>) {
      if (value < 0) {
        *this << "-";
        return decimal(std::uint64_t{0} - bits);
      }
    }
    return decimal(bits);
  }
  ConsoleLine& decimal(std::uint64_t value) noexcept {
    char* end = write_decimal(buffer_ + size_, buffer_ + capacity, value);
    if (end != nullptr) size_ = static_cast<std::size_t>(end - buffer_);
    return *this;
  }
  // Lower-case hex without leading zeros, like to_chars(..., 16).
  ConsoleLine& hex(std::uint32_t value) noexcept {
    int shift = 28;
    while (shift > 0 && (value >> shift) == 0) shift -= 4;
    for (; shift >= 0; shift -= 4) *this << std::string_view(&"0123456789abcdef"[(value >> shift) & 15u], 1);
    return *this;
  }
  // `milli` / 1000 with one decimal, e.g. 27143 -> "27.1", -512 -> "-0.5".
  ConsoleLine& milli_one_decimal(std::int32_t milli) noexcept {
    if (milli < 0) {
      *this << "-";
      milli = -milli;
    }
    const auto tenths = (static_cast<std::uint32_t>(milli) + 50) / 100;  // unsigned: no signed divide in the image
    return number(tenths / 10) << "." << std::string_view(&"0123456789"[tenths % 10], 1);
  }
  std::string_view text() const noexcept { return {buffer_, size_}; }

 private:
  char buffer_[capacity];
  std::size_t size_ = 0;
};

}  // namespace picohub::firmware
