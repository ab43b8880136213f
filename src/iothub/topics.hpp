// IoT Hub MQTT topic names, both directions (reference §1.8, §3, §4, §5, §6): builders into caller buffers,
// parsers returning views into the topic, and the classifiers a hub uses to police what a device publishes
// and subscribes to. Ids are written as given (IoT Hub does not encode them in topics).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/error.hpp"
#include "iothub/property_bag.hpp"
#include "iothub/username.hpp"

namespace picohub::iothub {

inline constexpr std::string_view twin_response_filter = "$iothub/twin/res/#";
inline constexpr std::string_view twin_desired_filter = "$iothub/twin/PATCH/properties/desired/#";
inline constexpr std::string_view methods_filter = "$iothub/methods/POST/#";

// An application property, unencoded. is_null writes the bare key.
struct KeyValue {
  std::string_view key{};
  std::string_view value{};
  bool is_null = false;
};

// Telemetry properties. Empty system fields are left out.
struct MessageProperties {
  std::string_view message_id{};        // $.mid
  std::string_view correlation_id{};    // $.cid
  std::string_view content_type{};      // $.ct, e.g. "application/json"
  std::string_view content_encoding{};  // $.ce, e.g. "utf-8"
  std::span<const KeyValue> application{};
};

// Appends "%24.mid=..&%24.cid=..&%24.ct=..&%24.ce=..&app=.." to `bag`.
Result<void> write_message_properties(PropertyBagWriter& bag, const MessageProperties& props) noexcept;

// "devices/{d}/messages/events/{bag}" or "devices/{d}/modules/{m}/messages/events/{bag}".
Result<std::string_view> telemetry_topic(std::string_view device_id, std::string_view module_id,
                                         const MessageProperties& props, std::span<char> out) noexcept;

// "devices/{d}/messages/devicebound/#"
Result<std::string_view> c2d_subscribe_filter(std::string_view device_id, std::span<char> out) noexcept;
// Hub side: "devices/{d}/messages/devicebound/{encoded_bag}"
Result<std::string_view> c2d_topic(std::string_view device_id, std::string_view encoded_bag,
                                   std::span<char> out) noexcept;
// Device side: checks the "devices/{device_id}/messages/devicebound/" prefix and returns the (encoded) bag,
// possibly empty. Errc::malformed if the topic is not a C2D topic for this device.
Result<std::string_view> parse_c2d_topic(std::string_view topic, std::string_view device_id) noexcept;

// Device-side twin / method topics. rid: non-empty, no '&', '/', '?', '#', '+'.
Result<std::string_view> twin_get_topic(std::string_view rid, std::span<char> out) noexcept;
Result<std::string_view> twin_patch_reported_topic(std::string_view rid, std::span<char> out) noexcept;
Result<std::string_view> method_response_topic(int status, std::string_view rid, std::span<char> out) noexcept;

// Hub-side twin / method topics.
// "$iothub/twin/res/{status}/?$rid={rid}[&$version={version}]"
Result<std::string_view> twin_response_topic(int status, std::string_view rid, std::optional<std::uint64_t> version,
                                             std::span<char> out) noexcept;
// "$iothub/twin/PATCH/properties/desired/?$version={version}"
Result<std::string_view> twin_desired_topic(std::uint64_t version, std::span<char> out) noexcept;
// IoT Hub's method names: 1-128 printable ASCII characters, no space and none of $()<>@,;:\"/[]?={} (HTTP's
// separators), and no MQTT wildcard (+ #), since the name is a topic level.
bool is_valid_method_name(std::string_view name) noexcept;
// "$iothub/methods/POST/{name}/?$rid={rid}"
Result<std::string_view> method_request_topic(std::string_view method_name, std::string_view rid,
                                              std::span<char> out) noexcept;

// "$rid=..&$version=.." (the text after '?'); other parameters are ignored. Errc::malformed on a
// non-numeric $version or a repeated parameter.
struct TopicQuery {
  std::string_view rid{};  // raw; empty when absent
  bool has_rid = false;
  std::optional<std::uint64_t> version;
};
Result<TopicQuery> parse_topic_query(std::string_view query) noexcept;

// ---- hub side: what may a device do? ------------------------------------------------------------------

enum class DevicePublishKind : std::uint8_t { invalid, telemetry, twin_get, twin_patch_reported, method_response };

struct DevicePublish {
  DevicePublishKind kind = DevicePublishKind::invalid;
  std::string_view bag{};  // telemetry: encoded property bag (may be empty)
  std::string_view rid{};  // twin_get, twin_patch_reported, method_response
  int status = 0;          // method_response
};

// Classifies a PUBLISH topic from the device `device_id` (module `module_id`, empty for a device). Another
// device's topic, an unknown topic, wildcards, or a twin/method topic without $rid are `invalid`.
DevicePublish classify_device_publish(std::string_view topic, std::string_view device_id,
                                      std::string_view module_id) noexcept;

enum class DeviceSubscriptionKind : std::uint8_t { invalid, c2d, methods, twin_res, twin_desired, module_inputs };

// Classifies a SUBSCRIBE filter. C2D accepts '+' in the device position (the embedded C SDK does that).
DeviceSubscriptionKind classify_device_subscription(std::string_view filter, std::string_view device_id,
                                                    std::string_view module_id) noexcept;

// ---- device side: what did the hub send? ----------------------------------------------------------------

enum class HubPublishKind : std::uint8_t { unknown, c2d, twin_response, twin_desired, method_request, module_input };

struct HubPublish {
  HubPublishKind kind = HubPublishKind::unknown;
  std::string_view bag{};                // c2d, module_input: encoded property bag
  std::string_view rid{};                // twin_response, method_request
  int status = 0;                        // twin_response
  std::optional<std::uint64_t> version;  // twin_response (after a reported patch), twin_desired
  std::string_view name{};               // method_request: method name; module_input: input name
};

HubPublish classify_hub_publish(std::string_view topic, std::string_view device_id,
                                std::string_view module_id) noexcept;

}  // namespace picohub::iothub
