#include "iothub/telemetry_topic_builder.hpp"

#include "iothub/property_bag.hpp"
#include "iothub/text_writer.hpp"
#include "mqtt/packet.hpp"

namespace picohub::iothub {
namespace {

constexpr std::size_t max_topic_bytes = 0xFFFF;  // an MQTT string's 2-byte length

// One topic level that keeps the topic valid: no level separator, no wildcard, valid MQTT UTF-8 (no U+0000).
bool valid_level(std::string_view id) noexcept {
  for (const char c : id)
    if (c == '/' || c == '+' || c == '#') return false;
  return !id.empty() && mqtt::valid_mqtt_string(id);
}

}  // namespace

Result<TelemetryTopicBuilder> TelemetryTopicBuilder::make(std::string_view device_id,
                                                          std::string_view module_id) noexcept {
  if (!valid_level(device_id))
    return fail(Errc::invalid_argument, "device id is empty, not UTF-8 or contains '/', '#', '+' or NUL");
  if (!module_id.empty() && !valid_level(module_id))
    return fail(Errc::invalid_argument, "module id is not UTF-8 or contains '/', '#', '+' or NUL");
  return TelemetryTopicBuilder(device_id, module_id);
}

Result<mqtt::TopicName> TelemetryTopicBuilder::build(const MessageProperties& properties,
                                                     std::span<char> out) const noexcept {
  TextWriter w{out};
  w.text("devices/");
  w.text(device_id_);
  if (!module_id_.empty()) {
    w.text("/modules/");
    w.text(module_id_);
  }
  w.text("/messages/events/");
  if (w.overflow) return fail(Errc::too_large, "buffer too small for the topic");
  // add()/add_null() percent-encode every name and value: nothing but [A-Za-z0-9._~-], %XX, '=' and '&'.
  PropertyBagWriter bag(out.subspan(w.n));
  if (auto r = write_message_properties(bag, properties); !r) return tl::unexpected(r.error());
  const std::size_t size = w.n + bag.size();
  if (size > max_topic_bytes)
    return fail(Errc::too_large, "telemetry topic is longer than an MQTT string (65535 bytes)");
  return mqtt::TopicName(std::string_view(out.data(), size));
}

}  // namespace picohub::iothub
