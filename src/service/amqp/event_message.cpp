#include "service/amqp/event_message.hpp"

#include <proton/annotation_key.hpp>
#include <proton/binary.hpp>
#include <proton/message_id.hpp>
#include <proton/timestamp.hpp>

namespace picohub::service::amqp {

std::uint32_t partition_of(std::string_view device_id, std::uint32_t partition_count) {
  std::uint32_t hash = 2166136261u;
  for (const char c : device_id) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return partition_count == 0 ? 0 : hash % partition_count;
}

namespace {
// Properties that go to the AMQP properties section; the rest of the hub's system properties become annotations.
bool set_amqp_property(proton::message& m, const std::string& key, const std::string& value) {
  if (key == "message-id") m.id(proton::message_id(value));
  else if (key == "correlation-id") m.correlation_id(proton::message_id(value));
  else if (key == "content-type") m.content_type(value);
  else if (key == "content-encoding") m.content_encoding(value);
  else if (key == "user-id") m.user(value);
  else if (key == "to") m.to(value);
  else return false;
  return true;
}
}  // namespace

proton::message event_message(const TelemetryEvent& event) {
  proton::message m;
  m.body(proton::binary(event.body.begin(), event.body.end()));
  m.inferred(true);  // a data section, not an amqp-value holding binary
  auto& annotations = m.message_annotations();
  for (const auto& [key, value] : event.system_properties) {
    if (set_amqp_property(m, key, value)) continue;
    if (key == "iothub-enqueuedtime") continue;  // written below as a timestamp
    annotations.put(proton::annotation_key(proton::symbol(key)), value);
  }
  annotations.put(proton::symbol("x-opt-sequence-number"), static_cast<std::int64_t>(event.sequence));
  annotations.put(proton::symbol("x-opt-offset"), std::to_string(event.sequence));
  annotations.put(proton::symbol("x-opt-enqueued-time"), proton::timestamp(event.enqueued_ms));
  annotations.put(proton::symbol("iothub-enqueuedtime"), proton::timestamp(event.enqueued_ms));
  annotations.put(proton::symbol("iothub-message-source"), std::string("Telemetry"));
  annotations.put(proton::symbol("iothub-connection-device-id"), event.device_id);
  if (!event.module_id.empty()) annotations.put(proton::symbol("iothub-connection-module-id"), event.module_id);
  auto& properties = m.properties();
  for (const auto& [key, value] : event.properties) properties.put(key, value.value_or(""));
  return m;
}

}  // namespace picohub::service::amqp
