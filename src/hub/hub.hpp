// picohub::hub::Hub: IoT Hub's device-facing behaviour as plain C++ over a Store and a BrokerPort. The
// mosquitto plugin forwards its events here; tests drive it directly with a fake port and fake time.
// Single-threaded: every call comes from the broker thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/version.hpp"
#include "hub/acl.hpp"
#include "hub/auth.hpp"
#include "hub/config.hpp"
#include "hub/dps.hpp"
#include "hub/log_limiter.hpp"
#include "hub/store.hpp"
#include "iothub/topics.hpp"

namespace picohub::hub {

using ConnId = const void*;  // mosquitto's `struct mosquitto*`: one per network connection

enum class LogLevel { info, notice, warning, error };
enum class Access { read, write, subscribe, unsubscribe };
// drop → the plugin returns MOSQ_ERR_ACL_DENIED (a QoS 1 sender still gets its PUBACK: the hub handled it);
// refuse → the plugin returns an error, mosquitto closes the connection before it writes the PUBACK: for a message
// over IoT Hub's limits, or one that could not be made durable (the device sends it again after it reconnects).
// hold → handled like drop, but the PUBACK waits for sync_held() (fsync mode with a broker that holds acks).
enum class MessageVerdict { forward, drop, refuse, hold };

// What the hub needs from the broker. Calls are only made from inside Hub's on_* methods.
class BrokerPort {
 public:
  virtual ~BrokerPort() = default;
  // client_id empty → to every (authorised) subscriber; otherwise to that client only.
  virtual void publish(const std::string& client_id, const std::string& topic, const std::string& payload, int qos) = 0;
  virtual void kick(const std::string& client_id) = 0;  // only ever called from on_tick
  virtual void log(LogLevel level, const std::string& line) = 0;
};

struct HubOptions {
  std::int64_t telemetry_keep = 100000;  // newest telemetry rows kept in state.db
  RetentionPolicy retention;             // and none older / beyond this size (hub.json "retention")
  int log_lines_per_second = 5;          // per client; the rest is summarised as "suppressed N"
  std::string version{picohub::version};
  std::int64_t c2d_max_delivery_count = 10;  // IoT Hub's maxDeliveryCount default; then dead-lettered
  std::int64_t c2d_lock_ms = 60000;          // IoT Hub's fixed lock (visibility) timeout: 1 minute
};

inline constexpr int kMaxSubscriptions = 5;
inline constexpr std::int64_t kC2dMaxQueue = 50;
inline constexpr std::size_t kC2dMaxPayload = 65536;
inline constexpr std::int64_t kC2dDefaultTtlSeconds = 3600;
inline constexpr std::string_view kControlTopic = "$CONTROL/picohub/v1";
inline constexpr std::string_view kResponseTopic = "$picohub/v1/response";
inline constexpr std::string_view kTelemetryTopicPrefix = "$picohub/v1/telemetry/";

class Hub {
 public:
  Hub(HubConfig config, Store& store, BrokerPort& port, HubOptions options = {});
  ~Hub();  // writes pending lastActivityTime values
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // true = accept (CONNACK 0), false = MOSQ_ERR_AUTH (CONNACK 5).
  // client_cert_der: the TLS client certificate (DER), empty if none (X.509 devices, docs/x509.md).
  bool on_basic_auth(ConnId conn, std::string_view client_id, std::string_view username, std::string_view password,
                     bool clean_session, std::int64_t now_ms, std::string_view client_cert_der = {});
  // true = allowed. A device's violation is denied and its connection is closed on the next tick.
  bool on_acl_check(ConnId conn, Access access, std::string_view topic, int qos, bool retain);
  // True once the hub has decided to disconnect this connection (a forbidden publish or subscribe): the plugin
  // then makes the broker close it at once, before it answers with a PUBACK or SUBACK (IoT Hub acks neither).
  bool disconnect_pending(ConnId conn) const;
  MessageVerdict on_message(ConnId conn, std::string_view topic, std::string_view payload, int qos, bool retain,
                            std::int64_t now_ms);
  void on_control(ConnId conn, std::string_view client_id, std::string_view payload, std::int64_t now_ms);
  void on_disconnect(ConnId conn, std::int64_t now_ms);
  // The device acknowledged (PUBACK) an outgoing QoS 1 message on `topic` (patched broker event): a C2D message
  // it names is completed and leaves the queue. Other topics are ignored.
  void on_puback(ConnId conn, std::string_view topic, std::int64_t now_ms);
  // The broker is about to publish a client's Will (after that connection's on_disconnect). true = the hub took
  // it (a device's Will on its telemetry topic becomes telemetry with iothub-MessageType=Will): the broker must
  // not route it. false = let the broker handle it as usual.
  bool on_will(ConnId conn, std::string_view topic, std::string_view payload, bool retain, std::int64_t now_ms);
  void on_tick(std::int64_t now_ms);
  // Once per broker loop iteration while PUBACKs are held: one fdatasync for every message of the iteration.
  // true = they are durable, the broker may send the PUBACKs; false = it must close those connections unanswered.
  bool sync_held();

  // Introspection (tests, hub.info)
  bool is_connected(const std::string& device_id) const;
  std::uint8_t subscription_flags(const std::string& client_id) const;
  std::size_t pending_method_count() const { return methods_.size(); }
  std::size_t connection_count() const { return conns_.size(); }
  // C2D messages handed to the device and waiting for its PUBACK (locked, as IoT Hub calls it).
  std::size_t c2d_in_flight(const std::string& device_id) const;
  // true while some service client holds a subscription that may match $picohub/v1/telemetry/{deviceId}.
  bool telemetry_watched() const { return !telemetry_watchers_.empty(); }

 private:
  struct Activity {  // a device's lastActivityTime not yet written to the store
    std::int64_t ms = 0;
    bool dirty = false;
  };
  struct Connection {
    std::string client_id;
    Principal principal = Principal::device;
    std::string device_id;
    std::string module_id;
    std::string model_id;       // Plug and Play model the identity announced at CONNECT
    std::string generation_id;  // stamped on its telemetry as iothub-connection-auth-generation-id
    std::int64_t expiry_s = 0;
    bool clean_session = true;
    bool kick_pending = false;
    Activity* activity = nullptr;  // devices: its entry in activity_ (stable: entries are never erased)
  };
  // The ACL check of a device PUBLISH and its MESSAGE event come in pairs (mosquitto's handle__publish): the check
  // keeps its connection look-up and topic classification here for the MESSAGE that follows.
  struct CheckedPublish {
    ConnId conn = nullptr;
    Connection* connection = nullptr;
    std::string topic;  // a copy: the classification's views are offsets into it
    iothub::DevicePublish publish;
  };
  struct Session {  // per client id; outlives connections when clean_session=0 (as mosquitto's session does)
    std::set<std::string> filters;
    std::uint8_t flags = 0;
    int c2d_qos = 1;  // IoT Hub sends C2D at the QoS granted to the C2D subscription (0 or 1)
  };
  struct C2dLock {  // a C2D delivered at QoS 1 and not yet acknowledged
    std::string message_id;
    std::int64_t until_ms = 0;  // then it is delivered again (IoT Hub's lock timeout)
  };
  struct PendingMethod {
    std::string identity;  // "device" or "device/module": only that identity's answer completes the call
    std::string service_client_id;
    std::string correlation_id;
    std::int64_t deadline_ms = 0;
  };

  void schedule_kick(ConnId conn, const std::string& why);
  void kick_device(const std::string& device_id, const std::string& why);
  const Connection* current_device_connection(const std::string& device_id) const;
  void deliver_c2d(const std::string& device_id, std::int64_t now_ms);
  bool complete_c2d(const std::string& device_id, const std::string& message_id, std::string_view topic_bag,
                    std::int64_t now_ms);
  // Records the outcome when the message's iothub-ack asked for it (positive: Success; negative: failures).
  void c2d_feedback(const std::string& device_id, const std::string& message_id, std::string_view topic_bag,
                    const char* status, const char* description, std::int64_t now_ms);
  void release_c2d_locks(const Connection& c);
  void scan_c2d_locks(std::int64_t now_ms);
  void restore_session(const Connection& c);
  void persist_session(const Connection& c);
  bool handle_telemetry(const Connection& c, const ClassifiedPublish& p, std::string_view payload, bool retain,
                        std::int64_t now_ms);
  void handle_reported_patch(const Connection& c, const ClassifiedPublish& p, std::string_view payload,
                             std::int64_t now_ms);
  void handle_method_response(const Connection& c, const ClassifiedPublish& p, std::string_view payload);
  void respond(const std::string& client_id, const std::string& correlation_id, int status, const nlohmann::json& body);
  void respond_error(const std::string& client_id, const std::string& correlation_id, int status, int error_code,
                     const std::string& message);
  nlohmann::json device_object(const DeviceRecord& d);
  // The twin as the service sees it, with the device's status, auth type and connection state (as IoT Hub).
  nlohmann::json twin_object(const TwinRecord& twin);
  void log(LogLevel level, const std::string& text) { port_.log(level, "picohub: " + text); }
  // A line about one client, rate-limited per client id.
  void log_client(const std::string& client_id, LogLevel level, const std::string& text);
  void remember_model_id(const Connection& c);
  // Commits now (before a reply or PUBACK says it happened); logs and returns false when the commit failed.
  bool commit(const std::string& what);
  void store_failed(const std::string& what);
  template <class T>
  bool stored(const Result<T>& r, const std::string& what) {
    if (!r) store_failed(what);
    return r.has_value();
  }
  // The service's answer when a change could not be committed (500; nothing was acknowledged).
  void respond_store_error(const std::string& client, const std::string& cid);
  void flush_activity();
  void touch(const std::string& device_id, std::int64_t now_ms);
  static void mark_active(const Connection& c, std::int64_t now_ms);
  // The connection and classification of a device PUBLISH: the ACL check's, or looked up again.
  Connection* publishing_connection(ConnId conn, std::string_view topic, ClassifiedPublish& out);

  // control ops; each answers the service itself
  void op_device_create(const std::string& client, const std::string& cid, const nlohmann::json& f,
                        std::int64_t now_ms);
  void op_device_update(const std::string& client, const std::string& cid, const nlohmann::json& f);
  void op_device_delete(const std::string& client, const std::string& cid, const nlohmann::json& f);
  void op_module(const std::string& op, const std::string& client, const std::string& cid, const nlohmann::json& f,
                 std::int64_t now_ms);
  // ca.add | ca.list | ca.delete: the CA certificates CA-signed devices chain to (hub_ca_ops.cpp).
  void op_ca(const std::string& op, const std::string& client, const std::string& cid, const nlohmann::json& f,
             std::int64_t now_ms);
  // The twin/method target named by deviceId [+ moduleId]: its identity key, or an error already answered.
  std::optional<std::string> target_identity(const std::string& client, const std::string& cid,
                                             const nlohmann::json& f);
  void op_c2d_send(const std::string& client, const std::string& cid, const nlohmann::json& f, std::int64_t now_ms);
  void op_method_invoke(const std::string& client, const std::string& cid, const nlohmann::json& f,
                        std::int64_t now_ms);
  void op_twin_update(const std::string& client, const std::string& cid, const nlohmann::json& f, std::int64_t now_ms);
  void op_c2d_feedback(const std::string& client, const std::string& cid, const nlohmann::json& f);
  void op_telemetry_query(const std::string& client, const std::string& cid, const nlohmann::json& f);

  HubConfig config_;
  Store& store_;
  BrokerPort& port_;
  HubOptions options_;
  std::unordered_map<ConnId, Connection> conns_;
  std::map<std::string, ConnId> current_;              // client id → its newest authenticated connection
  std::map<std::string, Session> sessions_;            // client id → subscriptions
  std::vector<std::pair<ConnId, std::string>> kicks_;  // deferred to on_tick
  // (SAS token expiry in s, connection), soonest first: the tick's expiry scan touches only expired tokens.
  std::set<std::pair<std::int64_t, ConnId>> expiries_;
  std::map<std::string, PendingMethod> methods_;                      // by $rid
  std::set<std::string> c2d_dirty_;                                   // devices whose queue may be deliverable now
  std::map<std::string, std::map<std::int64_t, C2dLock>> c2d_locks_;  // device → seq → lock
  // Connections closed in this broker loop iteration: a Will is published right after the DISCONNECT event.
  std::unordered_map<ConnId, Connection> departed_;
  std::unordered_map<std::string, Activity> activity_;  // device id → lastActivityTime (written in batches)
  CheckedPublish checked_;
  // service client id → its subscriptions that may match live telemetry; empty map = nobody to publish to
  std::map<std::string, std::set<std::string>> telemetry_watchers_;
  std::string event_text_;  // what state.db keeps of a telemetry event (reused: one per message on the hot path)
  std::string live_event_;  // the whole event, while a service client watches telemetry
  std::uint64_t next_rid_ = 1;
  std::int64_t last_expiry_sweep_ms_ = 0;
  std::int64_t last_token_scan_ms_ = 0;
  std::int64_t last_activity_flush_ms_ = 0;
  std::int64_t last_lock_scan_ms_ = 0;
  std::int64_t last_retention_ms_ = 0;
  std::int64_t last_fold_retry_ms_ = 0;
  std::int64_t last_batch_commit_ms_ = 0;
  static constexpr std::int64_t kBatchCommitMs = 100;
  std::int64_t now_ms_ = 0;  // the newest time any event brought (for events that carry none)
  LogLimiter log_limiter_;
  DpsEndpoint dps_;  // $dps/registrations/... on the same port (src/hub/dps.hpp)
};

}  // namespace picohub::hub
