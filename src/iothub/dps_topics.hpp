// Device Provisioning Service over MQTT (reference iothub-mqtt.md §8): the CONNECT identity and the topics, both
// directions. Builders write into caller buffers; parsers return views into their input. No heap.
//   client id  {registrationId}
//   user name  {idScope}/registrations/{registrationId}/api-version=2019-03-31[&ClientVersion=<enc>]  (no '?')
//   password   SAS over sr={idScope}/registrations/{registrationId}, skn=registration
//   subscribe  $dps/registrations/res/#
//   register   $dps/registrations/PUT/iotdps-register/?$rid={rid}
//   poll       $dps/registrations/GET/iotdps-get-operationstatus/?$rid={rid}&operationId={operationId}
//   answers    $dps/registrations/res/{status}/?$rid={rid}[&retry-after={s}]  (parameters in any order)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/error.hpp"

namespace picohub::iothub {

inline constexpr std::string_view dps_api_version = "2019-03-31";
inline constexpr std::string_view dps_response_filter = "$dps/registrations/res/#";
inline constexpr std::string_view dps_response_prefix = "$dps/registrations/res/";
inline constexpr std::string_view dps_register_prefix = "$dps/registrations/PUT/iotdps-register/?";
inline constexpr std::string_view dps_poll_prefix = "$dps/registrations/GET/iotdps-get-operationstatus/?";
inline constexpr std::string_view dps_policy_name = "registration";  // the SAS skn DPS requires

// Registration ids: 1-128 characters of letters, digits and - . _ : (DPS's rule; group enrollments want lowercase).
bool is_valid_registration_id(std::string_view id) noexcept;

// "{id_scope}/registrations/{registration_id}/api-version=2019-03-31[&ClientVersion=<enc>]".
Result<std::string_view> dps_username(std::string_view id_scope, std::string_view registration_id,
                                      std::string_view client_version, std::span<char> out) noexcept;

// Hub side: the parts of a DPS user name. Errc::malformed when it is not "{scope}/registrations/{id}[/...]".
struct ParsedDpsUsername {
  std::string_view id_scope{};
  std::string_view registration_id{};
  std::string_view query{};  // the text after "{id}/", e.g. "api-version=2019-03-31&ClientVersion=..."
};
Result<ParsedDpsUsername> parse_dps_username(std::string_view username) noexcept;
// A cheap test for the hub's dispatch: the user name's second segment is "registrations".
bool looks_like_dps_username(std::string_view username) noexcept;

// Device side topics. rid and operation id: non-empty, none of & / ? # + or space.
Result<std::string_view> dps_register_topic(std::string_view rid, std::span<char> out) noexcept;
Result<std::string_view> dps_poll_topic(std::string_view rid, std::string_view operation_id,
                                        std::span<char> out) noexcept;
// Hub side: "$dps/registrations/res/{status}/?$rid={rid}[&retry-after={s}]" (retry_after_s 0 = none).
Result<std::string_view> dps_response_topic(int status, std::string_view rid, std::uint32_t retry_after_s,
                                            std::span<char> out) noexcept;

// An answer from DPS, read from its topic.
struct DpsResponseTopic {
  int status = 0;                              // 200, 202, 401, 429, ...
  std::string_view rid{};                      // raw
  std::optional<std::uint32_t> retry_after_s;  // retry-after, when present and a number
};
Result<DpsResponseTopic> parse_dps_response_topic(std::string_view topic) noexcept;

// A request from a device, read from its topic (hub side).
enum class DpsRequestKind : std::uint8_t { invalid, register_device, poll_status };
struct DpsRequestTopic {
  DpsRequestKind kind = DpsRequestKind::invalid;
  std::string_view rid{};
  std::string_view operation_id{};  // poll_status only
};
DpsRequestTopic classify_dps_request(std::string_view topic) noexcept;

}  // namespace picohub::iothub
