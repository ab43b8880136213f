#include "iothub/dps_topics.hpp"

#include "iothub/property_bag.hpp"
#include "iothub/text_writer.hpp"

namespace picohub::iothub {
namespace {

constexpr std::string_view registrations_segment = "/registrations/";
constexpr const char* too_small = "buffer too small for a DPS topic or user name";
constexpr const char* bad_parameter = "DPS request or operation id is empty or has a reserved character";
constexpr const char* bad_response_topic = "not a DPS response topic ($dps/registrations/res/{status}/?$rid=..)";

// rid and operation id go into a topic's query: nothing that ends a parameter, a level or makes a wildcard.
bool valid_parameter(std::string_view s) noexcept {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s)
    if (c == '&' || c == '/' || c == '?' || c == '#' || c == '+' || c == '=' || c <= ' ' || c == 0x7f) return false;
  return true;
}

bool valid_scope(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (c == '/' || c == '#' || c == '+' || c <= ' ') return false;
  return true;
}

std::optional<std::uint32_t> parse_u32(std::string_view s) noexcept {
  if (s.empty() || s.size() > 9) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return v;
}

}  // namespace

bool is_valid_registration_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-' && c != '.' && c != '_' && c != ':') return false;
  }
  return true;
}

Result<std::string_view> dps_username(std::string_view id_scope, std::string_view registration_id,
                                      std::string_view client_version, std::span<char> out) noexcept {
  if (!valid_scope(id_scope)) return fail(Errc::invalid_argument, "bad id scope");
  if (!is_valid_registration_id(registration_id)) return fail(Errc::invalid_argument, "bad registration id");
  TextWriter w{out};
  w.text(id_scope);
  w.text(registrations_segment);
  w.text(registration_id);
  w.text("/api-version=");
  w.text(dps_api_version);
  if (!client_version.empty()) {
    w.text("&ClientVersion=");
    w.encoded(client_version);
  }
  return w.result(too_small);
}

bool looks_like_dps_username(std::string_view username) noexcept {
  const auto slash = username.find('/');
  return slash != std::string_view::npos && username.substr(slash).starts_with(registrations_segment);
}

Result<ParsedDpsUsername> parse_dps_username(std::string_view username) noexcept {
  const auto slash = username.find('/');
  if (slash == std::string_view::npos || slash == 0 || !username.substr(slash).starts_with(registrations_segment))
    return fail(Errc::malformed, "a DPS user name is {idScope}/registrations/{registrationId}/api-version=...");
  ParsedDpsUsername p;
  p.id_scope = username.substr(0, slash);
  std::string_view rest = username.substr(slash + registrations_segment.size());
  const auto end = rest.find('/');
  p.registration_id = rest.substr(0, end);
  if (end != std::string_view::npos) p.query = rest.substr(end + 1);
  if (!p.query.empty() && p.query.front() == '?') p.query.remove_prefix(1);  // tolerate the hub's '?' form
  if (p.registration_id.empty() || !valid_scope(p.id_scope))
    return fail(Errc::malformed, "the DPS user name has an empty id scope or registration id");
  return p;
}

Result<std::string_view> dps_register_topic(std::string_view rid, std::span<char> out) noexcept {
  if (!valid_parameter(rid)) return fail(Errc::invalid_argument, bad_parameter);
  TextWriter w{out};
  w.text(dps_register_prefix);
  w.text("$rid=");
  w.text(rid);
  return w.result(too_small);
}

Result<std::string_view> dps_poll_topic(std::string_view rid, std::string_view operation_id,
                                        std::span<char> out) noexcept {
  if (!valid_parameter(rid)) return fail(Errc::invalid_argument, bad_parameter);
  if (!valid_parameter(operation_id)) return fail(Errc::invalid_argument, bad_parameter);
  TextWriter w{out};
  w.text(dps_poll_prefix);
  w.text("$rid=");
  w.text(rid);
  w.text("&operationId=");
  w.text(operation_id);
  return w.result(too_small);
}

Result<std::string_view> dps_response_topic(int status, std::string_view rid, std::uint32_t retry_after_s,
                                            std::span<char> out) noexcept {
  if (status < 100 || status > 999) return fail(Errc::invalid_argument, "DPS status must be 3 digits");
  if (!valid_parameter(rid)) return fail(Errc::invalid_argument, bad_parameter);
  TextWriter w{out};
  w.text(dps_response_prefix);
  w.number(status);
  w.text("/?$rid=");
  w.text(rid);
  if (retry_after_s != 0) {
    w.text("&retry-after=");
    w.number(retry_after_s);
  }
  return w.result("buffer too small for the DPS response topic");
}

Result<DpsResponseTopic> parse_dps_response_topic(std::string_view topic) noexcept {
  if (!topic.starts_with(dps_response_prefix)) return fail(Errc::malformed, "not a DPS response topic");
  std::string_view rest = topic.substr(dps_response_prefix.size());
  const auto slash = rest.find('/');
  if (slash != 3) return fail(Errc::malformed, bad_response_topic);
  auto status = parse_u32(rest.substr(0, 3));
  if (!status || *status < 100) return fail(Errc::malformed, bad_response_topic);
  DpsResponseTopic r;
  r.status = static_cast<int>(*status);
  rest.remove_prefix(4);
  if (!rest.empty() && rest.front() == '?') rest.remove_prefix(1);
  bool has_rid = false;
  PropertyBagReader reader(rest);
  while (auto p = reader.next()) {
    if (p->key == "$rid") {
      if (has_rid) return fail(Errc::malformed, bad_response_topic);
      has_rid = true;
      r.rid = p->value;
    } else if (p->key == "retry-after") {
      r.retry_after_s = parse_u32(p->value);
    }
  }
  if (!has_rid) return fail(Errc::malformed, bad_response_topic);
  return r;
}

DpsRequestTopic classify_dps_request(std::string_view topic) noexcept {
  DpsRequestTopic r;
  std::string_view query;
  DpsRequestKind kind = DpsRequestKind::invalid;
  if (topic.starts_with(dps_register_prefix)) {
    kind = DpsRequestKind::register_device;
    query = topic.substr(dps_register_prefix.size());
  } else if (topic.starts_with(dps_poll_prefix)) {
    kind = DpsRequestKind::poll_status;
    query = topic.substr(dps_poll_prefix.size());
  } else {
    return r;
  }
  bool has_rid = false, has_operation = false;
  PropertyBagReader reader(query);
  while (auto p = reader.next()) {
    if (p->key == "$rid" && !has_rid) {
      has_rid = true;
      r.rid = p->value;
    } else if (p->key == "operationId" && !has_operation) {
      has_operation = true;
      r.operation_id = p->value;
    }
  }
  if (!has_rid || !valid_parameter(r.rid)) return {};
  if (kind == DpsRequestKind::poll_status && !valid_parameter(r.operation_id)) return {};
  r.kind = kind;
  return r;
}

}  // namespace picohub::iothub
