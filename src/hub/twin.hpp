// Device twin documents: patch validation against IoT Hub's limits (reference §1.6), merge (null deletes,
// objects merge recursively), versions, and $metadata/$lastUpdated for the service view.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "hub/store.hpp"

namespace picohub::hub {

inline constexpr std::size_t kTwinSectionMaxBytes = 32 * 1024;

// A twin section's size as IoT Hub counts it against kTwinSectionMaxBytes: per property its key's and value's
// length; strings count their characters except C0/C1 controls, numbers 8, booleans 4, nested
// objects the sum of their members ($metadata and $version are read-only and not counted).
std::size_t twin_section_size(const nlohmann::json& members);
inline constexpr std::size_t kTwinValueMaxBytes = 4 * 1024;
inline constexpr std::size_t kTwinKeyMaxBytes = 1024;
inline constexpr int kTwinMaxDepth = 10;
inline constexpr std::int64_t kTwinMaxInt = 4503599627370495;
inline constexpr std::int64_t kTwinMinInt = -4503599627370496;

enum class TwinSection { desired, reported };

// Parses and checks a patch. nullopt + an actionable message (for the 400004 body) on failure.
std::optional<nlohmann::json> parse_twin_patch(std::string_view text, std::string& error);

// Applies a parsed patch to one section: bumps its version, stamps $metadata. On a limit violation the twin
// is left unchanged and the message is returned.
std::optional<std::string> apply_twin_patch(TwinRecord& twin, TwinSection section, const nlohmann::json& patch,
                                            std::int64_t now_ms);

// Applies a parsed patch to the twin's tags (JSON merge patch: null deletes), bumping the twin's version. On a
// limit violation the twin is left unchanged and the message is returned.
std::optional<std::string> apply_tags_patch(TwinRecord& twin, const nlohmann::json& patch);

// What the device sees on GET: {"desired":{..,"$version":n},"reported":{..,"$version":m}} (no $metadata).
nlohmann::json twin_device_view(const TwinRecord& twin);
// What the service sees: {deviceId, etag, version, tags, properties:{desired:{..,$metadata,$version}, reported}}.
nlohmann::json twin_service_view(const TwinRecord& twin);
// The twin's version (desired + reported + tag patches - 1) and its etag (base64 of the version), as the service
// view and If-Match use them.
std::int64_t twin_version(const TwinRecord& twin);
std::string twin_etag(const TwinRecord& twin);

}  // namespace picohub::hub
