// The topics and property bags the hub sends to devices, as std::string: thin adapters over the iothub core's
// builders (iothub/topics.hpp, PropertyBagWriter), so the hub and the device stack share one grammar.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace picohub::hub {

// One property for encode_property_bag: no value writes the bare key (a null property).
struct BagItem {
  std::string_view key;
  std::optional<std::string_view> value;
};

// "k1=v1&k2&..." with keys and values url-encoded. Errc::invalid_argument on an empty key.
Result<std::string> encode_property_bag(std::span<const BagItem> items);

// "$iothub/twin/res/{status}/?$rid={rid}[&$version={version}]"
Result<std::string> twin_response_topic(int status, std::string_view rid, std::optional<std::uint64_t> version = {});
// "$iothub/twin/PATCH/properties/desired/?$version={version}"
std::string twin_desired_topic(std::uint64_t version);
// "$iothub/methods/POST/{name}/?$rid={rid}"
Result<std::string> method_request_topic(std::string_view method_name, std::string_view rid);
// "devices/{device}/messages/devicebound/{encoded_bag}"
Result<std::string> c2d_topic(std::string_view device_id, std::string_view encoded_bag);

}  // namespace picohub::hub
