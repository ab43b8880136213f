// Decimal text of an unsigned integer: the one integer formatter of the portable libraries and the firmware.
// std::to_chars would do, but on the board it brings a 200-byte digit-pair table and one routine per integer
// width (~0.6 KB of flash together); this loop is a few dozen bytes, and topics, tokens and console lines do not
// need its speed.
#pragma once

#include <cstdint>

namespace picohub {

// Writes `value` into [first, last) and returns the end, or nullptr when it does not fit (then [first, last) is
// untouched). 20 characters hold any value.
char* write_decimal(char* first, char* last, std::uint64_t value) noexcept;

}  // namespace picohub
