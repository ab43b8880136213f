#include "mqtt/topic_name.hpp"

#include "mqtt/packet.hpp"

namespace picohub::mqtt {

Result<TopicName> TopicName::validate(std::string_view text) noexcept {
  if (!valid_topic_name(text))
    return fail(Errc::invalid_argument, "MQTT publish topic is empty, not UTF-8 or has a wildcard");
  return TopicName(text);
}

}  // namespace picohub::mqtt
