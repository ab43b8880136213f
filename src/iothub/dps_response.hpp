// The body of a DPS answer (reference iothub-mqtt.md §8), read with json_scan: no heap, no tree.
//   202 {"operationId":"4.x.y","status":"assigning"}
//   200 {"operationId":..,"status":"assigned","registrationState":{"registrationId":..,"assignedHub":"h",
//        "deviceId":"d","status":"assigned","substatus":"initialAssignment",..}}
//   failed / disabled / unassigned: the same shape, registrationState.errorCode / errorMessage say why
//   4xx/5xx {"errorCode":401002,"trackingId":..,"message":"..",..}
// Strings are unescaped into the caller's buffer, so the views outlive the received message.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/error.hpp"

namespace picohub::iothub {

enum class DpsStatus : std::uint8_t { unknown, assigning, assigned, failed, disabled, unassigned };

DpsStatus parse_dps_status(std::string_view text) noexcept;
const char* to_string(DpsStatus status) noexcept;

struct DpsResponse {
  std::string_view operation_id{};
  DpsStatus status = DpsStatus::unknown;  // "status", or registrationState.status when the top level lacks it
  std::string_view assigned_hub{};        // registrationState.assignedHub
  std::string_view device_id{};           // registrationState.deviceId
  std::string_view substatus{};           // registrationState.substatus
  std::int64_t error_code = 0;            // errorCode (top level or registrationState)
  std::string_view error_message{};       // message / errorMessage
};

// Parses `body` (the whole payload) and copies its strings into `text`. Members that are absent or not the
// expected type stay empty. Errc::malformed when the body is not a JSON object; Errc::too_large when the
// strings do not fit `text` (256 bytes hold any ordinary answer; an over-long error message is cut short and
// says so with a trailing "...", never an error).
Result<DpsResponse> parse_dps_response(std::string_view body, std::span<char> text) noexcept;

// The JSON string `raw` (with its quotes, as json_member returns it) unescaped into `out`. \uXXXX outside ASCII
// becomes '?' (ids and host names are ASCII). Errc::malformed when `raw` is not a string, too_large when it
// does not fit.
Result<std::string_view> json_unescape(std::string_view raw, std::span<char> out) noexcept;

}  // namespace picohub::iothub
