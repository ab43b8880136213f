// iothub::DeviceClient: the IoT Hub device protocol on top of mqtt::Session, sans-I/O. It is fed bytes and
// time (monotonic ms for scheduling, unix seconds for SAS expiry) and hands back bytes to write and events.
//
//   connect()          builds client id, username and the SAS password (from SharedAccessKey and now_unix,
//                      or the connection string's SharedAccessSignature) and queues CONNECT
//   on CONNACK         subscribes to devices/{id}/messages/devicebound/# (QoS 1 by default)
//   send_telemetry()   publishes to devices/{id}/messages/events/{props}; QoS 1 returns the packet id and a
//                      TelemetryAcked event follows the PUBACK
//   C2D                C2dMessage events with payload and decoded properties
//   SAS renewal        MQTT 3.1.1 cannot refresh a password in place: when renewal is due (80 % of the token
//                      life, at least 60 s before expiry) the client queues DISCONNECT and raises RenewalDue;
//                      the I/O pump writes the output, closes the transport, calls on_transport_reset(),
//                      opens a new transport and calls connect() again (a fresh token is signed then)
//   refused CONNACK    ConnectRefused with a sentence that says what to check
//
// Pump (same shape as mqtt::Session's): write pending_output(), feed receive(), drain poll_event(), call
// on_time(), sleep until next_deadline_ms().
//
// Twin (options.twin) and direct methods (options.methods), reference §5-§6:
//   on CONNACK         one SUBSCRIBE: C2D, $iothub/twin/res/#, $iothub/twin/PATCH/properties/desired/#,
//                      $iothub/methods/POST/# (the ones enabled); after its SUBACK, GET the full twin
//   TwinDocument       the GET's answer; its desired $version becomes the baseline: a DesiredPatch with a $version
//                      <= the newest one seen is ignored (counted in ignored_patches())
//   report(json)       PATCHes reported properties; ReportedAcked (status, new version) follows, matched by $rid.
//                      At most max_twin_requests requests wait for answers; more are refused (buffer_full)
//   methods            set_methods() takes a table name -> handler; a request runs its handler at once, the
//                      answer goes to $iothub/methods/res/{status}/?$rid= at QoS 0, MethodCalled tells the app.
//                      An unknown name answers 404 {"message":"..."}
//   too large          a QoS 0 message larger than the receive buffer while the GET waits is taken as its answer:
//                      TwinDocument{too_large} (the GET is not repeated: no loop); otherwise MessageDropped
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

#include "common/error.hpp"
#include "iothub/connection_string.hpp"
#include "iothub/telemetry_topic_builder.hpp"
#include "iothub/topics.hpp"
#include "iothub/twin_requests.hpp"
#include "mqtt/session.hpp"

namespace picohub::iothub {

// ---- events (views stay valid until the next receive() or poll_event()) ----
struct Connected {
  bool session_present = false;
};
struct ConnectRefused {
  mqtt::ConnectReturnCode code = mqtt::ConnectReturnCode::accepted;
  const char* message = "";  // what to check (static storage)
  bool retryable = false;    // only "server unavailable" is worth retrying with the same credentials
};
struct C2dSubscribed {
  std::uint8_t granted_qos = 0;
};
struct TelemetryAcked {
  std::uint16_t packet_id = 0;
};
struct C2dMessage {
  std::span<const std::uint8_t> payload;
  std::string_view topic;
  std::string_view bag;                  // raw encoded property bag
  std::string_view message_id;           // $.mid, decoded (empty if absent)
  std::string_view correlation_id;       // $.cid
  std::string_view content_type;         // $.ct
  std::string_view content_encoding;     // $.ce
  std::span<const KeyValue> properties;  // every other property, decoded ($.to, iothub-ack, application ones)
  bool properties_truncated = false;     // more properties than DeviceClientMemory holds, or a bad %XX escape
};
struct OtherMessage {  // twin / method / anything else from the hub, as received
  std::string_view topic;
  std::span<const std::uint8_t> payload;
};
// The answer to the twin GET. status 200: payload is {"desired":{..,"$version":N},"reported":{..}}.
struct TwinDocument {
  int status = 0;                         // 0 when too_large
  std::span<const std::uint8_t> payload;  // the properties (or the hub's error body)
  std::uint64_t desired_version = 0;      // desired.$version (0 if absent)
  std::uint32_t request_id = 0;
  bool too_large = false;  // did not fit the receive buffer: size / capacity say by how much
  std::uint32_t size = 0;
  std::size_t capacity = 0;
};
// A desired-property patch newer than anything seen: {"prop":..,"$version":N} (null deletes a property).
struct DesiredPatch {
  std::span<const std::uint8_t> payload;
  std::uint64_t version = 0;
};
// The hub's answer to report(): 204 with the new reported $version on success, 400/429/5xx otherwise.
struct ReportedAcked {
  std::uint32_t request_id = 0;
  int status = 0;
  std::optional<std::uint64_t> version;
  std::span<const std::uint8_t> payload;  // the hub's error body, if any
};
// A direct method was answered (by its handler, or 404 for an unknown name).
struct MethodCalled {
  std::string_view name;
  std::span<const std::uint8_t> request;
  int status = 0;
  std::string_view response;
  bool sent = false;  // false: the answer did not fit the output buffer (the caller times out)
};
struct RenewalDue {};    // the SAS token needs renewing: close the transport once output is written, reconnect
struct ConnectionLost {  // protocol error, PINGRESP or CONNACK timeout, refused subscription
  enum class Cause : std::uint8_t { protocol, connack_timeout, keep_alive_timeout, subscription_refused };
  Error error;
  Cause cause = Cause::protocol;
};
// A message larger than the receive buffer arrived: it was skipped (and acknowledged, when QoS 1, so the hub does
// not redeliver it forever). The connection goes on.
struct MessageDropped {
  std::uint32_t size = 0;       // the whole MQTT packet, bytes
  std::uint16_t packet_id = 0;  // 0 for QoS 0
  std::size_t capacity = 0;     // the receive buffer it did not fit
};

using DeviceEvent =
    std::variant<Connected, ConnectRefused, C2dSubscribed, TelemetryAcked, C2dMessage, OtherMessage, RenewalDue,
                 ConnectionLost, MessageDropped, TwinDocument, DesiredPatch, ReportedAcked, MethodCalled>;

// ---- direct methods ----
// A handler writes its JSON answer (or nothing) into `response` and says how much it wrote and the status.
// It runs inside poll_event(), must not block, and must not call back into the client.
struct MethodResult {
  int status = 200;
  std::size_t size = 0;  // bytes written to `response`; more than response.size() answers 500
};
using MethodFunction = MethodResult (*)(void* context, std::span<const std::uint8_t> request,
                                        std::span<char> response) noexcept;
struct Method {
  std::string_view name;
  MethodFunction function = nullptr;
  void* context = nullptr;
};

// A sentence for each refused CONNACK code (static storage).
const char* describe_connack(mqtt::ConnectReturnCode code) noexcept;
// The same, for a device that authenticates with an X.509 certificate (CONNACK 5 then means the certificate).
const char* describe_connack(mqtt::ConnectReturnCode code, bool x509) noexcept;

struct DeviceClientOptions {
  std::uint16_t keep_alive_s = 240;  // IoT Hub's useful maximum is 1177
  std::uint32_t sas_ttl_s = 3600;    // lifetime of generated tokens
  bool clean_session = false;        // IoT Hub SDKs keep the session (queued C2D flows on reconnect)
  bool subscribe_c2d = true;
  mqtt::QoS c2d_qos = mqtt::QoS::at_least_once;
  std::string_view client_type = default_client_type;  // DeviceClientType in the username
  std::string_view model_id{};                         // IoT Plug and Play model id (DTMI); empty = none
  bool twin = false;     // subscribe to twin answers and desired patches, GET the twin after each connect
  bool methods = false;  // subscribe to direct methods (answered from the set_methods() table)
  mqtt::SessionOptions session{};
};

// Caller-owned memory. identity holds client id + username + password + C2D filter (rebuilt on each
// connect; ~1 KiB is plenty), topic one telemetry topic with its property bag, properties the decoded C2D
// property text, property_slots the decoded C2D properties, method_response one direct method's answer.
struct DeviceClientMemory {
  mqtt::SessionMemory session;
  std::span<char> identity;
  std::span<char> topic;
  std::span<char> properties;
  std::span<KeyValue> property_slots;
  std::span<char> method_response{};
};

template <std::size_t TxBytes = 2048, std::size_t RxBytes = 2048, std::size_t Window = 8,
          std::size_t MaxPublishBytes = 1024, std::size_t IdentityBytes = 1024, std::size_t TopicBytes = 512,
          std::size_t PropertyBytes = 512, std::size_t PropertySlots = 16, std::size_t MethodResponseBytes = 512>
struct StaticDeviceClientMemory {
  mqtt::StaticSessionMemory<TxBytes, RxBytes, Window, MaxPublishBytes> session;
  std::array<char, IdentityBytes> identity{};
  std::array<char, TopicBytes> topic{};
  std::array<char, PropertyBytes> properties{};
  std::array<KeyValue, PropertySlots> property_slots{};
  std::array<char, MethodResponseBytes> method_response{};
  DeviceClientMemory view() noexcept {
    return {session.view(), identity, topic, properties, property_slots, method_response};
  }
};

enum class DeviceClientState : std::uint8_t {
  idle,         // no transport: before connect() or after on_transport_reset()
  connecting,   // CONNECT queued, waiting for CONNACK
  subscribing,  // connected, waiting for the C2D SUBACK
  ready,        // connected (and subscribed)
  renewal_due,  // DISCONNECT queued for a token renewal: close the transport and reconnect
  refused,      // CONNACK refused: fix the credentials (or retry later for "server unavailable")
  failed,       // the connection is unusable: reset the transport and reconnect with back-off
};

class DeviceClient {
 public:
  // `identity` is kept by reference-to-views: the connection string text must outlive the client.
  DeviceClient(DeviceClientMemory memory, const ConnectionString& identity, DeviceClientOptions options = {}) noexcept;
  DeviceClient(const DeviceClient&) = delete;
  DeviceClient& operator=(const DeviceClient&) = delete;

  // Call once a transport is open. Signs a fresh token from SharedAccessKey (se = now_unix + sas_ttl_s),
  // or uses the connection string's SharedAccessSignature as is, and queues CONNECT.
  // Errors: protocol_violation (not idle), invalid_argument/too_large (identity does not fit), crypto_failure,
  // auth_refused (the connection string's SharedAccessSignature has already expired at now_unix: retrying
  // cannot help, a new one is needed).
  Result<void> connect(std::uint64_t now_ms, std::uint64_t now_unix);

  Result<std::size_t> receive(std::span<const std::uint8_t> bytes, std::uint64_t now_ms);
  std::optional<DeviceEvent> poll_event();
  std::span<const std::uint8_t> pending_output() const noexcept { return session_.pending_output(); }
  void consume_output(std::size_t n) noexcept { session_.consume_output(n); }

  // Publishes telemetry. QoS 1 returns the packet id (TelemetryAcked follows) and may be called while
  // (re)connecting: it is sent once connected. QoS 0 needs a connection and returns 0. Between RenewalDue and
  // on_transport_reset() the session is disconnecting and refuses new publishes (not_connected): retry after
  // the reconnect. Errc::auth_refused after a refused CONNACK.
  Result<std::uint16_t> send_telemetry(std::span<const std::uint8_t> payload, const MessageProperties& properties,
                                       mqtt::QoS qos, std::uint64_t now_ms);

  // Twin (options.twin, state ready). report() PATCHes reported properties with `json_patch` (a JSON object)
  // and returns the request id ReportedAcked will carry; request_twin() GETs the whole twin again (TwinDocument
  // follows). Errors: not_connected, buffer_full (max_twin_requests outstanding, or no output room: retry
  // later), too_large, protocol_violation (twin not enabled).
  Result<std::uint32_t> report(std::string_view json_patch, std::uint64_t now_ms);
  Result<std::uint32_t> request_twin(std::uint64_t now_ms);
  std::uint64_t desired_version() const noexcept { return desired_version_; }
  std::uint32_t ignored_patches() const noexcept { return ignored_patches_; }
  std::size_t twin_requests_outstanding() const noexcept { return twin_requests_.outstanding(); }

  // Direct methods (options.methods): the table must outlive the client (or the next set_methods()).
  void set_methods(std::span<const Method> table) noexcept { methods_ = table; }

  // Keep-alive and timeouts (mqtt::Session) plus the SAS renewal deadline.
  void on_time(std::uint64_t now_ms, std::uint64_t now_unix);
  std::uint64_t next_deadline_ms() const noexcept;

  // The transport closed (or the pump closed it after RenewalDue / ConnectionLost). State -> idle; unacked
  // QoS 1 telemetry is sent again after the next connect.
  void on_transport_reset() noexcept;
  // Queues DISCONNECT; close the transport once pending_output() is empty.
  void disconnect();

  DeviceClientState state() const noexcept { return state_; }
  std::uint64_t token_expiry_unix() const noexcept { return token_expiry_unix_; }
  std::uint64_t renewal_deadline_ms() const noexcept { return renew_at_ms_; }
  const ConnectionString& identity() const noexcept { return identity_; }
  // A new identity for the next connect() (DPS assigned the hub and the device id). Only while idle.
  void set_identity(const ConnectionString& identity) noexcept {
    if (state_ == DeviceClientState::idle) identity_ = identity;
  }
  mqtt::Session& session() noexcept { return session_; }  // for twin/method subscriptions until they land here

 private:
  std::optional<DeviceEvent> translate(const mqtt::Event& event);
  std::optional<DeviceEvent> translate_message(const mqtt::MessageReceived& m);
  std::optional<DeviceEvent> on_connected();
  std::optional<DeviceEvent> on_subscribed(const mqtt::Subscribed& s);
  std::optional<DeviceEvent> on_twin_response(const mqtt::MessageReceived& m, const HubPublish& hub);
  std::optional<DeviceEvent> on_desired_patch(const mqtt::MessageReceived& m, const HubPublish& hub);
  MethodCalled on_method(const mqtt::MessageReceived& m, const HubPublish& hub);
  Result<std::uint32_t> twin_request(TwinRequestKind kind, std::string_view body, std::uint64_t now_ms);
  C2dMessage decode_c2d(const mqtt::MessageReceived& m, std::string_view bag);

  DeviceClientMemory memory_;
  ConnectionString identity_;
  DeviceClientOptions options_;
  mqtt::Session session_;
  DeviceClientState state_ = DeviceClientState::idle;
  std::string_view c2d_filter_;
  std::uint16_t c2d_subscribe_id_ = 0;  // the one SUBSCRIBE (C2D and/or twin and methods)
  bool c2d_in_subscribe_ = false;       // its first filter is the C2D one
  TwinRequests twin_requests_;
  std::uint64_t desired_version_ = 0;
  std::uint32_t ignored_patches_ = 0;
  std::uint64_t now_ms_ = 0;  // the latest time fed in (twin GET after the SUBACK)
  std::span<const Method> methods_{};
  std::uint64_t renew_at_ms_ = mqtt::Session::no_deadline;
  std::uint64_t renew_at_unix_ = UINT64_MAX;
  std::uint64_t token_expiry_unix_ = 0;
  std::optional<DeviceEvent> pending_;                    // an event raised by the client itself (RenewalDue)
  std::optional<TelemetryTopicBuilder> telemetry_topic_;  // made on the first send_telemetry()
};

}  // namespace picohub::iothub
