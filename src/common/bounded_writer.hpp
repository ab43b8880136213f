// BoundedWriter: appends text and numbers to a caller buffer without a heap. Overflow is remembered instead of
// checked at every call, so builders of topics, tokens and request headers stay flat; result() reports it once.
// Shared by the portable libraries that build text (iothub, websocket); device::LineWriter differs on purpose:
// it cuts a console line instead of failing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "common/decimal.hpp"
#include "common/error.hpp"

namespace picohub {

struct BoundedWriter {
  std::span<char> out;
  std::size_t n = 0;
  bool overflow = false;

  void text(std::string_view s) noexcept {
    if (overflow || s.size() > out.size() - n) {
      overflow = true;
      return;
    }
    for (char c : s) out[n++] = c;
  }
  template <class Int>
  void number(Int v) noexcept {
    if (overflow) return;
    auto magnitude = static_cast<std::uint64_t>(v);
    if constexpr (std::is_signed_v<Int>) {
      if (v < 0) {
        text("-");
        magnitude = std::uint64_t{0} - magnitude;
      }
    }
    char* end = write_decimal(out.data() + n, out.data() + out.size(), magnitude);
    if (end == nullptr) {
      overflow = true;
      return;
    }
    n = static_cast<std::size_t>(end - out.data());
  }
  // The written text, or too_large with `what` when it did not fit.
  Result<std::string_view> result(const char* what) const noexcept {
    if (overflow) return fail(Errc::too_large, what);
    return std::string_view(out.data(), n);
  }
};

}  // namespace picohub
