#include "device/fixed_point.hpp"

#include "common/decimal.hpp"

namespace picohub::device {

Result<std::string_view> format_hundredths(std::int32_t hundredths, std::span<char> out) noexcept {
  // Work in 64 bits so INT32_MIN has a magnitude.
  const std::int64_t value = hundredths;
  const std::uint64_t magnitude = static_cast<std::uint64_t>(value < 0 ? -value : value);
  char* p = out.data();
  char* const end = out.data() + out.size();
  if (value < 0) {
    if (p == end) return fail(Errc::too_large, "fixed-point number does not fit");
    *p++ = '-';
  }
  char* const after = write_decimal(p, end, magnitude / 100);
  if (after == nullptr || end - after < 3) return fail(Errc::too_large, "fixed-point number does not fit");
  const auto fraction = static_cast<unsigned>(magnitude % 100);
  after[0] = '.';
  after[1] = static_cast<char>('0' + fraction / 10);
  after[2] = static_cast<char>('0' + fraction % 10);
  return std::string_view(out.data(), static_cast<std::size_t>(after + 3 - out.data()));
}

}  // namespace picohub::device
