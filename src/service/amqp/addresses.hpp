// The link addresses the endpoint serves, parsed. Pure: unit-tested without a connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace picohub::service::amqp {

inline constexpr std::string_view k_cbs_address = "$cbs";
inline constexpr std::string_view k_management_address = "$management";
inline constexpr std::string_view k_c2d_address = "/messages/devicebound";
inline constexpr std::string_view k_feedback_address = "/messages/serviceBound/feedback";

// "/devices/{id}/messages/devicebound" (the `to` of a C2D transfer; the id may be percent-encoded, the last path
// segment compared ignoring case as IoT Hub does) -> the device id; nullopt when it is not that shape.
std::optional<std::string> device_of_c2d_to(std::string_view to);

// "<entity>/ConsumerGroups/<cg>/Partitions/<n>" (an optional "amqps://host[:port]/" or "/" in front).
struct PartitionAddress {
  std::string entity;
  std::string consumer_group;
  std::uint32_t partition = 0;
};
std::optional<PartitionAddress> parse_partition_address(std::string_view address);

// IoT Hub's built-in events endpoint as tools ask for it before the redirect: ".../messages/events..."
bool is_iothub_events_address(std::string_view address);

// Strips "amqps://host[:port]" or "sb://host[:port]" from an address or audience, leaving the path without its
// leading '/'.
std::string_view path_of(std::string_view address);

}  // namespace picohub::service::amqp
