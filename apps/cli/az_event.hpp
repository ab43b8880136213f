// `picohub monitor --format az`: a hub telemetry event in the shape `az iot hub monitor-events --output json
// --props all` prints, so scripts written for az read the local hub's telemetry unchanged.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace picohub::cli {

// `event` is one record of the hub's telemetry log/feed (deviceId, moduleId, enqueuedTime, sequence, body,
// bodyBase64, properties, systemProperties). `content_type_hint` plays az's --content-type: the payload is parsed
// as JSON only when it (or the message's own content-type) says application/json, as az does.
nlohmann::json to_az_event(const nlohmann::json& event, const std::string& content_type_hint = "");

}  // namespace picohub::cli
