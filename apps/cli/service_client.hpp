// The service principal: a libmosquitto client that talks to the local hub's plugin over TLS with the
// iothubowner policy (docs/control-protocol.md). Synchronous: every call is bounded by a timeout.
#pragma once

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

struct mosquitto;
struct mosquitto_message;

namespace picohub::cli {

// What went wrong, already phrased for the user, and the exit code the verb returns.
struct ServiceError {
  int exit_code = 1;
  std::string message;
  int status = 0;       // http-like status from the hub, 0 if the failure happened before an answer
  long error_code = 0;  // IoT Hub error code (404001, 403004, ...) when the hub sent one
};

struct Incoming {
  std::string topic;
  std::string payload;
};

class ServiceClient {
 public:
  ~ServiceClient();
  ServiceClient(const ServiceClient&) = delete;
  ServiceClient& operator=(const ServiceClient&) = delete;

  // Reads DIR/hub.json, connects over TLS with DIR/ca.crt as iothubowner, subscribes to the response topic.
  static std::unique_ptr<ServiceClient> connect(const std::filesystem::path& dir, double timeout_s, ServiceError& err);

  // Sends {"op":op, "correlationId":..., fields...} and waits for the matching response.
  // Returns the response body on 2xx; on 4xx/5xx or timeout returns nullopt and fills err.
  std::optional<nlohmann::json> request(const std::string& op, nlohmann::json fields, double timeout_s,
                                        ServiceError& err);

  // Subscribes (QoS 0) to a topic filter and waits for the SUBACK.
  bool subscribe(const std::string& filter, double timeout_s, ServiceError& err);

  // Services the connection for up to `ms`; returns messages that arrived outside request() calls.
  bool pump(int ms, ServiceError& err);
  std::deque<Incoming>& inbox() { return inbox_; }

  const std::filesystem::path& data_dir() const { return dir_; }

 private:
  ServiceClient() = default;
  bool wait_until(const std::function<bool()>& done, double timeout_s, ServiceError& err);

  struct mosquitto* mosq_ = nullptr;
  std::filesystem::path dir_;
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

// Options every service verb shares.
struct ServiceOptions {
  std::string data;
  bool json = false;
  double timeout = 10.0;
};
// --data-dir DIR and --json. Elsewhere a stray --data (the old alias) gets a hint; verbs whose --data means a
// payload (c2d send, like az) pass data_is_payload.
void add_service_options(CLI::App& app, ServiceOptions& options, bool data_is_payload = false);

// Prints err (stderr; also as JSON on stdout with --json) and returns its exit code.
int report_error(const ServiceError& err, bool json);

// Rewrites a hub error into the CLI's own actionable text for known IoT Hub codes.
void explain_hub_error(ServiceError& err, const std::string& device_id);

// Connects and sends one request; the common path of most verbs.
std::optional<nlohmann::json> call_hub(const ServiceOptions& options, const std::string& op, nlohmann::json fields,
                                       ServiceError& err, double request_timeout_s = 0);

}  // namespace picohub::cli
