// Just enough JSON reading for twin documents on the device: find one member of an object and read an integer,
// without a heap, a tree or recursion. Values come back as raw text views into the document (strings keep
// their quotes and escapes). Anything malformed, or nested deeper than json_max_depth, reads as "absent".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace picohub::iothub {

inline constexpr int json_max_depth = 16;  // IoT Hub allows 10 levels in twin properties

// The raw text of `key`'s value in the object `object` (whitespace around it allowed). Only the object's own
// members are searched (not nested ones); the key is compared with the raw (unescaped) member name.
std::optional<std::string_view> json_member(std::string_view object, std::string_view key) noexcept;

// A JSON number that is an integer (no fraction, no exponent) within int64, else nothing.
std::optional<std::int64_t> json_integer(std::string_view value) noexcept;

// true when `value` is the literal null.
bool json_is_null(std::string_view value) noexcept;

}  // namespace picohub::iothub
