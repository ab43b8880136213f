// The live telemetry event (docs/control-protocol.md "Live telemetry") written by hand: it is built once per
// device message inside the broker thread, and building it as a nlohmann::json tree cost ~130 k instructions
// (a std::map node and std::string per key). The output is byte-identical to what
// `nlohmann::json::dump(-1, ' ', false, error_handler_t::replace)` made of the same tree: keys sorted bytewise,
// the same string escapes, the last of two equal keys wins. Tests compare both for many inputs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace picohub::hub {

struct TelemetryEventInput {
  std::int64_t sequence = 0;
  std::string_view device_id;
  std::string_view module_id;      // empty → "moduleId": null, no iothub-connection-module-id
  std::string_view model_id;       // Plug and Play DTMI from CONNECT → dt-dataschema (absent when empty)
  std::string_view generation_id;  // → iothub-connection-auth-generation-id (absent when empty)
  std::int64_t enqueued_ms = 0;
  std::string_view property_bag;  // still url-encoded, as it came after `events/`
  bool retain = false;            // → properties["mqtt-retain"] = "true"
  std::string_view payload;
};

// Replaces `out` with the event JSON. Returns false when the property bag is malformed (a pair with a broken %XX
// escape or an empty key): the event is still written with every pair that decodes, plus the raw bag as
// systemProperties["picohub-malformed-property-bag"] (docs/hub-durability.md "Malformed property bags").
bool write_telemetry_event(const TelemetryEventInput& in, std::string& out);

// The event's first two members, `{"body":...,"bodyBase64":"...",`, depend only on the payload. state.db keeps the
// payload once (a BLOB) plus the rest of the event text (the suffix), and rebuilds the event as
// append_event_body_fields(payload) + suffix: the same bytes write_telemetry_event made.
void append_event_body_fields(std::string& out, std::string_view payload);
// The part of a write_telemetry_event() text after its body fields ("" if `event` is not such a text).
std::string_view telemetry_event_suffix(std::string_view event);

// Appends `text` as a JSON string literal with nlohmann's escapes (ensure_ascii off); invalid UTF-8 becomes
// U+FFFD the way nlohmann's error_handler_t::replace does it.
void append_json_string(std::string& out, std::string_view text);

// Same text as iso8601_utc(unix_ms) (2026-11-25T01:02:03.456Z); remembers the last whole second's prefix.
void append_iso8601_utc(std::string& out, std::int64_t unix_ms);

}  // namespace picohub::hub
