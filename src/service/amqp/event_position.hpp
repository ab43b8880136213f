// Where a partition receiver starts, from the Event Hubs selector filter
// ("amqp.annotation.x-opt-offset > '-1'", "... x-opt-sequence-number >= '5'", "... x-opt-enqueued-time > '<ms>'",
// offset '@latest'). Offsets and sequence numbers are both the hub's telemetry sequence (docs/service-amqp.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace picohub::service::amqp {

struct EventPosition {
  enum class Kind { after_sequence, since_time, latest } kind = Kind::after_sequence;
  std::uint64_t after_sequence = 0;  // deliver events with sequence > this
  std::int64_t since_ms = 0;         // deliver events enqueued at or after this
};

// nullopt for an expression the endpoint does not understand (the link is refused with the reason).
std::optional<EventPosition> parse_selector(std::string_view expression);

}  // namespace picohub::service::amqp
