// iothub::TelemetryTopicBuilder: the telemetry topic "devices/{d}[/modules/{m}]/messages/events/{bag}" as an
// mqtt::TopicName, so the MQTT session does not scan a topic this code has just built from checked parts.
//
// make() checks the device and module ids once (what mqtt::TopicName::validate would check, plus no '/'); build()
// then writes the ids as they are and the property bag percent-encoded (PropertyBagWriter::add/add_null only:
// unreserved ASCII, %XX, '=' and '&'), so every topic it returns is a valid MQTT topic name by construction.
// The same bytes as telemetry_topic() in topics.hpp, which stays for callers that want a plain string.
#pragma once

#include <span>
#include <string_view>

#include "common/error.hpp"
#include "iothub/topics.hpp"
#include "mqtt/topic_name.hpp"

namespace picohub::iothub {

class TelemetryTopicBuilder {
 public:
  // Errc::invalid_argument when an id is empty (the module id may be), contains '/', '+', '#' or U+0000, or is
  // not well-formed UTF-8. The ids are viewed, not copied: they must outlive the builder.
  static Result<TelemetryTopicBuilder> make(std::string_view device_id, std::string_view module_id) noexcept;

  // Writes the topic into `out` (Errc::too_large when it does not fit, or is longer than an MQTT string) and
  // returns it; valid until `out` is written again.
  Result<mqtt::TopicName> build(const MessageProperties& properties, std::span<char> out) const noexcept;

 private:
  TelemetryTopicBuilder(std::string_view device_id, std::string_view module_id) noexcept
      : device_id_(device_id), module_id_(module_id) {}

  std::string_view device_id_;
  std::string_view module_id_;
};

}  // namespace picohub::iothub
