#include "service/amqp/control_hub_port.hpp"

#include "hub/codec.hpp"
#include "service/service_auth.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace picohub::service::amqp {

using nlohmann::json;

namespace {
constexpr double k_request_timeout_s = 10.0;

std::optional<std::string> string_field(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

TelemetryEvent to_event(const json& e) {
  TelemetryEvent out;
  out.sequence = e.value("sequence", std::uint64_t{0});
  out.device_id = e.value("deviceId", std::string{});
  out.module_id = string_field(e, "moduleId").value_or("");
  out.enqueued_time = e.value("enqueuedTime", std::string{});
  if (auto b64 = string_field(e, "bodyBase64")) out.body = hub::base64_decode(*b64).value_or("");
  if (auto it = e.find("systemProperties"); it != e.end() && it->is_object()) {
    for (auto& [k, v] : it->items())
      if (v.is_string()) out.system_properties[k] = v.get<std::string>();
  }
  if (auto it = e.find("properties"); it != e.end() && it->is_object()) {
    for (auto& [k, v] : it->items())
      out.properties[k] = v.is_string() ? std::optional<std::string>(v.get<std::string>()) : std::nullopt;
  }
  return out;
}

std::int64_t parse_iso_ms(const std::string& iso) {  // "2026-11-25T01:02:03.456Z"
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}
}  // namespace

ControlHubPort::ControlHubPort(hub::HubConfig config, ControlCall control)
    : config_(std::move(config)), control_(std::move(control)) {}

HubResult<json> ControlHubPort::request(const std::string& op, json fields) {
  const ControlReply reply = control_(op, std::move(fields), k_request_timeout_s);
  if (reply.ok()) return reply.body;
  if (reply.status == 0) return tl::unexpected(HubRefusal{503, 503000, "the hub is not reachable: " + reply.message()});
  return tl::unexpected(HubRefusal{reply.status, reply.error_code(), reply.message()});
}

std::string ControlHubPort::host_name() const { return config_.host_name; }

// The audience a client put a token for, as the host name authorize_service_token checks the token's sr against:
// IoT Hub audiences are the host ("localhost", "localhost:5671" when the client was given a port), Event Hub ones
// "sb://host[:port]/<entity>/..." (the token's sr then starts with "sb://host[:port]/"). The host must be the hub's.
std::optional<std::string> ControlHubPort::checked_host(std::string_view audience) const {
  std::string_view scheme;
  if (audience.substr(0, 5) == "sb://") {
    scheme = audience.substr(0, 5);
    audience.remove_prefix(5);
    audience = audience.substr(0, audience.find('/'));
  }
  const auto host = audience.substr(0, audience.find(':'));
  const auto& mine = config_.host_name;
  if (host.size() != mine.size() || !std::equal(host.begin(), host.end(), mine.begin(),
                                                [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
    return std::nullopt;
  return std::string(scheme) + std::string(audience);
}

HubResult<void> ControlHubPort::authorize(std::string_view sas_token, std::string_view audience, unsigned needed) {
  const auto host = checked_host(audience);
  if (!host) {
    return tl::unexpected(HubRefusal{
        401, 401002, "the audience '" + std::string(audience) + "' is not this hub (" + config_.host_name + ")"});
  }
  auto policies = hub::shared_access_policies(config_);
  if (host->rfind("sb://", 0) == 0) {
    // Event Hubs (Service Bus) clients sign with the key's text as the HMAC key, not its base64-decoded bytes
    // (as the Event Hub-compatible endpoint of IoT Hub accepts): hand the checker keys that decode to that text.
    for (auto& p : policies) {
      p.primary_key = hub::base64_encode(p.primary_key);
      p.secondary_key = hub::base64_encode(p.secondary_key);
    }
  }
  const auto now = static_cast<std::uint64_t>(std::time(nullptr));
  auto ok = service::authorize_service_token(sas_token, *host, policies, needed, now);
  if (!ok) return tl::unexpected(HubRefusal{401, 401002, ok.error().what});
  return {};
}

HubResult<C2dAccepted> ControlHubPort::send_c2d(const C2dRequest& r) {
  json fields = {{"deviceId", r.device_id}, {"payloadBase64", hub::base64_encode(r.payload)}, {"ack", r.ack}};
  if (r.message_id) fields["messageId"] = *r.message_id;
  if (r.correlation_id) fields["messageCorrelationId"] = *r.correlation_id;
  if (r.content_type) fields["contentType"] = *r.content_type;
  if (r.content_encoding) fields["contentEncoding"] = *r.content_encoding;
  if (r.ttl_seconds) fields["ttlSeconds"] = *r.ttl_seconds;
  if (!r.properties.empty()) fields["properties"] = r.properties;
  auto body = request("c2d.send", std::move(fields));
  if (!body) return tl::unexpected(body.error());
  return C2dAccepted{body->value("messageId", std::string{}), body->value("queueDepth", std::int64_t{0})};
}

HubResult<std::vector<FeedbackRecord>> ControlHubPort::take_feedback(std::size_t limit) {
  auto body = request("c2d.feedback", json{{"limit", limit}});
  if (!body) return tl::unexpected(body.error());
  std::vector<FeedbackRecord> out;
  for (auto& r : body->value("records", json::array())) {
    out.push_back({r.value("originalMessageId", ""), r.value("deviceId", ""), r.value("statusCode", ""),
                   r.value("description", ""), r.value("enqueuedTimeUtc", "")});
  }
  return out;
}

HubResult<TelemetryPage> ControlHubPort::telemetry_after(std::uint64_t after, std::int64_t since_ms,
                                                         std::size_t limit) {
  json query = {{"afterSequence", after}, {"sinceMs", since_ms}, {"limit", limit}};
  auto body = request("telemetry.query", std::move(query));
  if (!body) return tl::unexpected(body.error());
  TelemetryPage page;
  for (auto& e : body->value("messages", json::array())) {
    page.events.push_back(to_event(e));
    page.events.back().enqueued_ms = parse_iso_ms(page.events.back().enqueued_time);
  }
  return page;
}

HubResult<TelemetryStats> ControlHubPort::telemetry_stats() {
  TelemetryStats stats;
  auto first = telemetry_after(0, 0, 1);
  if (!first) return tl::unexpected(first.error());
  if (first->events.empty()) return stats;
  auto last = request("telemetry.query", json{{"limit", 1}});  // without afterSequence: the newest
  if (!last) return tl::unexpected(last.error());
  auto messages = last->value("messages", json::array());
  if (messages.empty()) return stats;
  const auto newest = to_event(messages.front());
  stats.empty = false;
  stats.first_sequence = first->events.front().sequence;
  stats.last_sequence = newest.sequence;
  stats.last_enqueued_ms = parse_iso_ms(newest.enqueued_time);
  return stats;
}

}  // namespace picohub::service::amqp
