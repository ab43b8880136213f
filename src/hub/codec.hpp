// std::string adapters over the iothub core's codecs (base64, url encoding, property bags: one implementation
// in the project), plus host-only helpers: ISO 8601 time stamps, UTF-8 validation, random keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace picohub::hub {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);  // nullopt on invalid base64

// Percent-decodes; nullopt on a broken escape ("%4", "%zz").
std::optional<std::string> url_decode(std::string_view text);
// RFC 3986 unreserved characters stay, everything else becomes %XX (uppercase hex).
std::string url_encode(std::string_view text);

bool constant_time_equal(std::string_view a, std::string_view b);
bool equals_ignore_case(std::string_view a, std::string_view b);

std::string iso8601_utc(std::int64_t unix_ms);  // 2026-11-25T01:02:03.456Z
bool is_valid_utf8(std::string_view text);

// `k1=v1&k2&k3=` → {k1,"v1"},{k2,null},{k3,""}, percent-decoded. nullopt on a broken escape or empty key.
using PropertyList = std::vector<std::pair<std::string, std::optional<std::string>>>;
std::optional<PropertyList> parse_property_bag(std::string_view bag);

std::string random_key_base64(std::size_t bytes = 32);

// A registry entry's etag: a stable tag (FNV-1a 64, base64) of what its writable fields are, for entries the
// store keeps no version for (devices, modules).
std::string content_etag(std::string_view text);
// If-Match as IoT Hub reads it: absent (""), "*", or the etag itself (quotes optional).
bool if_match_accepts(std::string_view if_match, std::string_view etag);
std::string random_hex(std::size_t bytes);

}  // namespace picohub::hub
