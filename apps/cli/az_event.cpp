#include "az_event.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>
#include <utility>

#include "service_time.hpp"

namespace picohub::cli {

using nlohmann::json;

namespace {

// az reads system properties from the AMQP message's properties section, by their Python attribute names;
// IoT Hub carries the rest of the device's system properties as message annotations.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kAmqpPropertyNames = {{
    {"message-id", "message_id"},
    {"correlation-id", "correlation_id"},
    {"user-id", "user_id"},
    {"content-type", "content_type"},
    {"content-encoding", "content_encoding"},
    {"absolute-expiry-time", "absolute_expiry_time"},
}};

std::string_view amqp_property_name(std::string_view hub_name) {
  for (const auto& [from, to] : kAmqpPropertyNames) {
    if (from == hub_name) return to;
  }
  return {};
}

std::string text_of(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

json payload_of(const json& event, const std::string& content_type) {
  auto body = event.find("body");
  if (body == event.end() || !body->is_string()) return text_of(event, "bodyBase64");  // binary: az cannot decode
  const std::string text = body->get<std::string>();
  if (lower(content_type).find("application/json") == std::string::npos) return text;
  auto parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? json(text) : parsed;
}

}  // namespace

json to_az_event(const json& event, const std::string& content_type_hint) {
  const json system = event.value("systemProperties", json::object());
  json amqp_properties = json::object();
  json annotations = json::object();
  for (const auto& [name, value] : system.items()) {
    if (value.is_null()) continue;
    if (auto amqp = amqp_property_name(name); !amqp.empty()) {
      amqp_properties[std::string(amqp)] = value;
    } else {
      annotations[name] = value;
    }
  }
  const long long sequence = event.value("sequence", -1LL);
  const auto enqueued_ms = parse_since_ms(text_of(event, "enqueuedTime"), 0);
  annotations["iothub-message-source"] = "Telemetry";
  if (sequence >= 0) {
    annotations["x-opt-sequence-number"] = sequence;
    annotations["x-opt-offset"] = std::to_string(sequence);
  }
  if (enqueued_ms) annotations["x-opt-enqueued-time"] = *enqueued_ms;

  const std::string content_type = content_type_hint.empty() ? text_of(amqp_properties, "content_type")
                                                             : content_type_hint;
  json out;
  out["origin"] = text_of(event, "deviceId");
  out["module"] = text_of(event, "moduleId");
  out["interface"] = text_of(system, "iothub-interface-id");
  out["component"] = text_of(system, "dt-subject");
  out["properties"] = {{"system", amqp_properties}, {"application", event.value("properties", json::object())}};
  out["annotations"] = annotations;
  out["payload"] = payload_of(event, content_type);
  return json{{"event", out}};
}

}  // namespace picohub::cli
