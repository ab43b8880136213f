// Start times for `picohub monitor --since`.
#pragma once

#include <optional>
#include <string>

namespace picohub::cli {

// Milliseconds since the epoch for: "2026-11-25T01:02:03Z", "2026-11-25T01:02:03.456Z", "2026-11-25" (UTC);
// "90s", "10m", "2h", "1d" (that long before now_ms); or unix seconds "1764032523". nullopt otherwise.
std::optional<long long> parse_since_ms(const std::string& text, long long now_ms);

}  // namespace picohub::cli
