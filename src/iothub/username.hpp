// MQTT CONNECT identity for IoT Hub (reference §1.3):
//   client id: "{device}" or "{device}/{module}"
//   username:  "{host}/{device}[/{module}]/?api-version=2021-04-12&DeviceClientType=<enc>[&model-id=<enc>]"
// plus the hub-side parser, which accepts any query order, no query at all ("{host}/{device}", as the
// MicroPython samples send) and the old "{host}/{device}/api-version=..." form without '?'.
#pragma once

#include <span>
#include <string_view>

#include "common/error.hpp"
#include "common/version.hpp"

namespace picohub::iothub {

inline constexpr std::string_view hub_api_version = "2021-04-12";
inline constexpr std::string_view default_client_type = "picohub/" PICOHUB_VERSION;

struct UsernameOptions {
  std::string_view host{};  // HostName from the connection string (never the gateway)
  std::string_view device_id{};
  std::string_view module_id{};                        // empty = device identity
  std::string_view client_type = default_client_type;  // unencoded; empty = no DeviceClientType
  std::string_view model_id{};                         // unencoded DTMI; empty = none
  std::string_view api_version = hub_api_version;
};

Result<std::string_view> mqtt_username(const UsernameOptions& options, std::span<char> out) noexcept;
Result<std::string_view> mqtt_client_id(std::string_view device_id, std::string_view module_id,
                                        std::span<char> out) noexcept;

struct ParsedUsername {
  std::string_view host{};
  std::string_view device_id{};
  std::string_view module_id{};    // empty for a device
  std::string_view query{};        // raw text after '?' (or the old "api-version=..." segment); may be empty
  std::string_view api_version{};  // raw value of api-version, empty if absent
  std::string_view client_type{};  // raw (encoded) value of DeviceClientType, empty if absent
  std::string_view model_id{};     // raw value of model-id (Node sends it unencoded), empty if absent
};

// Errc::malformed when the path is not host/device[/module] with non-empty segments.
Result<ParsedUsername> parse_mqtt_username(std::string_view username) noexcept;

// Raw value of `name` in an "a=1&b=2" query; empty view and false when absent.
bool find_query_param(std::string_view query, std::string_view name, std::string_view& value) noexcept;

}  // namespace picohub::iothub
