// Percent-encoding as IoT Hub expects it in SAS tokens, property bags and usernames: RFC 3986 unreserved
// characters (A-Z a-z 0-9 - . _ ~) are kept, everything else becomes %XX with upper-case hex, and a space is
// always %20 (never '+', which is not valid in MQTT topics). Decoding accepts either hex case.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "common/error.hpp"

namespace picohub::iothub {

// True for the RFC 3986 unreserved set.
constexpr bool is_unreserved(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// Number of bytes url_encode() writes for `in`.
std::size_t url_encoded_size(std::string_view in) noexcept;

// Encodes `in` into `out`; returns a view of the written bytes. Errc::too_large if `out` is too small.
Result<std::string_view> url_encode(std::string_view in, std::span<char> out) noexcept;

// Decodes %XX (either hex case) into `out`. '+' is kept as '+' (topics never use it for space).
// Errc::malformed on a '%' not followed by two hex digits; Errc::too_large if `out` is too small.
Result<std::string_view> url_decode(std::string_view in, std::span<char> out) noexcept;

// Compares an encoded string with a plain one without a buffer (any hex case). False on malformed input.
bool url_decoded_equals(std::string_view encoded, std::string_view plain) noexcept;

}  // namespace picohub::iothub
