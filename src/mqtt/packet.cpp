#include "mqtt/packet.hpp"

namespace picohub::mqtt {

namespace {

std::uint16_t read_u16(std::span<const std::uint8_t> in) noexcept {
  return static_cast<std::uint16_t>((in[0] << 8) | in[1]);
}

// Entries were validated by decode(), so the length prefixes are trusted here.
std::string_view read_entry(std::span<const std::uint8_t> rest) noexcept {
  if (rest.size() < 2) return {};
  const std::size_t n = read_u16(rest);
  if (rest.size() < 2 + n) return {};
  return {reinterpret_cast<const char*>(rest.data() + 2), n};
}

}  // namespace

const char* describe(ConnectReturnCode code) noexcept {
  switch (code) {
    case ConnectReturnCode::accepted: return "connection accepted";
    case ConnectReturnCode::unacceptable_protocol_version:
      return "broker refused MQTT 3.1.1 (CONNACK 1): use a broker that supports protocol level 4";
    case ConnectReturnCode::identifier_rejected:
      return "broker rejected the client id (CONNACK 2): check the device id / client id";
    case ConnectReturnCode::server_unavailable: return "broker is unavailable (CONNACK 3): retry later with backoff";
    case ConnectReturnCode::bad_username_or_password:
      return "broker refused the user name or password (CONNACK 4): check the credentials";
    case ConnectReturnCode::not_authorized:
      return "broker says not authorized (CONNACK 5): check the credentials, that the identity is enabled, "
             "and the clock if tokens expire";
  }
  return "broker sent an unknown CONNACK return code";
}

PacketType type_of(const Packet& packet) noexcept {
  static constexpr PacketType types[] = {
      PacketType::connect,  PacketType::connack, PacketType::publish,   PacketType::puback,     PacketType::pubrec,
      PacketType::pubrel,   PacketType::pubcomp, PacketType::subscribe, PacketType::suback,     PacketType::unsubscribe,
      PacketType::unsuback, PacketType::pingreq, PacketType::pingresp,  PacketType::disconnect,
  };
  return types[packet.index()];
}

bool valid_mqtt_string(std::string_view text) noexcept {
  if (text.size() > 0xFFFF) return false;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    if (c == 0) return false;  // U+0000 is forbidden [MQTT-1.5.3-2]
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    std::uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1Fu, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0Fu, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07u, min = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<std::uint8_t>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are ill-formed [MQTT-1.5.3-1].
    if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

bool valid_topic_name(std::string_view topic) noexcept {
  if (topic.empty() || !valid_mqtt_string(topic)) return false;
  return topic.find_first_of("+#") == std::string_view::npos;
}

bool valid_topic_filter(std::string_view filter) noexcept {
  if (filter.empty() || !valid_mqtt_string(filter)) return false;
  for (std::size_t i = 0; i < filter.size(); ++i) {
    const char c = filter[i];
    if (c != '+' && c != '#') continue;
    const bool starts_level = i == 0 || filter[i - 1] == '/';
    const bool ends_level = i + 1 == filter.size() || filter[i + 1] == '/';
    if (!starts_level || !ends_level) return false;
    if (c == '#' && i + 1 != filter.size()) return false;  // '#' must be the last level [MQTT-4.7.1-2]
  }
  return true;
}

Subscription SubscribeView::Iterator::operator*() const noexcept {
  const std::string_view filter = read_entry(rest_);
  const std::size_t qos_at = 2 + filter.size();
  const auto qos = qos_at < rest_.size() ? static_cast<QoS>(rest_[qos_at] & 0x03) : QoS::at_most_once;
  return Subscription{filter, qos};
}

SubscribeView::Iterator& SubscribeView::Iterator::operator++() noexcept {
  const std::size_t step = 2 + read_entry(rest_).size() + 1;
  rest_ = rest_.subspan(step < rest_.size() ? step : rest_.size());
  return *this;
}

std::string_view UnsubscribeView::Iterator::operator*() const noexcept { return read_entry(rest_); }

UnsubscribeView::Iterator& UnsubscribeView::Iterator::operator++() noexcept {
  const std::size_t step = 2 + read_entry(rest_).size();
  rest_ = rest_.subspan(step < rest_.size() ? step : rest_.size());
  return *this;
}

}  // namespace picohub::mqtt
