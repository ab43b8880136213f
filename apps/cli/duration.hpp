// Durations on the command line, in one grammar for every verb: "250ms", "1s", "2m", or a bare number of
// seconds ("5" = 5 s). No spaces, no fractions, no combined units.
#pragma once

#include <cstdint>
#include <string>

namespace picohub::cli {

// True and `out` in milliseconds when `text` follows the grammar (and does not overflow); false otherwise,
// leaving `out` untouched.
bool parse_duration_ms(const std::string& text, std::uint64_t& out);

}  // namespace picohub::cli
