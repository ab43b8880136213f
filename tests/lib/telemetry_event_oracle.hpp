// Test oracle: the telemetry event as the nlohmann::json tree the hub built before its hand-written writer
// (src/hub/telemetry_event.cpp) replaced it. The unit test and the fuzz target both compare against it byte for byte.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "hub/codec.hpp"
#include "hub/telemetry_event.hpp"

namespace picohub::test {

inline std::string oracle_name(const std::string& key) {
  static const std::map<std::string, std::string> names = {{"$.mid", "message-id"},
                                                           {"$.cid", "correlation-id"},
                                                           {"$.uid", "user-id"},
                                                           {"$.ct", "content-type"},
                                                           {"$.ce", "content-encoding"},
                                                           {"$.to", "to"},
                                                           {"$.exp", "absolute-expiry-time"},
                                                           {"$.on", "iothub-outputname"},
                                                           {"$.ifid", "iothub-interface-id"},
                                                           {"$.sub", "dt-subject"},
                                                           {"$.ctime", "iothub-creation-time-utc"}};
  auto it = names.find(key);
  return it == names.end() ? key : it->second;
}

inline std::string oracle(const picohub::hub::TelemetryEventInput& in) {
  using namespace picohub::hub;
  using nlohmann::json;
  json system = json::object();
  json properties = json::object();
  if (auto bag = parse_property_bag(in.property_bag)) {
    for (auto& [key, value] : *bag) {
      json v = value ? json(*value) : json(nullptr);
      if (key.rfind("$.", 0) == 0) {
        system[oracle_name(key)] = v;
      } else {
        properties[key] = v;
      }
    }
  }
  if (in.retain) properties["mqtt-retain"] = "true";
  system["iothub-connection-device-id"] = std::string(in.device_id);
  if (!in.module_id.empty()) system["iothub-connection-module-id"] = std::string(in.module_id);
  system["iothub-connection-auth-method"] = R"({"scope":"device","type":"sas","issuer":"iothub"})";
  system["iothub-enqueuedtime"] = iso8601_utc(in.enqueued_ms);
  std::string body(in.payload);
  json event = {{"sequence", in.sequence},
                {"deviceId", std::string(in.device_id)},
                {"moduleId", in.module_id.empty() ? json(nullptr) : json(std::string(in.module_id))},
                {"enqueuedTime", iso8601_utc(in.enqueued_ms)},
                {"systemProperties", system},
                {"properties", properties},
                {"body", is_valid_utf8(body) ? json(body) : json(nullptr)},
                {"bodyBase64", base64_encode(body)}};
  return event.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace picohub::test
