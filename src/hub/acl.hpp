// Which topics a device may publish to and subscribe to (reference iothub-mqtt.md §1.8), and the parsed
// pieces the hub needs from them. Anything else is a violation: IoT Hub closes the connection.
// Thin adapters over iothub::classify_device_publish / classify_device_subscription.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "iothub/topics.hpp"

namespace picohub::hub {

enum class PublishKind { telemetry, twin_get, twin_patch_reported, method_response, invalid };

struct ClassifiedPublish {
  PublishKind kind = PublishKind::invalid;
  std::string_view property_bag;  // telemetry: the encoded bag after events/ (may be empty); a view of the topic
  std::string rid;                // twin/method: decoded $rid ("" when absent)
  int status = 0;                 // method response status
};

// The result's property_bag points into `topic`: use it while the topic lives.
ClassifiedPublish classify_publish(std::string_view topic, std::string_view device_id, std::string_view module_id);
// The same from a classification already made (its views are used as they are).
ClassifiedPublish classified_publish(const iothub::DevicePublish& p);

// Subscription flags, one bit per allowed filter kind.
enum SubscriptionFlag : std::uint8_t {
  sub_c2d = 1,
  sub_methods = 2,
  sub_twin_res = 4,
  sub_twin_desired = 8,
  sub_module_inputs = 16,
};

// 0 when the filter is not allowed for this identity.
std::uint8_t classify_subscription(std::string_view filter, std::string_view device_id, std::string_view module_id);

}  // namespace picohub::hub
