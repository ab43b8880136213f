// The hand-written telemetry event (src/hub/telemetry_event.cpp) against the nlohmann::json tree it replaced, on
// arbitrary property bags and payloads: any byte difference aborts. Input: flags byte, bag, '\n', payload.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "hub/codec.hpp"
#include "hub/telemetry_event.hpp"

namespace {

std::string oracle_name(const std::string& key) {
  static const std::map<std::string, std::string> names = {
      {"$.mid", "message-id"},       {"$.cid", "correlation-id"},    {"$.uid", "user-id"},
      {"$.ct", "content-type"},      {"$.ce", "content-encoding"},   {"$.to", "to"},
      {"$.exp", "absolute-expiry-time"}, {"$.on", "iothub-outputname"}, {"$.ifid", "iothub-interface-id"},
      {"$.sub", "dt-subject"},       {"$.ctime", "iothub-creation-time-utc"}};
  auto it = names.find(key);
  return it == names.end() ? key : it->second;
}

std::string oracle(const picohub::hub::TelemetryEventInput& in) {
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto cut = rest.find('\n');
  picohub::hub::TelemetryEventInput in;
  in.sequence = static_cast<std::int64_t>(size) * 7919;
  in.device_id = "dev-1";
  in.module_id = (data[0] & 1) != 0 ? "mod.a" : "";
  in.retain = (data[0] & 2) != 0;
  in.enqueued_ms = 1700000000000 + static_cast<std::int64_t>(data[0]) * 86399999;
  in.property_bag = rest.substr(0, cut);
  in.payload = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
  std::string out;
  picohub::hub::write_telemetry_event(in, out);
  if (out != oracle(in)) std::abort();
  return 0;
}
