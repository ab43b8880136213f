#include "iothub/device_client.hpp"

#include <array>

#include "iothub/json_scan.hpp"
#include "iothub/sas_token.hpp"
#include "iothub/text_writer.hpp"
#include "iothub/url_encoding.hpp"

namespace picohub::iothub {
namespace {
constexpr const char* kSubscriptionRefused =
    "the hub refused a subscription (C2D, twin or methods): check the device id";
}  // namespace

const char* describe_connack(mqtt::ConnectReturnCode code) noexcept {
  switch (code) {
    case mqtt::ConnectReturnCode::accepted: return "accepted";
    case mqtt::ConnectReturnCode::unacceptable_protocol_version:
      return "hub refused MQTT 3.1.1 (CONNACK 1): is this an IoT Hub MQTT port (8883)?";
    case mqtt::ConnectReturnCode::identifier_rejected:
      return "hub rejected the client id (CONNACK 2): it must be the DeviceId";
    case mqtt::ConnectReturnCode::server_unavailable:
      return "hub is unavailable (CONNACK 3): retry later with back-off";
    case mqtt::ConnectReturnCode::bad_username_or_password:
      return "hub refused the user name or password (CONNACK 4): check HostName and DeviceId";
    case mqtt::ConnectReturnCode::not_authorized:
      return "hub refused the credentials (CONNACK 5): check SharedAccessKey, that the device exists and is "
             "enabled, and the clock (SAS expiry)";
  }
  return "hub refused the connection (unknown CONNACK code)";
}

const char* describe_connack(mqtt::ConnectReturnCode code, bool x509) noexcept {
  if (!x509 || code != mqtt::ConnectReturnCode::not_authorized) return describe_connack(code);
  return "the hub refused the certificate (CONNACK 5): check its registered thumbprint (SHA-1/SHA-256) or CA "
         "(subject CN = DeviceId), its validity dates, and that the device exists and is enabled";
}

DeviceClient::DeviceClient(DeviceClientMemory memory, const ConnectionString& identity,
                           DeviceClientOptions options) noexcept
    : memory_(memory), identity_(identity), options_(options), session_(memory.session, options.session) {}

Result<void> DeviceClient::connect(std::uint64_t now_ms, std::uint64_t now_unix) {
  if (state_ != DeviceClientState::idle)
    return fail(Errc::protocol_violation, "DeviceClient::connect() before on_transport_reset()");
  std::span<char> free = memory_.identity;
  auto client_id = mqtt_client_id(identity_.device_id, identity_.module_id, free);
  if (!client_id) return tl::unexpected(client_id.error());
  free = free.subspan(client_id->size());
  auto username = mqtt_username(UsernameOptions{identity_.host_name, identity_.device_id, identity_.module_id,
                                                options_.client_type, options_.model_id, hub_api_version},
                                free);
  if (!username) return tl::unexpected(username.error());
  free = free.subspan(username->size());
  auto filter = c2d_subscribe_filter(identity_.device_id, free);
  if (!filter) return tl::unexpected(filter.error());
  free = free.subspan(filter->size());
  c2d_filter_ = *filter;

  std::optional<std::string_view> password;
  renew_at_ms_ = mqtt::Session::no_deadline;
  renew_at_unix_ = UINT64_MAX;
  if (!identity_.shared_access_key.empty()) {
    // The topic buffer is free between publishes: use it for the unencoded resource.
    auto resource = device_resource(identity_.host_name, identity_.device_id, identity_.module_id, memory_.topic);
    if (!resource) return tl::unexpected(resource.error());
    const SasRenewal renewal{now_unix, options_.sas_ttl_s};
    auto token = make_sas_token(SasTokenRequest{*resource, identity_.shared_access_key, renewal.expiry_unix(),
                                                identity_.shared_access_key_name},
                                free);
    if (!token) return tl::unexpected(token.error());
    password = *token;
    token_expiry_unix_ = renewal.expiry_unix();
    renew_at_ms_ = now_ms + std::uint64_t{renewal.renew_after_s()} * 1000;
    renew_at_unix_ = renewal.renew_at_unix();
  } else if (!identity_.shared_access_signature.empty()) {
    // parse_connection_string read its expiry (the board, which takes key connection strings only, never parses
    // a token: that keeps the SAS parser out of its image).
    if (identity_.signature_expiry_unix <= now_unix)
      return fail(Errc::auth_refused,
                  "the connection string's SharedAccessSignature has expired: make a new one (picohub sas-token)");
    password = identity_.shared_access_signature;
    token_expiry_unix_ = identity_.signature_expiry_unix;
  }
  // x509: no password; the TLS layer presents the client certificate.

  mqtt::ConnectOptions connect_options;
  connect_options.client_id = *client_id;
  connect_options.clean_session = options_.clean_session;
  connect_options.keep_alive_s = options_.keep_alive_s;
  connect_options.username = *username;
  if (password)
    connect_options.password = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(password->data()),
                                                             password->size());
  auto r = session_.connect(connect_options, now_ms);
  if (!r) return r;
  state_ = DeviceClientState::connecting;
  return {};
}

Result<std::size_t> DeviceClient::receive(std::span<const std::uint8_t> bytes, std::uint64_t now_ms) {
  now_ms_ = now_ms;
  return session_.receive(bytes, now_ms);
}

std::optional<DeviceEvent> DeviceClient::poll_event() {
  if (pending_) {
    auto ev = *pending_;
    pending_.reset();
    return ev;
  }
  while (auto ev = session_.poll_event()) {
    if (auto out = translate(*ev)) return out;
  }
  return std::nullopt;
}

std::optional<DeviceEvent> DeviceClient::translate(const mqtt::Event& event) {
  if (auto* c = std::get_if<mqtt::Connected>(&event)) {
    (void)on_connected();
    return Connected{c->session_present};
  }
  if (auto* r = std::get_if<mqtt::ConnectRefused>(&event)) {
    state_ = DeviceClientState::refused;
    renew_at_ms_ = mqtt::Session::no_deadline;
    return ConnectRefused{r->return_code, describe_connack(r->return_code),
                          r->return_code == mqtt::ConnectReturnCode::server_unavailable};
  }
  if (std::holds_alternative<mqtt::ConnectTimedOut>(event)) {
    state_ = DeviceClientState::failed;
    return ConnectionLost{Error{Errc::timeout, "no CONNACK from the hub in time: check the host name and port"},
                          ConnectionLost::Cause::connack_timeout};
  }
  if (std::holds_alternative<mqtt::PingTimedOut>(event)) {
    state_ = DeviceClientState::failed;
    return ConnectionLost{Error{Errc::timeout, "the hub stopped answering keep-alive pings: reconnect"},
                          ConnectionLost::Cause::keep_alive_timeout};
  }
  if (auto* p = std::get_if<mqtt::ProtocolError>(&event)) {
    state_ = DeviceClientState::failed;
    return ConnectionLost{p->error};
  }
  if (auto* m = std::get_if<mqtt::MessageReceived>(&event)) return translate_message(*m);
  if (auto* a = std::get_if<mqtt::PublishAcked>(&event)) return TelemetryAcked{a->packet_id};
  if (auto* d = std::get_if<mqtt::MessageDropped>(&event)) {
    // Twin answers come at QoS 0; C2D at QoS 1. A QoS 0 message too large while the GET waits is its answer.
    if (d->packet_id == 0) {
      if (auto rid = twin_requests_.close_first(TwinRequestKind::get)) {
        TwinDocument doc;
        doc.request_id = *rid;
        doc.too_large = true;
        doc.size = d->size;
        doc.capacity = memory_.session.rx.size();
        return doc;
      }
    }
    return MessageDropped{d->size, d->packet_id, memory_.session.rx.size()};
  }
  if (auto* s = std::get_if<mqtt::Subscribed>(&event)) return on_subscribed(*s);
  return std::nullopt;  // Unsubscribed: nothing the application asked for
}

// One SUBSCRIBE for everything enabled, C2D first (its SUBACK code becomes C2dSubscribed).
std::optional<DeviceEvent> DeviceClient::on_connected() {
  state_ = DeviceClientState::ready;
  std::array<mqtt::Subscription, 4> subs{};
  std::size_t n = 0;
  c2d_in_subscribe_ = options_.subscribe_c2d && identity_.module_id.empty();
  if (c2d_in_subscribe_) subs[n++] = mqtt::Subscription{c2d_filter_, options_.c2d_qos};
  if (options_.twin) {
    subs[n++] = mqtt::Subscription{twin_response_filter, mqtt::QoS::at_most_once};
    subs[n++] = mqtt::Subscription{twin_desired_filter, mqtt::QoS::at_most_once};
  }
  if (options_.methods) subs[n++] = mqtt::Subscription{methods_filter, mqtt::QoS::at_most_once};
  if (n == 0) return std::nullopt;
  auto id = session_.subscribe(std::span<const mqtt::Subscription>(subs.data(), n));
  if (!id) {
    state_ = DeviceClientState::failed;
    pending_ = ConnectionLost{id.error()};
    return std::nullopt;
  }
  c2d_subscribe_id_ = *id;
  state_ = DeviceClientState::subscribing;
  return std::nullopt;
}

std::optional<DeviceEvent> DeviceClient::on_subscribed(const mqtt::Subscribed& s) {
  if (s.packet_id != c2d_subscribe_id_ || c2d_subscribe_id_ == 0) return std::nullopt;
  c2d_subscribe_id_ = 0;
  bool refused = s.granted.empty();
  for (const std::uint8_t code : s.granted) refused = refused || code == mqtt::suback_failure;
  if (refused) {
    state_ = DeviceClientState::failed;
    return ConnectionLost{Error{Errc::protocol_violation, kSubscriptionRefused},
                          ConnectionLost::Cause::subscription_refused};
  }
  if (state_ == DeviceClientState::subscribing) state_ = DeviceClientState::ready;
  // Subscribed to desired patches first, then GET: no patch falls between the document and the subscription.
  if (options_.twin) {
    twin_requests_.clear();
    if (auto r = request_twin(now_ms_); !r) {
      state_ = DeviceClientState::failed;
      pending_ = ConnectionLost{r.error()};
    }
  }
  if (!c2d_in_subscribe_) return std::nullopt;
  return C2dSubscribed{s.granted[0]};
}

std::optional<DeviceEvent> DeviceClient::translate_message(const mqtt::MessageReceived& m) {
  const HubPublish hub = classify_hub_publish(m.topic, identity_.device_id, identity_.module_id);
  switch (hub.kind) {
    case HubPublishKind::c2d: return decode_c2d(m, hub.bag);
    case HubPublishKind::twin_response:
      if (options_.twin) return on_twin_response(m, hub);
      break;
    case HubPublishKind::twin_desired:
      if (options_.twin) return on_desired_patch(m, hub);
      break;
    case HubPublishKind::method_request:
      if (options_.methods) return on_method(m, hub);
      break;
    default: break;
  }
  return OtherMessage{m.topic, m.payload};
}

std::optional<DeviceEvent> DeviceClient::on_twin_response(const mqtt::MessageReceived& m, const HubPublish& hub) {
  std::uint32_t rid = 0;
  switch (twin_requests_.close(hub.rid, rid)) {
    case TwinRequestKind::get: {
      TwinDocument doc{hub.status, m.payload, 0, rid};
      const std::string_view body(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
      if (auto desired = json_member(body, "desired"))
        if (auto version = json_member(*desired, "$version"))
          if (auto v = json_integer(*version); v && *v > 0) doc.desired_version = static_cast<std::uint64_t>(*v);
      if (hub.status == 200) desired_version_ = doc.desired_version;
      return doc;
    }
    case TwinRequestKind::reported: return ReportedAcked{rid, hub.status, hub.version, m.payload};
    case TwinRequestKind::none: break;
  }
  return std::nullopt;  // an answer to a request from before a reconnect, or someone else's
}

std::optional<DeviceEvent> DeviceClient::on_desired_patch(const mqtt::MessageReceived& m, const HubPublish& hub) {
  const std::uint64_t version = hub.version.value_or(0);
  if (version <= desired_version_) {
    ++ignored_patches_;  // already in the document the GET returned (or an old patch)
    return std::nullopt;
  }
  desired_version_ = version;
  return DesiredPatch{m.payload, version};
}

namespace {

// {"message":"method 'NAME' is not implemented by this device"}; names that would need JSON escapes are left out.
std::size_t unknown_method_body(std::string_view name, std::span<char> out) noexcept {
  bool plain = name.size() <= 64;
  for (char c : name) plain = plain && c >= ' ' && c != '"' && c != '\\' && c < 0x7f;
  TextWriter w{out};
  w.text("{\"message\":\"method ");
  if (plain) {
    w.text("'");
    w.text(name);
    w.text("' ");
  }
  w.text("is not implemented by this device\"}");
  return w.overflow ? 0 : w.n;
}

}  // namespace

MethodCalled DeviceClient::on_method(const mqtt::MessageReceived& m, const HubPublish& hub) {
  MethodCalled called{hub.name, m.payload, 404, {}, false};
  const std::span<char> out = memory_.method_response;
  std::size_t size = 0;
  const Method* method = nullptr;
  for (const Method& entry : methods_)
    if (entry.name == hub.name && entry.function != nullptr) method = &entry;
  if (method != nullptr) {
    const MethodResult result = method->function(method->context, m.payload, out);
    called.status = result.status;
    size = result.size;
    if (size > out.size()) {  // the handler overran its buffer's size: do not send what it claims
      called.status = 500;
      size = 0;
    }
  } else {
    size = unknown_method_body(hub.name, out);
  }
  called.response = std::string_view(out.data(), size);
  auto topic = method_response_topic(called.status, hub.rid, memory_.topic);
  if (!topic) return called;
  const auto body = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(out.data()), size);
  called.sent = session_.publish(*topic, body, mqtt::QoS::at_most_once, false, now_ms_).has_value();
  return called;
}

Result<std::uint32_t> DeviceClient::twin_request(TwinRequestKind kind, std::string_view body, std::uint64_t now_ms) {
  if (!options_.twin) return fail(Errc::protocol_violation, "the twin is not enabled");
  if (state_ != DeviceClientState::ready) return fail(Errc::not_connected, "the twin needs a ready connection");
  auto rid = twin_requests_.open(kind);
  if (!rid) return fail(Errc::buffer_full, "too many twin requests in flight: try again later");
  std::array<char, 10> rid_buffer{};
  const std::string_view rid_text = TwinRequests::rid_text(*rid, rid_buffer);
  auto topic = kind == TwinRequestKind::get ? twin_get_topic(rid_text, memory_.topic)
                                            : twin_patch_reported_topic(rid_text, memory_.topic);
  Result<std::uint16_t> sent = topic ? session_.publish(
                                           *topic,
                                           std::span<const std::uint8_t>(
                                               reinterpret_cast<const std::uint8_t*>(body.data()), body.size()),
                                           mqtt::QoS::at_most_once, false, now_ms)
                                     : Result<std::uint16_t>(tl::unexpected(topic.error()));
  if (!sent) {
    std::uint32_t closed = 0;
    (void)twin_requests_.close(rid_text, closed);
    return tl::unexpected(sent.error());
  }
  return *rid;
}

Result<std::uint32_t> DeviceClient::report(std::string_view json_patch, std::uint64_t now_ms) {
  return twin_request(TwinRequestKind::reported, json_patch, now_ms);
}

Result<std::uint32_t> DeviceClient::request_twin(std::uint64_t now_ms) {
  return twin_request(TwinRequestKind::get, {}, now_ms);
}

C2dMessage DeviceClient::decode_c2d(const mqtt::MessageReceived& m, std::string_view bag) {
  C2dMessage msg;
  msg.payload = m.payload;
  msg.topic = m.topic;
  msg.bag = bag;
  std::span<char> text = memory_.properties;
  std::size_t count = 0;
  PropertyBagReader reader(bag);
  while (auto p = reader.next()) {
    auto key = decode_key(*p, text);
    if (!key) {
      msg.properties_truncated = true;
      continue;
    }
    std::span<char> after_key = text.subspan(key->size());
    auto value = decode_value(*p, after_key);
    if (!value) {
      msg.properties_truncated = true;
      continue;
    }
    std::string_view* system = nullptr;
    if (*key == "$.mid") system = &msg.message_id;
    else if (*key == "$.cid") system = &msg.correlation_id;
    else if (*key == "$.ct") system = &msg.content_type;
    else if (*key == "$.ce") system = &msg.content_encoding;
    if (system != nullptr) {
      *system = *value;
      text = after_key.subspan(value->size());
      continue;
    }
    if (count == memory_.property_slots.size()) {
      msg.properties_truncated = true;
      continue;
    }
    memory_.property_slots[count++] = KeyValue{*key, *value, !p->has_value};
    text = after_key.subspan(value->size());
  }
  msg.properties = std::span<const KeyValue>(memory_.property_slots.data(), count);
  return msg;
}

Result<std::uint16_t> DeviceClient::send_telemetry(std::span<const std::uint8_t> payload,
                                                   const MessageProperties& properties, mqtt::QoS qos,
                                                   std::uint64_t now_ms) {
  if (state_ == DeviceClientState::refused)
    return fail(Errc::auth_refused, "the hub refused the credentials: fix them before sending telemetry");
  if (!telemetry_topic_) {  // the ids are checked once; every topic built from them is valid by construction
    auto builder = TelemetryTopicBuilder::make(identity_.device_id, identity_.module_id);
    if (!builder) return tl::unexpected(builder.error());
    telemetry_topic_ = *builder;
  }
  auto topic = telemetry_topic_->build(properties, memory_.topic);
  if (!topic) return tl::unexpected(topic.error());
  return session_.publish(*topic, payload, qos, false, now_ms);
}

void DeviceClient::on_time(std::uint64_t now_ms, std::uint64_t now_unix) {
  now_ms_ = now_ms;
  session_.on_time(now_ms);
  const bool up = state_ == DeviceClientState::ready || state_ == DeviceClientState::subscribing;
  if (up && (now_ms >= renew_at_ms_ || now_unix >= renew_at_unix_)) {
    // A polite DISCONNECT, then the pump reconnects with a fresh token.
    session_.disconnect();
    state_ = DeviceClientState::renewal_due;
    renew_at_ms_ = mqtt::Session::no_deadline;
    renew_at_unix_ = UINT64_MAX;
    pending_ = RenewalDue{};
  }
}

std::uint64_t DeviceClient::next_deadline_ms() const noexcept {
  const std::uint64_t session_deadline = session_.next_deadline_ms();
  const bool up = state_ == DeviceClientState::ready || state_ == DeviceClientState::subscribing;
  if (!up) return session_deadline;
  return renew_at_ms_ < session_deadline ? renew_at_ms_ : session_deadline;
}

void DeviceClient::on_transport_reset() noexcept {
  session_.on_transport_reset();
  state_ = DeviceClientState::idle;
  renew_at_ms_ = mqtt::Session::no_deadline;
  renew_at_unix_ = UINT64_MAX;
  c2d_subscribe_id_ = 0;
  twin_requests_.clear();
  pending_.reset();
}

void DeviceClient::disconnect() {
  session_.disconnect();
  renew_at_ms_ = mqtt::Session::no_deadline;
  renew_at_unix_ = UINT64_MAX;
}

}  // namespace picohub::iothub
