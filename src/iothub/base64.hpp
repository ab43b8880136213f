// Base64 (RFC 4648, standard alphabet) into caller buffers. Strict decoding is for validating keys a person
// typed; lenient decoding matches what the Node SDK signs with (missing padding accepted, stops at '=').
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/error.hpp"

namespace picohub::iothub {

enum class Base64Mode : std::uint8_t { strict, lenient };

constexpr std::size_t base64_encoded_size(std::size_t n) noexcept { return (n + 2) / 3 * 4; }

Result<std::string_view> base64_encode(std::span<const std::uint8_t> in, std::span<char> out) noexcept;

// Returns the number of bytes written to `out`.
// strict: length a multiple of 4, '=' only as the last one or two characters, alphabet only.
// lenient: stops at the first '=', accepts a missing padding, drops leftover bits; still rejects other bytes.
Result<std::size_t> base64_decode(std::string_view in, std::span<std::uint8_t> out,
                                  Base64Mode mode = Base64Mode::strict) noexcept;

}  // namespace picohub::iothub
