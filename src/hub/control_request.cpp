#include "hub/control_request.hpp"

namespace picohub::hub {

std::optional<ControlRequest> parse_control_request(std::string_view payload, std::string& error,
                                                    std::string& correlation_id) {
  auto doc = nlohmann::json::parse(payload, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = "request is not a JSON object; send {\"op\":..,\"correlationId\":..}";
    return std::nullopt;
  }
  auto cid = doc.find("correlationId");
  if (cid != doc.end() && cid->is_string()) correlation_id = cid->get<std::string>();
  if (cid == doc.end() || !cid->is_string() || correlation_id.empty()) {
    error = "request lacks a string correlationId";
    return std::nullopt;
  }
  auto op = doc.find("op");
  if (op == doc.end() || !op->is_string()) {
    error = "request lacks a string op";
    return std::nullopt;
  }
  ControlRequest request;
  request.op = op->get<std::string>();
  request.correlation_id = correlation_id;
  request.fields = std::move(doc);
  return request;
}

std::optional<std::string> optional_string(const nlohmann::json& fields, const char* name, std::string& error) {
  auto it = fields.find(name);
  if (it == fields.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    error = std::string("field '") + name + "' must be a string";
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::optional<std::int64_t> optional_int(const nlohmann::json& fields, const char* name, std::string& error) {
  auto it = fields.find(name);
  if (it == fields.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) {
    error = std::string("field '") + name + "' must be an integer";
    return std::nullopt;
  }
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    error = std::string("field '") + name + "' is too large";
    return std::nullopt;
  }
  return it->get<std::int64_t>();
}

}  // namespace picohub::hub
