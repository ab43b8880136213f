// Small conversions between Proton's AMQP values and the strings the hub speaks.
#pragma once

#include <proton/message.hpp>
#include <proton/message_id.hpp>
#include <proton/scalar.hpp>
#include <proton/value.hpp>

#include <optional>
#include <string>

namespace picohub::service::amqp {

// A message id or correlation id as text: strings as they are, uuids in their 8-4-4-4-12 form, ulongs in decimal,
// binary as its bytes. nullopt when unset.
std::optional<std::string> id_text(const proton::message_id& id);

// A scalar application property as text (strings as they are, numbers and booleans printed); nullopt for null.
std::optional<std::string> scalar_text(const proton::scalar& value);

// The message body as bytes: a data section, an amqp-value string or binary. Other bodies are nullopt.
std::optional<std::string> body_bytes(const proton::message& message);

}  // namespace picohub::service::amqp
