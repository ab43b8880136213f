// The hub's control protocol (docs/control-protocol.md) as a library: a TLS MQTT client with the iothubowner
// policy that sends control ops to the broker plugin and waits for the matching response. Synchronous, every
// call bounded by a timeout; one request at a time per client (ControlPool lends clients to threads).
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
  std::string host;         // where to connect (the bind address, or 127.0.0.1 for a wildcard)
  int port = 8883;
  std::string ca_file;
  std::string hub_host_name;  // sr of the token
  std::string owner_key;      // iothubowner primary key, base64
};

// Reads hub.json in `dir`; nullopt with `why` set when it is missing or lacks iothubowner.
std::optional<ControlEndpoint> control_endpoint(const std::filesystem::path& dir, std::string& why);

// A hub answer: status is http-like (0 when no answer came: then `transport_error` is set).
struct ControlReply {
  int status = 0;
  nlohmann::json body;
  std::string transport_error;
  bool ok() const { return status >= 200 && status < 300; }
  long error_code() const { return body.is_object() ? body.value("errorCode", 0L) : 0L; }
  std::string message() const {
    return body.is_object() ? body.value("message", transport_error) : transport_error;
  }
};

class ControlClient {
 public:
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // Connects over TLS as iothubowner and subscribes to the response topic. nullptr with `why` on failure;
  // `refused` tells a credentials refusal (CONNACK != 0) from a network failure.
  static std::unique_ptr<ControlClient> connect(const ControlEndpoint& endpoint, double timeout_s, std::string& why,
                                                bool* refused = nullptr);

  // {"op":op,"correlationId":..,fields...} → the matching response, or status 0 on timeout / lost connection.
  ControlReply request(const std::string& op, nlohmann::json fields, double timeout_s);

  bool subscribe(const std::string& filter, double timeout_s, std::string& why);
  // Services the connection for up to `ms`; false when it is lost. Messages land in inbox().
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

// Lends connected clients to concurrent callers (a method call waiting 30 s holds one client, not the others).
// At most `max_idle` clients are kept between calls; a client whose connection broke is dropped.
class ControlPool {
 public:
  ControlPool(ControlEndpoint endpoint, std::size_t max_idle) : endpoint_(std::move(endpoint)), max_idle_(max_idle) {}
  ControlReply request(const std::string& op, nlohmann::json fields, double timeout_s);

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
