// An AMQP transfer on /messages/devicebound -> the hub's C2D request (reference iothub-service-api.md §1.5):
// `to` names the device, ids and content type/encoding are AMQP properties, `iothub-ack` and the user's
// properties are application properties, absolute-expiry-time becomes the TTL.
#pragma once

#include "service/amqp/hub_port.hpp"

#include <proton/message.hpp>

#include <string>

namespace picohub::service::amqp {

// now_ms: Unix ms (for the TTL). A refusal (status 400/400004 or 404) says what is wrong with the message.
HubResult<C2dRequest> c2d_request_from(const proton::message& message, std::int64_t now_ms);

}  // namespace picohub::service::amqp
