// A hub telemetry event as an Event Hubs event (reference iothub-service-api.md §4.3): body = data section;
// message annotations x-opt-sequence-number (long), x-opt-offset (string), x-opt-enqueued-time (timestamp) and
// IoT Hub's iothub-* system properties; application properties = the device's MQTT property bag; message-id,
// correlation-id, content type/encoding, user-id and to as AMQP properties.
#pragma once

#include "service/amqp/hub_port.hpp"

#include <proton/message.hpp>

#include <cstdint>
#include <string_view>

namespace picohub::service::amqp {

inline constexpr std::uint32_t k_partition_count = 2;  // IoT Hub's minimum

// A device's partition: FNV-1a (32 bit) of its id, modulo the count. Stable across restarts and builds.
std::uint32_t partition_of(std::string_view device_id, std::uint32_t partition_count = k_partition_count);

proton::message event_message(const TelemetryEvent& event);

}  // namespace picohub::service::amqp
