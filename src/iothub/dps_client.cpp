#include "iothub/dps_client.hpp"

#include "common/decimal.hpp"

#include "iothub/dps_topics.hpp"
#include "iothub/sas_token.hpp"
#include "iothub/text_writer.hpp"

namespace picohub::iothub {
namespace {
constexpr const char* invalid_registration_id = "bad registration id (1-128 of A-Z a-z 0-9 - . _ :)";
constexpr const char* too_many_attempts = "DPS did not assign within the allowed attempts";
}  // namespace

const char* describe_dps_connack(mqtt::ConnectReturnCode code) noexcept {
  switch (code) {
    case mqtt::ConnectReturnCode::bad_username_or_password:
    case mqtt::ConnectReturnCode::not_authorized:
      return "DPS refused the registration (CONNACK 4/5): check id scope, registration id, key (a group "
             "enrollment signs with the key derived from the group key), that the enrollment is enabled, the clock";
    case mqtt::ConnectReturnCode::identifier_rejected: return "DPS rejected the client id (CONNACK 2)";
    case mqtt::ConnectReturnCode::server_unavailable: return "DPS is unavailable (CONNACK 3): retry later";
    case mqtt::ConnectReturnCode::unacceptable_protocol_version:
      return "DPS refused MQTT 3.1.1 (CONNACK 1): is this a DPS endpoint?";
    case mqtt::ConnectReturnCode::accepted: return "accepted";
  }
  return "DPS refused: unknown CONNACK code";
}

DpsClient::DpsClient(DpsClientMemory memory, const DpsRegistration& registration, DpsClientOptions options) noexcept
    : memory_(memory), registration_(registration), options_(options), session_(memory.session, options.session) {}

Result<void> DpsClient::connect(std::uint64_t now_ms, std::uint64_t now_unix) {
  if (state_ != DpsClientState::idle)
    return fail(Errc::protocol_violation, "DpsClient::connect() needs on_transport_reset() first");
  if (!is_valid_registration_id(registration_.registration_id))
    return fail(Errc::invalid_argument, invalid_registration_id);
  std::span<char> free = memory_.identity;
  auto username = dps_username(registration_.id_scope, registration_.registration_id, options_.client_version, free);
  if (!username) return tl::unexpected(username.error());
  free = free.subspan(username->size());
  // The topic buffer is free until the first request: the unencoded resource goes there.
  auto resource = dps_resource(registration_.id_scope, registration_.registration_id, memory_.topic);
  if (!resource) return tl::unexpected(resource.error());
  auto token = make_sas_token(
      SasTokenRequest{*resource, registration_.key_base64, now_unix + options_.sas_ttl_s, dps_policy_name}, free);
  if (!token) return tl::unexpected(token.error());

  mqtt::ConnectOptions connect_options;
  connect_options.client_id = registration_.registration_id;
  connect_options.clean_session = true;  // DPS keeps no session
  connect_options.keep_alive_s = options_.keep_alive_s;
  connect_options.username = *username;
  connect_options.password = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(token->data()),
                                                           token->size());
  if (auto r = session_.connect(connect_options, now_ms); !r) return r;
  now_ms_ = now_ms;
  state_ = DpsClientState::connecting;
  attempts_ = 0;
  operation_id_ = {};
  assigned_.reset();
  due_ms_ = mqtt::Session::no_deadline;
  return {};
}

Result<std::size_t> DpsClient::receive(std::span<const std::uint8_t> bytes, std::uint64_t now_ms) {
  now_ms_ = now_ms;
  return session_.receive(bytes, now_ms);
}

std::optional<DpsEvent> DpsClient::poll_event() {
  if (pending_) {
    auto ev = pending_;
    pending_.reset();
    return ev;
  }
  while (auto ev = session_.poll_event()) {
    if (auto out = translate(*ev)) return out;
  }
  return std::nullopt;
}

DpsFailed DpsClient::fail_with(Error error, int http_status) {
  state_ = DpsClientState::failed;
  due_ms_ = mqtt::Session::no_deadline;
  DpsFailed f;
  f.error = error;
  f.http_status = http_status;
  return f;
}

std::optional<DpsEvent> DpsClient::translate(const mqtt::Event& event) {
  if (done()) return std::nullopt;  // a late answer after the outcome changes nothing
  if (std::holds_alternative<mqtt::Connected>(event)) {
    const mqtt::Subscription sub{dps_response_filter, mqtt::QoS::at_least_once};
    auto id = session_.subscribe(std::span<const mqtt::Subscription>(&sub, 1));
    if (!id) return fail_with(id.error());
    subscribe_id_ = *id;
    state_ = DpsClientState::subscribing;
    return DpsConnected{};
  }
  if (auto* r = std::get_if<mqtt::ConnectRefused>(&event)) {
    state_ = DpsClientState::refused;
    return DpsRefused{r->return_code, describe_dps_connack(r->return_code)};
  }
  if (std::holds_alternative<mqtt::ConnectTimedOut>(event))
    return fail_with(Error{Errc::timeout, "no CONNACK from DPS in time"});
  if (std::holds_alternative<mqtt::PingTimedOut>(event)) return fail_with(Error{Errc::timeout, "no PINGRESP from DPS"});
  if (auto* p = std::get_if<mqtt::ProtocolError>(&event)) return fail_with(p->error);
  if (auto* s = std::get_if<mqtt::Subscribed>(&event)) return on_subscribed(*s);
  if (auto* m = std::get_if<mqtt::MessageReceived>(&event)) return on_answer(*m);
  if (std::holds_alternative<mqtt::MessageDropped>(event) && state_ == DpsClientState::requesting)
    return fail_with(Error{Errc::too_large, "DPS answer too large for the buffer"});
  return std::nullopt;  // PublishAcked for our requests, Unsubscribed
}

std::optional<DpsEvent> DpsClient::on_subscribed(const mqtt::Subscribed& s) {
  if (s.packet_id != subscribe_id_ || state_ != DpsClientState::subscribing) return std::nullopt;
  subscribe_id_ = 0;
  if (s.granted.empty() || s.granted[0] == mqtt::suback_failure)
    return fail_with(Error{Errc::protocol_violation, "DPS refused the subscription"});
  return send_request();
}

std::string_view DpsClient::rid_text() noexcept {
  const char* end = write_decimal(rid_buffer_.data(), rid_buffer_.data() + rid_buffer_.size(), rid_);  // 12 > 10 digits
  return std::string_view(rid_buffer_.data(), static_cast<std::size_t>(end - rid_buffer_.data()));
}

// The register request until DPS named an operation, then its status poll. QoS 0: a lost request is covered by
// response_timeout_ms, and a QoS 1 one would be sent again, stale, on the next connection (a new registration).
std::optional<DpsEvent> DpsClient::send_request() {
  if (attempts_ >= options_.max_attempts) return fail_with(Error{Errc::timeout, too_many_attempts});
  ++rid_;
  const std::string_view rid = rid_text();
  Result<std::string_view> topic = operation_id_.empty() ? dps_register_topic(rid, memory_.topic)
                                                         : dps_poll_topic(rid, operation_id_, memory_.topic);
  if (!topic) return fail_with(topic.error());
  std::string_view body;
  if (operation_id_.empty()) {
    TextWriter w{memory_.body};
    w.text("{\"registrationId\":\"");
    w.text(registration_.registration_id);  // validated: nothing to escape
    w.text("\"");
    if (!registration_.payload_json.empty()) {
      w.text(",\"payload\":");
      w.text(registration_.payload_json);
    }
    w.text("}");
    auto text = w.result("DPS request too large for the buffer");
    if (!text) return fail_with(text.error());
    body = *text;
  }
  auto sent = session_.publish(
      *topic, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()),
      mqtt::QoS::at_most_once, false, now_ms_);
  if (!sent) return fail_with(sent.error());
  ++attempts_;
  state_ = DpsClientState::requesting;
  due_ms_ = now_ms_ + options_.response_timeout_ms;
  return std::nullopt;
}

std::optional<DpsEvent> DpsClient::schedule_retry(int status, std::optional<std::uint32_t> retry_after_s) {
  std::uint32_t wait = retry_after_s.value_or(options_.default_retry_after_s);
  if (wait < options_.min_retry_after_s) wait = options_.min_retry_after_s;
  if (wait > options_.max_retry_after_s) wait = options_.max_retry_after_s;
  if (attempts_ >= options_.max_attempts) return fail_with(Error{Errc::timeout, too_many_attempts}, status);
  state_ = DpsClientState::waiting;
  due_ms_ = now_ms_ + std::uint64_t{wait} * 1000;
  return DpsAssigning{operation_id_, wait, attempts_, status};
}

std::optional<DpsEvent> DpsClient::on_answer(const mqtt::MessageReceived& m) {
  auto topic = parse_dps_response_topic(m.topic);
  if (!topic || state_ != DpsClientState::requesting || topic->rid != rid_text()) return std::nullopt;
  const std::string_view body(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
  auto parsed = parse_dps_response(body, memory_.result);
  const int status = topic->status;
  if (status == 429 || status >= 500) return schedule_retry(status, topic->retry_after_s);
  if (!parsed) {
    DpsFailed f = fail_with(Error{Errc::malformed, "DPS answer is not a JSON object"}, status);
    return f;
  }
  if (status == 202 || (status == 200 && parsed->status == DpsStatus::assigning)) {
    if (!parsed->operation_id.empty()) {
      if (parsed->operation_id.size() > memory_.operation.size())
        return fail_with(Error{Errc::too_large, "DPS operation id too long"}, status);
      std::copy(parsed->operation_id.begin(), parsed->operation_id.end(), memory_.operation.begin());
      operation_id_ = std::string_view(memory_.operation.data(), parsed->operation_id.size());
    }
    if (operation_id_.empty()) return fail_with(Error{Errc::malformed, "DPS 202 without operationId"}, status);
    return schedule_retry(status, topic->retry_after_s);
  }
  if (status == 200 && parsed->status == DpsStatus::assigned) {
    if (parsed->assigned_hub.empty() || parsed->device_id.empty())
      return fail_with(Error{Errc::malformed, "DPS assigned no assignedHub/deviceId"}, status);
    state_ = DpsClientState::assigned;
    due_ms_ = mqtt::Session::no_deadline;
    assigned_ = DpsAssigned{parsed->assigned_hub, parsed->device_id, parsed->substatus};
    return *assigned_;
  }
  DpsFailed f = fail_with(Error{Errc::auth_refused, status == 200 ? "DPS did not assign the device"
                                                                  : "DPS refused the registration request"},
                          status);
  if (status == 200 && parsed->status == DpsStatus::unknown)
    f.error = Error{Errc::malformed, "DPS 200 with an unknown status"};
  f.status = parsed->status;
  f.error_code = parsed->error_code;
  f.message = parsed->error_message;
  return f;
}

void DpsClient::on_time(std::uint64_t now_ms) {
  now_ms_ = now_ms;
  session_.on_time(now_ms);
  if (pending_ || now_ms < due_ms_) return;
  if (state_ == DpsClientState::waiting) {
    if (session_.connected()) pending_ = send_request();
  } else if (state_ == DpsClientState::requesting) {
    pending_ = fail_with(Error{Errc::timeout, "no answer from DPS in time"});
  }
}

std::uint64_t DpsClient::next_deadline_ms() const noexcept {
  const std::uint64_t session = session_.next_deadline_ms();
  const bool timed = state_ == DpsClientState::waiting || state_ == DpsClientState::requesting;
  return timed && due_ms_ < session ? due_ms_ : session;
}

void DpsClient::on_transport_reset() noexcept {
  session_.on_transport_reset();
  if (state_ != DpsClientState::assigned) state_ = DpsClientState::idle;  // the outcome outlives its connection
  due_ms_ = mqtt::Session::no_deadline;
  subscribe_id_ = 0;
  pending_.reset();
}

void DpsClient::forget_assignment() noexcept {
  on_transport_reset();
  state_ = DpsClientState::idle;
  assigned_.reset();
}

}  // namespace picohub::iothub
