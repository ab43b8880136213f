// IoT Hub's size limits, counted the way IoT Hub counts them (not as MQTT packet sizes).
#pragma once

#include <cstddef>
#include <string_view>

namespace picohub::hub {

// Device-to-cloud: 256 KB counting the body, the values of system properties ($.mid, $.ct, ...) and the names
// and values of application properties. The topic's fixed parts do not count.
inline constexpr std::size_t kD2cMaxCountedBytes = 256 * 1024;

// The counted size of one telemetry message: `encoded_bag` as it follows `messages/events/` (still %-encoded;
// counted decoded). A malformed entry counts as its encoded text: nothing the device sent is counted as smaller.
std::size_t d2c_counted_size(std::string_view encoded_bag, std::size_t body_size);

// Cloud-to-device: 64 KB counted the same way (body + system property values + application names and values).
inline constexpr std::size_t kC2dMaxCountedBytes = 64 * 1024;
// Direct methods: request and response payloads up to 128 KB each.
inline constexpr std::size_t kMethodMaxPayloadBytes = 128 * 1024;

// Message ids: up to 128 ASCII alphanumerics and - : . + % _ # * ? ! ( ) , = @ ; $ '
bool is_valid_message_id(std::string_view id);
// C2D application property names and values: ASCII alphanumerics and ! # $ % & ' * + - . ^ _ ` | ~
// (a name must not be empty; a value may be).
bool is_valid_c2d_property_text(std::string_view text);

}  // namespace picohub::hub
