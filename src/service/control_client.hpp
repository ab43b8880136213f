// The hub's control protocol (docs/control-protocol.md) as a library, the project's only client of it: a TLS MQTT
// client with the iothubowner policy that sends control ops to the broker plugin and waits for the matching
// response. Used by the CLI's service verbs (apps/cli/service_call.hpp phrases its failures for the terminal), the
// gateway's REST API and its AMQP endpoint (both through one ControlPool). Synchronous, every call bounded by a
// timeout; one request at a time per client (ControlPool lends clients to threads).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct mosquitto;
struct mosquitto_message;

namespace picohub::service {

// Where the broker is and how to log in: from DIR/hub.json and DIR/ca.crt.
struct ControlEndpoint {
  std::string host;  // where to connect (the bind address, or 127.0.0.1 for a wildcard)
  int port = 8883;
  std::string ca_file;
  std::string hub_host_name;  // sr of the token
  std::string owner_key;      // iothubowner primary key, base64
};

// Reads hub.json in `dir`; nullopt with `why` set when it is missing or lacks iothubowner.
std::optional<ControlEndpoint> control_endpoint(const std::filesystem::path& dir, std::string& why);

// A hub answer: status is http-like (0 when no answer came: then `transport_error` is set, and `timed_out` tells
// a silent hub from a lost connection).
struct ControlReply {
  int status = 0;
  nlohmann::json body;
  std::string transport_error;
  bool timed_out = false;
  bool ok() const { return status >= 200 && status < 300; }
  long error_code() const { return body.is_object() ? body.value("errorCode", 0L) : 0L; }
  std::string message() const { return body.is_object() ? body.value("message", transport_error) : transport_error; }
};

class ControlClient {
 public:
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // Why connect() failed, for callers that answer differently (the CLI's exit codes).
  enum class Failure { setup, unreachable, handshake, refused, subscribe };
  // Connects over TLS as iothubowner and subscribes to the response topic. nullptr with `why` (and `failure`)
  // on failure; Failure::refused is a credentials refusal (CONNACK != 0).
  static std::unique_ptr<ControlClient> connect(const ControlEndpoint& endpoint, double timeout_s, std::string& why,
                                                Failure* failure = nullptr);

  // {"op":op,"correlationId":..,fields...} → the matching response, or status 0 on timeout / lost connection.
  ControlReply request(const std::string& op, nlohmann::json fields, double timeout_s);

  // QoS 1 subscription, waits for the SUBACK; `refused` set when the hub refused the filter.
  bool subscribe(const std::string& filter, double timeout_s, std::string& why, bool* refused = nullptr);
  // Services the connection for up to `ms`; false when it is lost. Messages other than responses land in inbox().
  bool pump(int ms);
  struct Incoming {
    std::string topic, payload;
  };
  std::deque<Incoming>& inbox() { return inbox_; }
  bool alive() const { return connected_ && !lost_; }

 private:
  ControlClient() = default;
  bool wait_until(const std::function<bool()>& done, double timeout_s, std::string& why);

  struct mosquitto* mosq_ = nullptr;
  bool connected_ = false;
  int connack_ = -1;
  bool lost_ = false;
  int pending_mid_ = -1;
  bool suback_seen_ = false;
  int suback_qos_ = 0;
  std::deque<Incoming> inbox_;
  static void on_connect(struct mosquitto*, void*, int);
  static void on_disconnect(struct mosquitto*, void*, int);
  static void on_subscribe(struct mosquitto*, void*, int, int, const int*);
  static void on_message(struct mosquitto*, void*, const struct mosquitto_message*);
};

// One control op as the REST API and the AMQP endpoint make it (ControlPool::request, or a fake in unit tests).
using ControlCall = std::function<ControlReply(const std::string& op, nlohmann::json fields, double timeout_s)>;

// Lends connected clients to concurrent callers (a method call waiting 30 s holds one client, not the others).
// At most `max_idle` clients are kept between calls; a client whose connection broke is dropped.
class ControlPool {
 public:
  ControlPool(ControlEndpoint endpoint, std::size_t max_idle) : endpoint_(std::move(endpoint)), max_idle_(max_idle) {}
  ControlReply request(const std::string& op, nlohmann::json fields, double timeout_s);
  ControlCall as_call() {
    return [this](const std::string& op, nlohmann::json fields, double timeout_s) {
      return request(op, std::move(fields), timeout_s);
    };
  }

 private:
  ControlEndpoint endpoint_;
  std::size_t max_idle_;
  std::mutex mutex_;
  struct Idle {
    std::unique_ptr<ControlClient> client;
    std::chrono::steady_clock::time_point since;
  };
  std::vector<Idle> idle_;  // used within 30 s only: nothing services their keepalive while they wait
};

}  // namespace picohub::service
