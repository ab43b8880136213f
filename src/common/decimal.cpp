#include "common/decimal.hpp"

#include <cstddef>

namespace picohub {

char* write_decimal(char* first, char* last, std::uint64_t value) noexcept {
  char digits[20];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  if (static_cast<std::size_t>(last - first) < n) return nullptr;
  while (n > 0) *first++ = digits[--n];
  return first;
}

}  // namespace picohub
