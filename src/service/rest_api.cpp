#include "service/rest_api.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <cctype>
#include <regex>

#include "hub/codec.hpp"
#include "iothub/base64.hpp"
#include "iothub/url_encoding.hpp"

namespace picohub::service {

using nlohmann::json;

namespace {

RestResponse json_response(int status, const json& body) { return {status, body.dump(), {}}; }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The hub's numeric codes (docs/control-protocol.md) as IoT Hub's error names.
std::string error_name(const ControlReply& reply) {
  switch (reply.error_code()) {
    case 404001: return "DeviceNotFound";
    case 404010: return "ModuleNotFound";
    case 409001: return "DeviceAlreadyExists";
    case 404103: return "DeviceNotOnline";
    case 504101: return "GatewayTimeout";
    case 403004: return "DeviceMaximumQueueDepthExceeded";
    case 412002: return "PreconditionFailed";
    default: break;
  }
  if (reply.status == 400) return "ArgumentInvalid";
  if (reply.status == 0) return "ServiceUnavailable";
  return "ServerError";
}

RestResponse from_failure(const ControlReply& reply) {
  if (reply.status == 0)
    return rest_error(503, "ServiceUnavailable", "the hub did not answer: " + reply.transport_error);
  return rest_error(reply.status, error_name(reply), reply.message());
}

// IoT Hub's authentication object: an X.509 device has null keys, a selfSigned one its thumbprints.
json authentication(const json& hub) {
  const auto text_or_null = [&](const char* key) {
    return hub.contains(key) && hub[key].is_string() ? hub[key] : json(nullptr);
  };
  const std::string type = hub.value("authType", "sas");
  const bool sas = type == "sas";
  return {{"symmetricKey",
           {{"primaryKey", sas ? json(hub.value("primaryKey", "")) : json(nullptr)},
            {"secondaryKey", sas ? json(hub.value("secondaryKey", "")) : json(nullptr)}}},
          {"x509Thumbprint",
           {{"primaryThumbprint", text_or_null("primaryThumbprint")},
            {"secondaryThumbprint", text_or_null("secondaryThumbprint")}}},
          {"type", type}};
}

json device_shape(const json& d) {
  const std::string status = d.value("status", "enabled");
  const json last = d.contains("lastActivityTime") && d["lastActivityTime"].is_string() ? d["lastActivityTime"]
                                                                                        : json("0001-01-01T00:00:00Z");
  return {{"deviceId", d.value("deviceId", "")},
          {"generationId", d.value("generationId", "")},
          {"etag", d.value("etag", "")},  // the hub's (hub::content_etag of the writable fields)
          {"connectionState", d.value("connectionState", "Disconnected")},
          {"status", status},
          {"statusReason", nullptr},
          {"connectionStateUpdatedTime", last},
          {"statusUpdatedTime", d.value("createdTime", "0001-01-01T00:00:00Z")},
          {"lastActivityTime", last},
          {"cloudToDeviceMessageCount", d.value("c2dQueueDepth", 0)},
          {"authentication", authentication(d)},
          {"capabilities", {{"iotEdge", false}}}};
}

json module_shape(const json& m) {
  return {{"moduleId", m.value("moduleId", "")},
          {"deviceId", m.value("deviceId", "")},
          {"managedBy", nullptr},
          {"generationId", m.value("generationId", "")},
          {"etag", hub::content_etag(m.value("primaryKey", "") + "|" + m.value("secondaryKey", ""))},
          {"connectionState", m.value("connectionState", "Disconnected")},
          {"connectionStateUpdatedTime", "0001-01-01T00:00:00Z"},
          {"lastActivityTime", "0001-01-01T00:00:00Z"},
          {"cloudToDeviceMessageCount", 0},
          {"authentication", authentication(m)}};
}

json twin_shape(json t, const std::string& module) {
  if (!module.empty()) t["moduleId"] = module;
  if (!t.contains("tags")) t["tags"] = json::object();
  if (!t.contains("authenticationType")) t["authenticationType"] = "sas";  // the hub says; these are fallbacks
  if (!t.contains("status")) t["status"] = "enabled";
  if (!t.contains("etag")) t["etag"] = "AAAAAAAAAAE=";
  return t;
}

bool etag_matches(const std::string& if_match, const std::string& etag) {
  return hub::if_match_accepts(if_match, etag);
}

// Which rights a route needs (IoT Hub's permissions per operation).
unsigned needed_rights(const std::string& method, const std::vector<std::string>& path) {
  if (path.size() >= 3 && path[0] == "twins" && path.back() == "methods") return kServiceConnect;
  if (path.size() >= 3 && path[0] == "devices" && path.back() == "deviceBound") return kServiceConnect;
  if (!path.empty() && path[0] == "messages") return kServiceConnect;
  if (!path.empty() && path[0] == "twins" && method == "PATCH") return kServiceConnect;
  if (method == "GET" || (path.size() == 2 && path[1] == "query")) return kRegistryRead;
  return kRegistryWrite;
}

// IoT Hub's C2D headers over HTTPS: iothub-app-<name> (application properties), iothub-ack,
// iothub-correlationid, iothub-contenttype, iothub-contentencoding.
void add_c2d_headers(const RestRequest& r, json& fields) {
  static const std::pair<const char*, const char*> kNamed[] = {{"iothub-ack", "ack"},
                                                               {"iothub-correlationid", "messageCorrelationId"},
                                                               {"iothub-contenttype", "contentType"},
                                                               {"iothub-contentencoding", "contentEncoding"}};
  json properties = json::object();
  for (const auto& [name, value] : r.headers) {
    if (name.starts_with("iothub-app-") && name.size() > 11) properties[name.substr(11)] = value;
    for (const auto& [header, field] : kNamed) {
      if (name == header) fields[field] = value;
    }
  }
  if (!properties.empty()) fields["properties"] = properties;
}

// GET /messages/serviceBound/feedback: IoT Hub's HTTPS feedback receive. The hub completes the records it
// returns (c2d.feedback), so the lock token's DELETE has nothing left to do.
RestResponse feedback_batch(const ControlReply& reply) {
  if (!reply.ok()) return from_failure(reply);
  const json records = reply.body.value("records", json::array());
  if (records.empty()) return {204, "", {}};
  RestResponse out = json_response(200, records);
  out.headers.emplace_back("ETag", "\"" + std::to_string(records.size()) + "\"");
  return out;
}

}  // namespace

RestResponse rest_error(int status, const std::string& code, const std::string& text) {
  return json_response(status, json{{"Message", "ErrorCode:" + code + ";" + text},
                                    {"ExceptionMessage", "ErrorCode:" + code + ";" + text}});
}

std::optional<DeviceQuery> parse_device_query(const std::string& sql, std::string& why) {
  static const std::regex shape(R"(^\s*select\s+.+?\s+from\s+devices(\.modules)?(?:\s+where\s+(.+?))?\s*$)",
                                std::regex::icase);
  static const std::regex equals(R"(^(?:devices\.)?(?:modules\.)?deviceid\s*=\s*'([^']*)'$)", std::regex::icase);
  static const std::regex in_list(R"(^(?:devices\.)?(?:modules\.)?deviceid\s+in\s*\[(.*)\]$)", std::regex::icase);
  static const std::regex starts(R"(^startswith\s*\(\s*(?:devices\.)?deviceid\s*,\s*'([^']*)'\s*\)$)",
                                 std::regex::icase);
  std::smatch m;
  if (!std::regex_match(sql, m, shape)) {
    why =
        "only SELECT ... FROM devices | devices.modules [WHERE deviceId = 'x' | deviceId IN [...] | "
        "STARTSWITH(devices.deviceId, 'x')] is supported";
    return std::nullopt;
  }
  DeviceQuery q;
  q.modules = m[1].matched;
  if (!m[2].matched) return q;
  const std::string where = m[2].str();
  std::smatch w;
  if (std::regex_match(where, w, equals)) {
    q.ids.push_back(w[1].str());
  } else if (std::regex_match(where, w, in_list)) {
    static const std::regex item(R"('([^']*)')");
    const std::string items = w[1].str();
    for (std::sregex_iterator it(items.begin(), items.end(), item), end; it != end; ++it)
      q.ids.push_back((*it)[1].str());
  } else if (std::regex_match(where, w, starts)) {
    q.prefix = w[1].str();
  } else {
    why = "unsupported WHERE clause '" + where + "'";
    return std::nullopt;
  }
  return q;
}

RestApi::RestApi(std::string host_name, std::vector<SharedAccessPolicy> policies, ControlCall control,
                 std::function<std::uint64_t()> now_unix)
    : host_name_(std::move(host_name)),
      policies_(std::move(policies)),
      call_(std::move(control)),
      now_unix_(std::move(now_unix)) {}

ControlReply RestApi::call(const std::string& op, json fields, double timeout_s) const {
  return call_(op, std::move(fields), timeout_s);
}

RestResponse RestApi::handle(const RestRequest& request) const {
  const std::string raw_path = request.target.substr(0, request.target.find('?'));
  std::string decoded(raw_path.size(), '\0');
  auto path_text = iothub::url_decode(raw_path, decoded);
  if (!path_text) return rest_error(400, "ArgumentInvalid", "the request path has a broken %-escape");
  std::vector<std::string> path;
  std::string segment;
  for (char c : std::string(*path_text) + "/") {
    if (c != '/') {
      segment += c;
    } else if (!segment.empty()) {
      path.push_back(segment);
      segment.clear();
    }
  }
  auto policy = authorize_service_token(request.authorization, host_name_, policies_,
                                        needed_rights(request.method, path), now_unix_());
  if (!policy) return rest_error(401, "IotHubUnauthorizedAccess", std::string("Unauthorized: ") + policy.error().what);
  return dispatch(request, path);
}

RestResponse RestApi::dispatch(const RestRequest& r, const std::vector<std::string>& p) const {
  const std::string& m = r.method;
  const auto n = p.size();
  const auto not_found = [&] { return rest_error(404, "NotFound", "no route for " + m + " " + r.target); };
  if (n == 0) return not_found();
  if (p[0] == "devices") {
    if (n == 1 && m == "GET") {
      auto reply = call("device.list", json::object());
      if (!reply.ok()) return from_failure(reply);
      json out = json::array();
      for (const auto& d : reply.body.value("devices", json::array())) out.push_back(device_shape(d));
      return json_response(200, out);
    }
    if (n == 1 && m == "POST") return bulk(r);
    if (n == 2 && p[1] == "query" && m == "POST") return query(r);
    if (n == 2 && m == "GET") {
      auto reply = call("device.show", {{"deviceId", p[1]}});
      return reply.ok() ? json_response(200, device_shape(reply.body)) : from_failure(reply);
    }
    if (n == 2 && m == "PUT") return put_device(r, p[1]);
    if (n == 2 && m == "DELETE") {
      auto shown = call("device.show", {{"deviceId", p[1]}});
      if (!shown.ok()) return from_failure(shown);
      if (!etag_matches(r.if_match, device_shape(shown.body)["etag"].get<std::string>())) {
        return rest_error(412, "PreconditionFailed", "the If-Match etag does not match device " + p[1]);
      }
      auto reply = call("device.delete", {{"deviceId", p[1]}});
      return reply.ok() ? RestResponse{204, "", {}} : from_failure(reply);
    }
    if (n == 3 && p[2] == "modules" && m == "GET") {
      auto reply = call("module.list", {{"deviceId", p[1]}});
      if (!reply.ok()) return from_failure(reply);
      json out = json::array();
      for (const auto& mod : reply.body.value("modules", json::array())) out.push_back(module_shape(mod));
      return json_response(200, out);
    }
    if (n == 4 && p[2] == "messages" && lower(p[3]) == "devicebound" && m == "POST") return send_c2d(r, p[1]);
    if (n == 4 && p[2] == "modules") {
      const json ids = {{"deviceId", p[1]}, {"moduleId", p[3]}};
      if (m == "GET") {
        auto reply = call("module.show", ids);
        return reply.ok() ? json_response(200, module_shape(reply.body)) : from_failure(reply);
      }
      if (m == "PUT") return put_module(r, p[1], p[3]);
      if (m == "DELETE") {
        auto shown = call("module.show", ids);
        if (!shown.ok()) return from_failure(shown);
        if (!etag_matches(r.if_match, module_shape(shown.body)["etag"].get<std::string>())) {
          return rest_error(412, "PreconditionFailed", "the If-Match etag does not match module " + p[3]);
        }
        auto reply = call("module.delete", ids);
        return reply.ok() ? RestResponse{204, "", {}} : from_failure(reply);
      }
    }
    return not_found();
  }
  if (p[0] == "twins" && n >= 2) {
    const bool module = n >= 4 && p[2] == "modules";
    const std::string module_id = module ? p[3] : "";
    const std::size_t rest = module ? 4 : 2;
    if (n == rest && m == "GET") return get_twin(p[1], module_id);
    if (n == rest && (m == "PATCH" || m == "PUT")) return patch_twin(r, p[1], module_id);
    if (n == rest + 1 && p[rest] == "methods" && m == "POST") return invoke_method(r, p[1], module_id);
    return not_found();
  }
  if (n == 2 && p[0] == "statistics" && p[1] == "devices" && m == "GET") return statistics();
  if (n >= 3 && p[0] == "messages" && lower(p[1]) == "servicebound" && p[2] == "feedback") {
    if (n == 3 && m == "GET") return feedback_batch(call("c2d.feedback", {{"limit", 100}}));
    if (n == 4 && m == "DELETE") return {204, "", {}};
  }
  return not_found();
}

RestResponse RestApi::put_device(const RestRequest& r, const std::string& id) const {
  auto body = json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return rest_error(400, "ArgumentInvalid", "the body is not a JSON object");
  if (body.contains("deviceId") && body["deviceId"] != id) {
    return rest_error(400, "ArgumentInvalid", "deviceId in the body does not match the path");
  }
  const std::string status = body.value("status", "enabled");
  auto shown = call("device.show", {{"deviceId", id}});
  if (shown.status == 0) return from_failure(shown);
  if (shown.ok()) {
    // IoT Hub: replacing an existing device needs If-Match ("*" or its etag).
    if (r.if_match.empty()) return rest_error(409, "DeviceAlreadyExists", "device " + id + " already exists");
    auto updated = call("device.update", {{"deviceId", id}, {"status", status}, {"ifMatch", r.if_match}});
    return updated.ok() ? json_response(200, device_shape(updated.body)) : from_failure(updated);
  }
  json fields = {{"deviceId", id}, {"status", status}};
  const json auth = body.contains("authentication") && body["authentication"].is_object() ? body["authentication"]
                                                                                          : json::object();
  const auto copy_strings = [&](const char* section, std::initializer_list<const char*> names) {
    const json part = auth.contains(section) && auth[section].is_object() ? auth[section] : json::object();
    for (const char* k : names) {
      if (part.contains(k) && part[k].is_string() && !part[k].get<std::string>().empty()) fields[k] = part[k];
    }
  };
  // IoT Hub's types: sas, selfSigned, certificateAuthority (the hub refuses any other with 400).
  const std::string type = auth.contains("type") && auth["type"].is_string() ? auth["type"].get<std::string>() : "sas";
  if (type == "sas") {
    copy_strings("symmetricKey", {"primaryKey", "secondaryKey"});
  } else {
    fields["authType"] = type;
    copy_strings("x509Thumbprint", {"primaryThumbprint", "secondaryThumbprint"});
  }
  auto created = call("device.create", fields);
  return created.ok() ? json_response(200, device_shape(created.body)) : from_failure(created);
}

RestResponse RestApi::put_module(const RestRequest& r, const std::string& id, const std::string& module) const {
  auto body = json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return rest_error(400, "ArgumentInvalid", "the body is not a JSON object");
  const json ids = {{"deviceId", id}, {"moduleId", module}};
  auto shown = call("module.show", ids);
  if (shown.status == 0) return from_failure(shown);
  if (shown.ok()) {
    if (r.if_match.empty())
      return rest_error(409, "ModuleAlreadyExistsOnDevice", "module " + module + " already exists");
    if (!etag_matches(r.if_match, module_shape(shown.body)["etag"].get<std::string>())) {
      return rest_error(412, "PreconditionFailed", "the If-Match etag does not match module " + module);
    }
    return json_response(200, module_shape(shown.body));  // nothing of a module is writable here yet
  }
  auto created = call("module.create", ids);
  return created.ok() ? json_response(201, module_shape(created.body)) : from_failure(created);
}

RestResponse RestApi::get_twin(const std::string& id, const std::string& module) const {
  json fields = {{"deviceId", id}};
  if (!module.empty()) fields["moduleId"] = module;
  auto reply = call("twin.get", fields);
  return reply.ok() ? json_response(200, twin_shape(reply.body, module)) : from_failure(reply);
}

RestResponse RestApi::patch_twin(const RestRequest& r, const std::string& id, const std::string& module) const {
  auto body = json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return rest_error(400, "ArgumentInvalid", "the body is not a JSON object");
  json fields = {{"deviceId", id}};
  if (!module.empty()) fields["moduleId"] = module;
  const json desired = body.contains("properties") && body["properties"].is_object()
                           ? body["properties"].value("desired", json::object())
                           : json::object();
  if (!desired.is_object()) return rest_error(400, "ArgumentInvalid", "properties.desired must be an object");
  const json tags = body.value("tags", json::object());
  if (!tags.is_object()) return rest_error(400, "ArgumentInvalid", "tags must be an object");
  if (desired.empty() && tags.empty()) {  // nothing to write: answer the twin as it is (If-Match still checked)
    auto current = call("twin.get", fields);
    if (!current.ok()) return from_failure(current);
    if (!etag_matches(r.if_match, current.body.value("etag", ""))) {
      return rest_error(412, "PreconditionFailed", "the If-Match etag does not match the twin's etag");
    }
    return json_response(200, twin_shape(current.body, module));
  }
  if (!desired.empty()) fields["desired"] = desired;
  if (!tags.empty()) fields["tags"] = tags;
  fields["ifMatch"] = r.if_match;  // checked by the hub in the same step as the write
  auto reply = call("twin.update", fields);
  return reply.ok() ? json_response(200, twin_shape(reply.body, module)) : from_failure(reply);
}

RestResponse RestApi::invoke_method(const RestRequest& r, const std::string& id, const std::string& module) const {
  auto body = json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("methodName") || !body["methodName"].is_string()) {
    return rest_error(400, "ArgumentInvalid", "the body must be a JSON object with a string methodName");
  }
  int timeout = body.value("responseTimeoutInSeconds", 30);
  timeout = std::clamp(timeout, 5, 300);
  json fields = {{"deviceId", id},
                 {"methodName", body["methodName"]},
                 {"payload", body.value("payload", json(nullptr))},
                 {"responseTimeoutInSeconds", timeout}};
  if (!module.empty()) fields["moduleId"] = module;
  auto reply = call("method.invoke", fields, timeout + 5.0);
  if (!reply.ok()) return from_failure(reply);
  return json_response(
      200, json{{"status", reply.body.value("status", 0)}, {"payload", reply.body.value("payload", json(nullptr))}});
}

RestResponse RestApi::send_c2d(const RestRequest& r, const std::string& id) const {
  std::string encoded(iothub::base64_encoded_size(r.body.size()), '\0');
  auto b64 = iothub::base64_encode(std::span(reinterpret_cast<const std::uint8_t*>(r.body.data()), r.body.size()),
                                   encoded);
  if (!b64) return rest_error(400, "ArgumentInvalid", "the message body cannot be encoded");
  json fields = {{"deviceId", id}, {"payloadBase64", std::string(*b64)}};
  if (!r.message_id.empty()) fields["messageId"] = r.message_id;
  add_c2d_headers(r, fields);
  auto reply = call("c2d.send", fields);
  return reply.ok() ? RestResponse{204, "", {}} : from_failure(reply);
}

RestResponse RestApi::bulk(const RestRequest& r) const {
  auto body = json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_array())
    return rest_error(400, "ArgumentInvalid", "the body must be a JSON array");
  if (body.size() > 100) return rest_error(400, "ArgumentInvalid", "at most 100 devices per bulk request");
  json errors = json::array();
  for (const auto& item : body) {
    const std::string id = item.is_object() ? item.value("id", item.value("deviceId", "")) : "";
    const std::string mode = lower(item.is_object() ? item.value("importMode", "create") : "");
    ControlReply reply;
    if (mode == "create") {
      json fields = {{"deviceId", id}, {"status", item.value("status", "enabled")}};
      reply = call("device.create", fields);
    } else if (mode == "update" || mode == "updateifmatchetag") {
      json fields = {{"deviceId", id}, {"status", item.value("status", "enabled")}};
      if (mode == "updateifmatchetag") fields["ifMatch"] = item.value("eTag", "");
      reply = call("device.update", fields);
    } else if (mode == "delete" || mode == "deleteifmatchetag") {
      reply = call("device.delete", {{"deviceId", id}});
    } else {
      reply.status = 400;
      reply.body = {{"errorCode", 400004}, {"message", "unknown importMode '" + mode + "'"}};
    }
    if (!reply.ok()) {
      errors.push_back({{"deviceId", id}, {"errorCode", error_name(reply)}, {"errorStatus", reply.message()}});
    }
  }
  return json_response(200, json{{"isSuccessful", errors.empty()}, {"errors", errors}, {"warnings", json::array()}});
}

RestResponse RestApi::query(const RestRequest& r) const {
  auto body = json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("query") || !body["query"].is_string()) {
    return rest_error(400, "ArgumentInvalid", "the body must be {\"query\": \"SELECT ...\"}");
  }
  std::string why;
  auto q = parse_device_query(body["query"].get<std::string>(), why);
  if (!q) return rest_error(400, "BadRequest", why);
  auto list = call("device.list", json::object());
  if (!list.ok()) return from_failure(list);
  json items = json::array();
  for (const auto& d : list.body.value("devices", json::array())) {
    const std::string id = d.value("deviceId", "");
    if (!q->ids.empty() && std::find(q->ids.begin(), q->ids.end(), id) == q->ids.end()) continue;
    if (id.compare(0, q->prefix.size(), q->prefix) != 0) continue;
    if (!q->modules) {
      auto twin = call("twin.get", {{"deviceId", id}});
      if (twin.ok()) items.push_back(twin_shape(twin.body, ""));
      continue;
    }
    auto modules = call("module.list", {{"deviceId", id}});
    for (const auto& mod : modules.ok() ? modules.body.value("modules", json::array()) : json::array()) {
      const std::string mid = mod.value("moduleId", "");
      auto twin = call("twin.get", {{"deviceId", id}, {"moduleId", mid}});
      if (twin.ok()) items.push_back(twin_shape(twin.body, mid));
    }
  }
  // Continuation: the index of the next item, as text.
  std::size_t start = 0, page = 100;
  try {
    if (!r.continuation.empty()) start = std::stoul(r.continuation);
    if (!r.max_item_count.empty()) page = std::clamp<std::size_t>(std::stoul(r.max_item_count), 1, 1000);
  } catch (const std::exception&) {
    return rest_error(400, "ArgumentInvalid", "x-ms-continuation and x-ms-max-item-count must be numbers");
  }
  json out = json::array();
  for (std::size_t i = start; i < items.size() && out.size() < page; ++i) out.push_back(items[i]);
  RestResponse response = json_response(200, out);
  response.headers.emplace_back("x-ms-item-type", "Twin");
  if (start + out.size() < items.size())
    response.headers.emplace_back("x-ms-continuation", std::to_string(start + out.size()));
  return response;
}

RestResponse RestApi::statistics() const {
  auto list = call("device.list", json::object());
  if (!list.ok()) return from_failure(list);
  std::size_t total = 0, enabled = 0;
  for (const auto& d : list.body.value("devices", json::array())) {
    ++total;
    if (d.value("status", "") == "enabled") ++enabled;
  }
  return json_response(
      200,
      json{{"totalDeviceCount", total}, {"enabledDeviceCount", enabled}, {"disabledDeviceCount", total - enabled}});
}

}  // namespace picohub::service
