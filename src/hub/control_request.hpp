// The control channel's request envelope: `{"op":"<op>","correlationId":"<unique string>", ...op fields}`
// published by the service principal to `$CONTROL/picohub/v1` (see docs/control-protocol.md).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace picohub::hub {

struct ControlRequest {
  std::string op;
  std::string correlation_id;
  nlohmann::json fields;  // the whole request object
};

// nullopt + message when the payload is not a JSON object with string "op" and string "correlationId".
// correlation_id is still filled when it could be read, so the error can be answered.
std::optional<ControlRequest> parse_control_request(std::string_view payload, std::string& error,
                                                    std::string& correlation_id);

// Typed field access with defaults; set `error` when the field is present but of the wrong type.
std::optional<std::string> optional_string(const nlohmann::json& fields, const char* name, std::string& error);
std::optional<std::int64_t> optional_int(const nlohmann::json& fields, const char* name, std::string& error);

}  // namespace picohub::hub
