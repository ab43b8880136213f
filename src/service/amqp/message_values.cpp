#include "service/amqp/message_values.hpp"

#include <proton/binary.hpp>
#include <proton/uuid.hpp>

namespace picohub::service::amqp {

std::optional<std::string> id_text(const proton::message_id& id) {
  switch (id.type()) {
    case proton::STRING: return proton::get<std::string>(id);
    case proton::UUID: return proton::get<proton::uuid>(id).str();
    case proton::ULONG: return std::to_string(proton::get<std::uint64_t>(id));
    case proton::BINARY: {
      const auto bytes = proton::get<proton::binary>(id);
      return std::string(bytes.begin(), bytes.end());
    }
    default: return std::nullopt;
  }
}

std::optional<std::string> scalar_text(const proton::scalar& value) {
  switch (value.type()) {
    case proton::NULL_TYPE: return std::nullopt;
    case proton::STRING: return proton::get<std::string>(value);
    case proton::SYMBOL: return std::string(proton::get<proton::symbol>(value));
    case proton::BOOLEAN: return proton::get<bool>(value) ? "true" : "false";
    default: return proton::to_string(value);
  }
}

std::optional<std::string> body_bytes(const proton::message& message) {
  const proton::value& body = message.body();
  switch (body.type()) {
    case proton::BINARY: {
      const auto bytes = proton::get<proton::binary>(body);
      return std::string(bytes.begin(), bytes.end());
    }
    case proton::STRING: return proton::get<std::string>(body);
    case proton::NULL_TYPE: return std::string{};
    default: return std::nullopt;
  }
}

}  // namespace picohub::service::amqp
