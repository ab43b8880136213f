#include "service/amqp/c2d_message.hpp"

#include "service/amqp/addresses.hpp"
#include "service/amqp/message_values.hpp"

#include <proton/codec/map.hpp>

#include <algorithm>
#include <map>

namespace picohub::service::amqp {

namespace {
tl::unexpected<HubRefusal> bad(std::string text) { return tl::unexpected(HubRefusal{400, 400004, std::move(text)}); }

constexpr std::int64_t k_min_ttl_s = 60;  // the hub's c2d.send limits
constexpr std::int64_t k_max_ttl_s = 172800;
}  // namespace

HubResult<C2dRequest> c2d_request_from(const proton::message& message, std::int64_t now_ms) {
  C2dRequest r;
  auto device = device_of_c2d_to(message.to());
  if (!device)
    return bad("the message's 'to' must be /devices/{deviceId}/messages/devicebound, got '" + message.to() + "'");
  r.device_id = *device;
  auto body = body_bytes(message);
  if (!body) return bad("the message body must be a data section (binary) or a string");
  r.payload = std::move(*body);
  r.message_id = id_text(message.id());
  r.correlation_id = id_text(message.correlation_id());
  if (!message.user().empty()) r.user_id = message.user();
  if (!message.content_type().empty()) r.content_type = message.content_type();
  if (!message.content_encoding().empty()) r.content_encoding = message.content_encoding();
  if (const auto expiry = message.expiry_time().milliseconds(); expiry != 0) {
    r.ttl_seconds = std::clamp((expiry - now_ms) / 1000, k_min_ttl_s, k_max_ttl_s);
  }
  std::map<std::string, proton::scalar> properties;
  proton::get(message.properties().value(), properties);
  for (const auto& [key, value] : properties) {
    auto text = scalar_text(value).value_or("");
    if (key == "iothub-ack") {
      r.ack = text;
      continue;
    }
    r.properties[key] = text;
  }
  return r;
}

}  // namespace picohub::service::amqp
