// LineWriter: appends text and numbers into a fixed buffer and cuts (marking the cut with "...") instead of
// failing: a console line that is too long is still worth printing. Used by the tutorial app for console lines
// and its small JSON bodies (where a cut is checked with cut()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/decimal.hpp"
#include "device/fixed_point.hpp"

namespace picohub::device {

// Appends into a fixed buffer and cuts (marking the cut with "...") instead of failing: a console line that is
// too long is still worth printing.
class LineWriter {
 public:
  explicit LineWriter(std::span<char> out) noexcept : out_(out) {}

  void text(std::string_view s) noexcept {
    for (char c : s) {
      if (n_ == out_.size()) {
        cut_ = true;
        return;
      }
      out_[n_++] = c;
    }
  }
  // Counts `n` bytes that someone else wrote right after the current end.
  void skip(std::size_t n) noexcept { n_ = n > out_.size() - n_ ? out_.size() : n_ + n; }
  void signed_number(std::int64_t v) noexcept {
    if (v < 0) text("-");
    const auto bits = static_cast<std::uint64_t>(v);
    number(v < 0 ? std::uint64_t{0} - bits : bits);
  }
  void number(std::uint64_t v) noexcept {
    char digits[20];
    const char* end = write_decimal(digits, digits + sizeof digits, v);  // 20 digits hold any uint64
    text(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  }
  void hundredths(std::int32_t v) noexcept {
    char digits[16];
    auto s = format_hundredths(v, digits);
    text(s ? *s : std::string_view("?"));
  }
  std::string_view line() noexcept {
    if (cut_ && out_.size() >= 3)
      for (std::size_t i = out_.size() - 3; i < out_.size(); ++i) out_[i] = '.';
    return std::string_view(out_.data(), n_);
  }
  bool cut() const noexcept { return cut_; }

 private:
  std::span<char> out_;
  std::size_t n_ = 0;
  bool cut_ = false;
};

}  // namespace picohub::device
