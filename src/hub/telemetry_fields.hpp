// What state.db and the journal keep of a telemetry event: its inputs, not its JSON text. Writing the event
// (sorting and escaping ~500 bytes) was the largest part of the hub's cost per message, and it is only needed
// when someone reads the event: a telemetry query, or a service client watching live. The reader renders it with
// write_telemetry_event() from these fields and the row's sequence, device id, time and payload: the same bytes.
//
// Text: "\x01", then module id, model id and generation id each as <decimal length>":"<bytes>, then "1" or "0"
// (retain), then the property bag as it came (url-encoded). A row whose event starts otherwise holds event text
// after its body fields (telemetry_event_suffix(), written before this form existed).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hub/telemetry_event.hpp"

namespace picohub::hub {

// Replaces `out` with the fields of `in` (all but sequence, device id, time and payload: the row has those).
void encode_telemetry_fields(const TelemetryEventInput& in, std::string& out);

// true when `stored` is encode_telemetry_fields() text.
bool is_telemetry_fields(std::string_view stored);

// Fills the fields of `in` from `stored` (views into it); false when it is not well-formed fields text.
bool decode_telemetry_fields(std::string_view stored, TelemetryEventInput& in);

// Would write_telemetry_event() return true for this bag (every pair decodes, no empty key)? Without writing it.
bool property_bag_well_formed(std::string_view bag);

}  // namespace picohub::hub
