// The dashboard's live telemetry feed: GET /picohub/v1/telemetry[?deviceId=ID] answered as server-sent events,
// fed by the hub's telemetry monitor ($picohub/v1/telemetry/#, docs/control-protocol.md). The framing and the
// request parsing are pure (unit-tested); TelemetryFeed::serve owns one connection for as long as it lasts.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace picohub::gateway {

inline constexpr std::string_view kFeedPath = "/picohub/v1/telemetry";

// One server-sent event: "event: NAME\nid: ID\ndata: line\n...\n\n". Every line of `data` (split at \n, \r\n or
// \r) becomes its own data: field, so no payload can end the event early or forge a field.
std::string sse_event(std::string_view event, std::string_view id, std::string_view data);
// ": text\n\n" (ignored by clients; keeps proxies and the write-error check busy). Line breaks become spaces.
std::string sse_comment(std::string_view text);

struct FeedRequest {
  std::string device_id;  // empty: every device
};

// True when the path of `target` is the feed's.
bool is_feed_route(std::string_view target);
// The feed's query: deviceId (percent-decoded; a device id, no MQTT wildcards or '/'). Unknown keys are ignored.
std::optional<FeedRequest> parse_feed_request(std::string_view target, std::string& why);
// The monitor subscription for a request: "$picohub/v1/telemetry/ID" or "$picohub/v1/telemetry/#".
std::string feed_topic_filter(const FeedRequest& request);

// One telemetry record from the monitor (a JSON object) as an SSE "telemetry" event with id = its sequence;
// nullopt when the message is not a telemetry record.
std::optional<std::string> telemetry_event_frame(std::string_view topic, std::string_view payload);

}  // namespace picohub::gateway
