#include "hub/dps.hpp"

#include <array>

#include "hub/auth.hpp"
#include "hub/codec.hpp"
#include "hub/control_request.hpp"
#include "hub/hub.hpp"
#include "iothub/dps_topics.hpp"
#include "iothub/sas_token.hpp"

namespace picohub::hub {

using nlohmann::json;

namespace {

constexpr std::int64_t kDpsError = 400004;  // IoT Hub's "invalid argument"; DPS uses the same shape

json error_body(std::int64_t code, const std::string& message) {
  return json{{"errorCode", code}, {"message", message}};
}

std::string derive(const std::string& group_key, std::string_view registration_id) {
  std::array<char, 64> out{};
  auto key = iothub::derive_device_key(group_key, registration_id, out);
  return key ? std::string(*key) : std::string();
}

bool verify(const iothub::SasTokenFields& token, const std::string& key) {
  return !key.empty() && iothub::verify_sas_token(token, key).has_value();
}

}  // namespace

DpsEndpoint::DpsEndpoint(const HubConfig& config, Store& store, BrokerPort& port, DpsOptions options)
    : config_(config),
      store_(store),
      port_(port),
      options_(options),
      enrollments_(store),
      operations_(store, options.max_operations) {}

const std::string& DpsEndpoint::id_scope() {
  if (id_scope_.empty()) id_scope_ = enrollments_.id_scope();
  return id_scope_;
}

std::string DpsEndpoint::this_hub() const {
  return config_.port == 8883 ? config_.host_name : config_.host_name + ":" + std::to_string(config_.port);
}

void DpsEndpoint::log(const std::string& line) { port_.log(LogLevel::notice, "picohub: dps: " + line); }

bool DpsEndpoint::handles_username(std::string_view username) {
  if (!iothub::looks_like_dps_username(username)) return false;
  auto parsed = iothub::parse_dps_username(username);
  return parsed && equals_ignore_case(parsed->id_scope, id_scope());
}

// ---------------------------------------------------------------- connections

std::optional<DpsEndpoint::Connection> DpsEndpoint::authenticate(std::string_view registration_id,
                                                                 std::string_view password, std::int64_t now_s,
                                                                 std::string& why) {
  auto token = iothub::parse_sas_token(password);
  if (!token) {
    why = std::string("password is not a SAS token: ") + token.error().what;
    return std::nullopt;
  }
  const auto sr = url_decode(token->sr);
  const std::string resource = id_scope() + "/registrations/" + std::string(registration_id);
  if (!sr || !equals_ignore_case(*sr, resource)) {
    why = "token sr must be '" + resource + "'";
    return std::nullopt;
  }
  if (!token->has_skn || url_decode(token->skn).value_or("") != iothub::dps_policy_name) {
    why = "token skn must be 'registration'";
    return std::nullopt;
  }
  if (iothub::sas_expired(token->se, static_cast<std::uint64_t>(now_s), kMaxClockSkewSeconds)) {
    why = "token expired at " + iso8601_utc(static_cast<std::int64_t>(token->se) * 1000) + "; check the clock";
    return std::nullopt;
  }
  const std::string id(registration_id);
  // An individual enrollment wins over the groups, as in DPS.
  if (auto e = enrollments_.find(EnrollmentKind::individual, id)) {
    for (const auto* key : {&e->primary_key, &e->secondary_key}) {
      if (verify(*token, *key))
        return Connection{id, e->kind, e->id, *key, key == &e->primary_key ? e->secondary_key : e->primary_key};
    }
    why = "the signature matches neither key of individual enrollment '" + id + "'";
    return std::nullopt;
  }
  for (const auto& g : enrollments_.groups()) {
    const std::string primary = derive(g.primary_key, id), secondary = derive(g.secondary_key, id);
    if (verify(*token, primary)) return Connection{id, g.kind, g.id, primary, secondary};
    if (verify(*token, secondary)) return Connection{id, g.kind, g.id, secondary, primary};
  }
  why = "no individual enrollment '" + id + "', and no enrollment group's derived key signs this token";
  return std::nullopt;
}

bool DpsEndpoint::on_basic_auth(ConnId conn, std::string_view client_id, std::string_view username,
                                std::string_view password, std::int64_t now_ms) {
  conns_.erase(conn);
  auto parsed = iothub::parse_dps_username(username);
  std::string who(client_id.empty() ? "(no client id)" : client_id);
  if (!parsed || parsed->registration_id != client_id || !iothub::is_valid_registration_id(client_id)) {
    log("refused " + who + ": the client id must be the registration id of the user name {idScope}/registrations/{id}");
    return false;
  }
  std::string why;
  auto c = authenticate(client_id, password, now_ms / 1000, why);
  if (!c) {
    log("refused registration " + who + ": " + why);
    return false;
  }
  log(who + " connected for registration (" + to_string(c->kind) + " enrollment '" + c->enrollment_id + "')");
  conns_[conn] = std::move(*c);
  return true;
}

bool DpsEndpoint::on_acl_check(ConnId conn, Access access, std::string_view topic) {
  if (!owns(conn)) return false;
  switch (access) {
    case Access::subscribe:
    case Access::unsubscribe: return topic == iothub::dps_response_filter;
    case Access::read: return topic.starts_with(iothub::dps_response_prefix);
    case Access::write: return iothub::classify_dps_request(topic).kind != iothub::DpsRequestKind::invalid;
  }
  return false;
}

// ---------------------------------------------------------------- registration

void DpsEndpoint::answer(const std::string& client_id, int status, std::string_view rid, std::uint32_t retry_after_s,
                         const json& body) {
  std::array<char, 256> topic{};
  auto t = iothub::dps_response_topic(status, rid, retry_after_s, topic);
  if (t) port_.publish(client_id, std::string(*t), body.dump(-1, ' ', false, json::error_handler_t::replace), 0);
}

void DpsEndpoint::on_message(ConnId conn, std::string_view topic, std::string_view payload, std::int64_t now_ms) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  const auto request = iothub::classify_dps_request(topic);
  switch (request.kind) {
    case iothub::DpsRequestKind::register_device: on_register(it->second, request.rid, payload, now_ms); break;
    case iothub::DpsRequestKind::poll_status: on_poll(it->second, request.rid, request.operation_id, now_ms); break;
    case iothub::DpsRequestKind::invalid: break;
  }
}

void DpsEndpoint::on_register(const Connection& c, std::string_view rid, std::string_view payload,
                              std::int64_t now_ms) {
  const json body = json::parse(payload, nullptr, false);
  if (!body.is_object() || !body.contains("registrationId") || body["registrationId"] != c.registration_id) {
    return answer(c.registration_id, 400, rid, 0,
                  error_body(kDpsError, "the body must be {\"registrationId\":\"" + c.registration_id +
                                            "\"} (optionally with \"payload\")"));
  }
  const Operation op = assign(c, body.contains("payload") ? body["payload"] : json(nullptr), now_ms);
  DpsOperation saved;
  saved.operation_id = "4." + random_hex(8) + "." + random_hex(16);
  saved.registration_id = op.registration_id;
  saved.status = op.status;
  saved.state_json = op.state.dump(-1, ' ', false, json::error_handler_t::replace);
  saved.created_ms = op.created_ms;
  saved.ready_ms = op.ready_ms;
  // Saved before the 202 that names it: a poll after a hub restart must find it.
  if (auto r = operations_.insert(saved); !r || !store_.flush()) {
    const std::string why = r ? store_.last_error() : std::string(r.error().what);
    log("registration " + c.registration_id + " not accepted: the hub could not save its operation (" + why + ")");
    return answer(c.registration_id, 500, rid, 0,
                  error_body(500001, "the hub could not save the registration operation: try again"));
  }
  answer(c.registration_id, 202, rid, options_.retry_after_s,
         json{{"operationId", saved.operation_id}, {"status", "assigning"}});
}

// Decides the outcome at once (the device is created now); the answer waits for the poll after retry-after.
DpsEndpoint::Operation DpsEndpoint::assign(const Connection& c, const json& custom_payload, std::int64_t now_ms) {
  Operation op;
  op.registration_id = c.registration_id;
  op.created_ms = now_ms;
  op.ready_ms = now_ms + std::int64_t{options_.retry_after_s} * 1000;
  const std::string now = iso8601_utc(now_ms);
  op.state = json{{"registrationId", c.registration_id},
                  {"createdDateTimeUtc", now},
                  {"lastUpdatedDateTimeUtc", now},
                  {"etag", "\"" + random_hex(8) + "\""}};
  auto failed = [&](const std::string& status, std::int64_t code, const std::string& message) {
    op.status = status;
    op.state["status"] = status;
    op.state["errorCode"] = code;
    op.state["errorMessage"] = message;
    log("registration " + c.registration_id + " " + status + ": " + message);
    return op;
  };
  auto e = enrollments_.find(c.kind, c.enrollment_id);
  if (!e) return failed("failed", 404201, "the enrollment was deleted");
  if (e->status != "enabled") return failed("disabled", 401003, "the enrollment is disabled");
  const std::string device_id = c.kind == EnrollmentKind::individual && !e->device_id.empty() ? e->device_id
                                                                                              : c.registration_id;
  if (!is_valid_device_id(device_id) || is_reserved_client_id(device_id))
    return failed("failed", 400004, "'" + device_id + "' cannot be a device id");
  const std::string hub = e->iot_hub.empty() ? this_hub() : e->iot_hub;
  if (auto existing = store_.find_device(device_id)) {
    if (existing->primary_key != c.key && existing->secondary_key != c.key)
      return failed("failed", 409201,
                    "device '" + device_id +
                        "' exists in the hub with other keys: delete it, or give the "
                        "enrollment its keys");
  } else {
    DeviceRecord d;
    d.device_id = device_id;
    d.primary_key = c.key;
    d.secondary_key = c.other_key.empty() ? random_key_base64() : c.other_key;
    d.created_ms = now_ms;
    auto inserted = store_.insert_device(d);
    if (!inserted || !store_.flush())
      return failed("failed", 500001, "the hub could not save the device (" + store_.last_error() + ")");
    log("device " + device_id + " created by registration " + c.registration_id);
  }
  op.status = "assigned";
  op.state["assignedHub"] = hub;
  op.state["deviceId"] = device_id;
  op.state["status"] = "assigned";
  op.state["substatus"] = "initialAssignment";
  if (!custom_payload.is_null()) op.state["payload"] = custom_payload;
  log("registration " + c.registration_id + " assigned to " + hub + " as device " + device_id);
  return op;
}

void DpsEndpoint::on_poll(const Connection& c, std::string_view rid, std::string_view operation_id,
                          std::int64_t now_ms) {
  const auto op = operations_.find(std::string(operation_id));
  if (!op || op->registration_id != c.registration_id) {
    return answer(c.registration_id, 404, rid, 0,
                  error_body(404204, "operation '" + std::string(operation_id) + "' is unknown: register again"));
  }
  if (now_ms < op->ready_ms) {  // polled before retry-after passed: still assigning
    return answer(c.registration_id, 202, rid, options_.retry_after_s,
                  json{{"operationId", op->operation_id}, {"status", "assigning"}});
  }
  answer(c.registration_id, 200, rid, 0,
         json{{"operationId", op->operation_id},
              {"status", op->status},
              {"registrationState", json::parse(op->state_json, nullptr, false)}});
}

// ---------------------------------------------------------------- enrollments (control ops)

json DpsEndpoint::enrollment_object(const DpsEnrollment& e) {
  json o = {{"kind", to_string(e.kind)},
            {e.kind == EnrollmentKind::group ? "enrollmentGroupId" : "registrationId", e.id},
            {"primaryKey", e.primary_key},
            {"secondaryKey", e.secondary_key},
            {"iotHub", e.iot_hub.empty() ? this_hub() : e.iot_hub},
            {"status", e.status},
            {"createdDateTimeUtc", iso8601_utc(e.created_ms)}};
  if (e.kind == EnrollmentKind::individual) o["deviceId"] = e.device_id.empty() ? e.id : e.device_id;
  return o;
}

DpsEndpoint::Reply DpsEndpoint::enrollment_create(const json& f, std::int64_t now_ms) {
  std::string error;
  const auto kind_text = optional_string(f, "kind", error);
  const auto id = optional_string(f, "id", error);
  const auto primary = optional_string(f, "primaryKey", error);
  const auto secondary = optional_string(f, "secondaryKey", error);
  const auto hub = optional_string(f, "iotHub", error);
  const auto device = optional_string(f, "deviceId", error);
  const auto status = optional_string(f, "status", error);
  if (!error.empty()) return {400, error_body(kDpsError, error)};
  const auto kind = parse_enrollment_kind(kind_text.value_or("individual"));
  if (!kind) return {400, error_body(kDpsError, "kind must be individual or group")};
  if (!id || !iothub::is_valid_registration_id(*id))
    return {400, error_body(kDpsError, "id must be 1-128 letters, digits, '-', '.', '_' or ':'")};
  for (const auto* key : {&primary, &secondary})
    if (*key && (!base64_decode(**key) || base64_decode(**key)->size() < 16))
      return {400, error_body(kDpsError, "keys must be base64 of at least 16 bytes")};
  if (device && (*kind == EnrollmentKind::group || !is_valid_device_id(*device)))
    return {400, error_body(kDpsError, "deviceId is for individual enrollments, and must be a valid device id")};
  if (status && *status != "enabled" && *status != "disabled")
    return {400, error_body(kDpsError, "status must be enabled or disabled")};
  DpsEnrollment e;
  e.kind = *kind;
  e.id = *id;
  const std::size_t key_bytes = *kind == EnrollmentKind::group ? 64 : 32;  // as DPS generates them
  e.primary_key = primary.value_or(random_key_base64(key_bytes));
  e.secondary_key = secondary.value_or(random_key_base64(key_bytes));
  e.iot_hub = hub.value_or("");
  e.device_id = device.value_or("");
  e.status = status.value_or("enabled");
  e.created_ms = now_ms;
  auto inserted = enrollments_.insert(e);
  if (!inserted || !store_.flush())
    return {500, error_body(500001, "the hub could not save the enrollment (" + store_.last_error() + ")")};
  if (!*inserted)
    return {409, error_body(409001, std::string(to_string(e.kind)) + " enrollment '" + e.id + "' already exists")};
  log(std::string(to_string(e.kind)) + " enrollment " + e.id + " created");
  return {200, enrollment_object(e)};
}

DpsEndpoint::Reply DpsEndpoint::on_control(const std::string& op, const json& f, std::int64_t now_ms) {
  if (op == "dps.info") {
    return {200, json{{"idScope", id_scope()},
                      {"globalDeviceEndpoint", this_hub()},
                      {"enrollments", enrollments_.list().size()}}};
  }
  if (op == "dps.enrollment.create") return enrollment_create(f, now_ms);
  if (op == "dps.enrollment.list") {
    json all = json::array();
    for (const auto& e : enrollments_.list()) all.push_back(enrollment_object(e));
    return {200, json{{"idScope", id_scope()}, {"enrollments", all}}};
  }
  if (op == "dps.enrollment.show" || op == "dps.enrollment.delete") {
    std::string error;
    const auto kind = parse_enrollment_kind(optional_string(f, "kind", error).value_or("individual"));
    const auto id = optional_string(f, "id", error);
    if (!kind || !id) return {400, error_body(kDpsError, "fields 'kind' (individual|group) and 'id' are required")};
    const std::string what = std::string(to_string(*kind)) + " enrollment '" + *id + "'";
    if (op == "dps.enrollment.show") {
      auto e = enrollments_.find(*kind, *id);
      if (!e) return {404, error_body(404001, what + " does not exist")};
      return {200, enrollment_object(*e)};
    }
    auto removed = enrollments_.remove(*kind, *id);
    if (!removed || !store_.flush())
      return {500, error_body(500001, "the hub could not delete the enrollment (" + store_.last_error() + ")")};
    if (!*removed) return {404, error_body(404001, what + " does not exist")};
    log(what + " deleted");
    return {200, json{{"deleted", *id}, {"kind", to_string(*kind)}}};
  }
  return {400,
          error_body(kDpsError, "unknown op '" + op + "'; known: dps.info, dps.enrollment.create|list|show|delete")};
}

}  // namespace picohub::hub
