// ConsoleLine: builds one console line in a fixed buffer (no heap, no printf): text, decimal and hex numbers,
// and fixed-point values such as a temperature in milli-degrees. Text that does not fit is cut, never overrun.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string_view>

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
  template <class Int>
  ConsoleLine& number(Int value, int base = 10) noexcept {
    auto [end, ec] = std::to_chars(buffer_ + size_, buffer_ + capacity, value, base);
    if (ec == std::errc{}) size_ = static_cast<std::size_t>(end - buffer_);
    return *this;
  }
  // `milli` / 1000 with one decimal, e.g. 27143 -> "27.1", -512 -> "-0.5".
  ConsoleLine& milli_one_decimal(std::int32_t milli) noexcept {
    if (milli < 0) {
      *this << "-";
      milli = -milli;
    }
    const std::int32_t tenths = (milli + 50) / 100;
    return number(tenths / 10) << "." << std::string_view(&"0123456789"[tenths % 10], 1);
  }
  std::string_view text() const noexcept { return {buffer_, size_}; }

 private:
  char buffer_[capacity];
  std::size_t size_ = 0;
};

}  // namespace picohub::firmware
