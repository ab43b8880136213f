// mqtt::TopicName: a PUBLISH topic name known to be valid (non-empty, at most 65535 bytes, well-formed UTF-8
// without U+0000, no '+' or '#'), so the session can encode it without scanning it again.
//
// There are exactly two ways to get one:
//   - TopicName::validate(text): the full check, for anything that comes from outside (an application's topic,
//     a string from a file or the command line);
//   - a topic builder that writes the topic from parts it has already validated: iothub::TelemetryTopicBuilder
//     (validated device/module ids, then a percent-encoded property bag, which is printable ASCII without
//     wildcards by construction). It is named here as the one friend allowed to skip the scan.
// A TopicName is a view: the text it names must outlive it (the builder's buffer, the caller's string).
#pragma once

#include <string_view>

#include "common/error.hpp"

namespace picohub::iothub {
class TelemetryTopicBuilder;
}

namespace picohub::mqtt {

class TopicName {
 public:
  // Errc::invalid_argument when `text` is not a valid topic name ([MQTT-4.7.3-1], [MQTT-3.3.2-2], [MQTT-1.5.3]).
  static Result<TopicName> validate(std::string_view text) noexcept;

  std::string_view view() const noexcept { return text_; }

 private:
  friend class iothub::TelemetryTopicBuilder;
  explicit TopicName(std::string_view text) noexcept : text_(text) {}

  std::string_view text_;
};

}  // namespace picohub::mqtt
