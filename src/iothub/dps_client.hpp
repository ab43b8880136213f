// iothub::DpsClient: registers a device with the Device Provisioning Service over MQTT (symmetric key,
// individual or group enrollment), sans-I/O on top of mqtt::Session, same pump shape as DeviceClient: write
// pending_output(), feed receive(), drain poll_event(), call on_time(), sleep until next_deadline_ms().
//
//   connect()        CONNECT as {registrationId}, user name {idScope}/registrations/{id}/api-version=...,
//                    password = SAS over {idScope}/registrations/{id} with skn=registration (clean session)
//   on CONNACK       SUBSCRIBE $dps/registrations/res/#
//   on SUBACK        PUBLISH (QoS 0) $dps/registrations/PUT/iotdps-register/?$rid=N  {"registrationId":..}
//   202              DpsAssigning; after retry-after seconds (default 2, clamped) GET the operation status
//   200 assigned     DpsAssigned{assigned hub, device id}: disconnect, then connect to that hub as that device
//                    with the same key (the derived key for a group enrollment)
//   failed, 4xx      DpsFailed with DPS's error code and message; 429 / 5xx are retried after retry-after
// Attempts (register, polls, retries) are bounded by max_attempts; an answer that does not come within
// response_timeout_ms fails the registration. Reference iothub-mqtt.md §8.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

#include "common/error.hpp"
#include "iothub/dps_response.hpp"
#include "iothub/username.hpp"
#include "mqtt/session.hpp"

namespace picohub::iothub {

inline constexpr std::string_view dps_global_endpoint = "global.azure-devices-provisioning.net";

struct DpsRegistration {
  std::string_view id_scope{};         // e.g. 0ne00012345
  std::string_view registration_id{};  // also the MQTT client id
  std::string_view key_base64{};       // the enrollment's key, or derive_device_key(group key, registration id)
  std::string_view payload_json{};     // optional custom allocation payload (a JSON value), sent as "payload"
};

struct DpsClientOptions {
  std::uint16_t keep_alive_s = 120;
  std::uint32_t sas_ttl_s = 3600;
  std::uint32_t default_retry_after_s = 2;  // when an answer carries no retry-after (as the Node SDK does)
  std::uint32_t min_retry_after_s = 1;      // a retry-after of 0 would poll in a busy loop
  std::uint32_t max_retry_after_s = 60;     // a huge retry-after would look like a hang
  std::uint16_t max_attempts = 20;          // register + status polls + retries, then give up
  std::uint32_t response_timeout_ms = 30'000;
  std::string_view client_version = default_client_type;  // ClientVersion in the user name; empty = none
  mqtt::SessionOptions session{};
};

// Caller-owned memory: identity holds client id + user name + password (~400 bytes), topic and body one request,
// operation the operation id between polls, result the strings of the final answer (assigned hub, device id,
// error message).
struct DpsClientMemory {
  mqtt::SessionMemory session;
  std::span<char> identity;
  std::span<char> topic;
  std::span<char> body;
  std::span<char> operation;
  std::span<char> result;
};

template <std::size_t TxBytes = 1024, std::size_t RxBytes = 1536, std::size_t IdentityBytes = 640,
          std::size_t BodyBytes = 512>
struct StaticDpsClientMemory {
  mqtt::StaticSessionMemory<TxBytes, RxBytes, 1, 64> session;  // requests go at QoS 0: no in-flight window
  std::array<char, IdentityBytes> identity{};
  std::array<char, 256> topic{};
  std::array<char, BodyBytes> body{};
  std::array<char, 128> operation{};
  std::array<char, 512> result{};
  DpsClientMemory view() noexcept { return {session.view(), identity, topic, body, operation, result}; }
};

// ---- events (views stay valid until the next connect(); result strings live in DpsClientMemory::result) ----
struct DpsConnected {};
struct DpsRefused {
  mqtt::ConnectReturnCode code = mqtt::ConnectReturnCode::accepted;
  const char* message = "";  // what to check (static storage)
};
struct DpsAssigning {
  std::string_view operation_id;
  std::uint32_t retry_after_s = 0;  // the wait before the next request, after clamping
  std::uint16_t attempt = 0;        // requests sent so far
  int status = 202;                 // 202, or the 429 / 5xx being retried
};
struct DpsAssigned {
  std::string_view assigned_hub;  // host name (a local hub may add ":port")
  std::string_view device_id;
  std::string_view substatus;  // initialAssignment, deviceDataMigrated, ...
};
struct DpsFailed {
  Error error;          // what went wrong, in words
  int http_status = 0;  // DPS's status, 0 when the failure was local (timeout, lost connection)
  DpsStatus status = DpsStatus::unknown;
  std::int64_t error_code = 0;  // DPS's errorCode (e.g. 401002), 0 when none
  std::string_view message;     // DPS's own message, may be empty
};
using DpsEvent = std::variant<DpsConnected, DpsRefused, DpsAssigning, DpsAssigned, DpsFailed>;

enum class DpsClientState : std::uint8_t {
  idle,         // before connect() or after on_transport_reset()
  connecting,   // CONNECT queued
  subscribing,  // waiting for the SUBACK
  requesting,   // a register or status request waits for its answer
  waiting,      // retry-after: the next request is due at next_deadline_ms()
  assigned,     // done: result in the DpsAssigned event (and assigned())
  failed,       // done: DpsFailed said why
  refused,      // CONNACK refused the credentials
};

// A sentence for a refused CONNACK from DPS (static storage).
const char* describe_dps_connack(mqtt::ConnectReturnCode code) noexcept;

class DpsClient {
 public:
  // The registration's text must outlive the client.
  DpsClient(DpsClientMemory memory, const DpsRegistration& registration, DpsClientOptions options = {}) noexcept;
  DpsClient(const DpsClient&) = delete;
  DpsClient& operator=(const DpsClient&) = delete;

  // Signs a token (se = now_unix + sas_ttl_s) and queues CONNECT. Errors: protocol_violation (not idle),
  // invalid_argument (bad scope, id or key), too_large (identity memory), crypto_failure.
  Result<void> connect(std::uint64_t now_ms, std::uint64_t now_unix);

  Result<std::size_t> receive(std::span<const std::uint8_t> bytes, std::uint64_t now_ms);
  std::optional<DpsEvent> poll_event();
  std::span<const std::uint8_t> pending_output() const noexcept { return session_.pending_output(); }
  void consume_output(std::size_t n) noexcept { session_.consume_output(n); }
  void on_time(std::uint64_t now_ms);
  std::uint64_t next_deadline_ms() const noexcept;
  void on_transport_reset() noexcept;
  // The assigned hub disowned the device: back to idle, the assignment forgotten, ready to connect() and register
  // again.
  void forget_assignment() noexcept;
  void disconnect() { session_.disconnect(); }  // once done: queue DISCONNECT, close after the output is written

  DpsClientState state() const noexcept { return state_; }
  bool done() const noexcept {
    return state_ == DpsClientState::assigned || state_ == DpsClientState::failed || state_ == DpsClientState::refused;
  }
  const std::optional<DpsAssigned>& assigned() const noexcept { return assigned_; }
  std::uint16_t attempts() const noexcept { return attempts_; }
  mqtt::Session& session() noexcept { return session_; }

 private:
  std::optional<DpsEvent> translate(const mqtt::Event& event);
  std::optional<DpsEvent> on_subscribed(const mqtt::Subscribed& s);
  std::optional<DpsEvent> on_answer(const mqtt::MessageReceived& m);
  std::optional<DpsEvent> schedule_retry(int status, std::optional<std::uint32_t> retry_after_s);
  std::optional<DpsEvent> send_request();
  DpsFailed fail_with(Error error, int http_status = 0);
  std::string_view rid_text() noexcept;

  DpsClientMemory memory_;
  DpsRegistration registration_;
  DpsClientOptions options_;
  mqtt::Session session_;
  DpsClientState state_ = DpsClientState::idle;
  std::uint16_t subscribe_id_ = 0;
  std::uint32_t rid_ = 0;
  std::array<char, 12> rid_buffer_{};
  std::uint16_t attempts_ = 0;
  std::string_view operation_id_{};  // in memory_.operation, empty until the first 202
  std::uint64_t now_ms_ = 0;
  std::uint64_t due_ms_ = mqtt::Session::no_deadline;  // waiting: next request; requesting: answer timeout
  std::optional<DpsAssigned> assigned_;
  std::optional<DpsEvent> pending_;
};

}  // namespace picohub::iothub
