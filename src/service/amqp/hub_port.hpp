// What the AMQP endpoint needs from the hub, and nothing more. The endpoint never owns hub state: every verb goes
// through this port, implemented once over the control protocol (control_hub_port.hpp). Calls may block for a
// control round trip; the endpoint makes them from its own worker thread, never from the AMQP I/O thread.
#pragma once

#include "common/error.hpp"
#include "service/service_auth.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace picohub::service::amqp {

// The right every AMQP service operation needs (C2D send, feedback, reading the Event Hub-compatible endpoint):
// IoT Hub's ServiceConnect, as service::ServiceRight spells it.
inline constexpr unsigned right_service_connect = service::kServiceConnect;

// A refusal the endpoint turns into an AMQP answer: http-like status, IoT Hub error code, text.
struct HubRefusal {
  int status = 0;
  long error_code = 0;
  std::string message;
};
template <class T>
using HubResult = tl::expected<T, HubRefusal>;

struct C2dRequest {
  std::string device_id;
  std::string payload;  // raw bytes
  std::optional<std::string> message_id;
  std::optional<std::string> correlation_id;
  std::optional<std::string> user_id;
  std::optional<std::string> content_type;
  std::optional<std::string> content_encoding;
  std::optional<std::int64_t> ttl_seconds;  // from absolute-expiry-time, when given
  std::string ack = "none";                 // none | positive | negative | full
  std::map<std::string, std::string> properties;
};

struct C2dAccepted {
  std::string message_id;
  std::int64_t queue_depth = 0;
};

struct FeedbackRecord {
  std::string original_message_id;
  std::string device_id;
  std::string status_code;  // Success | Expired | DeliveryCountExceeded
  std::string description;
  std::string enqueued_time_utc;
};

// One device-to-cloud message as the hub recorded it (docs/control-protocol.md, "Live telemetry").
struct TelemetryEvent {
  std::uint64_t sequence = 0;
  std::string device_id;
  std::string module_id;                                         // empty for a device
  std::int64_t enqueued_ms = 0;                                  // Unix ms
  std::string enqueued_time;                                     // ISO 8601 as the hub wrote it
  std::string body;                                              // raw bytes
  std::map<std::string, std::string> system_properties;          // message-id, content-type, iothub-* ...
  std::map<std::string, std::optional<std::string>> properties;  // application properties; nullopt = bare key
};

struct TelemetryPage {
  std::vector<TelemetryEvent> events;  // oldest first
};

struct TelemetryStats {
  bool empty = true;
  std::uint64_t first_sequence = 0;
  std::uint64_t last_sequence = 0;
  std::int64_t last_enqueued_ms = 0;
};

struct HubPort {
  // The SAS token must be valid for `audience` (the hub host, or the Event Hub-compatible resource) and grant
  // every right in `needed`. 401 refusal otherwise.
  virtual HubResult<void> authorize(std::string_view sas_token, std::string_view audience, unsigned needed) = 0;
  // Into the same queue, limits and feedback as the CLI's `c2d send`.
  virtual HubResult<C2dAccepted> send_c2d(const C2dRequest& request) = 0;
  // Takes (removes) up to `limit` feedback records, oldest first; empty when there are none.
  virtual HubResult<std::vector<FeedbackRecord>> take_feedback(std::size_t limit) = 0;
  // The first `limit` events with sequence > `after` and enqueued at or after `since_ms`.
  virtual HubResult<TelemetryPage> telemetry_after(std::uint64_t after, std::int64_t since_ms, std::size_t limit) = 0;
  virtual HubResult<TelemetryStats> telemetry_stats() = 0;
  // The hub's host name (audiences are checked against it).
  virtual std::string host_name() const = 0;
  virtual ~HubPort() = default;
};

}  // namespace picohub::service::amqp
