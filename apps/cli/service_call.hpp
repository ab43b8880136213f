// How a CLI verb calls the local hub: over the project's one control client (src/service/control_client.hpp),
// with its failures phrased for the terminal (what to do next, exit codes) and the options every service verb shares.
#pragma once

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "service/control_client.hpp"

namespace picohub::cli {

// What went wrong, already phrased for the user, and the exit code the verb returns.
struct ServiceError {
  int exit_code = 1;
  std::string message;
  int status = 0;       // http-like status from the hub, 0 if the failure happened before an answer
  long error_code = 0;  // IoT Hub error code (404001, 403004, ...) when the hub sent one
};

using Incoming = service::ControlClient::Incoming;

// One connection to the hub of a data dir, for verbs that make several calls or subscribe (monitor, hub start).
class HubSession {
 public:
  // Reads DIR/hub.json, connects over TLS with DIR/ca.crt as iothubowner, subscribes to the response topic.
  static std::unique_ptr<HubSession> connect(const std::filesystem::path& dir, double timeout_s, ServiceError& err);

  // Sends one control op and waits for its answer: the body on 2xx; nullopt with err on 4xx/5xx or no answer.
  std::optional<nlohmann::json> request(const std::string& op, nlohmann::json fields, double timeout_s,
                                        ServiceError& err);
  // Subscribes to a topic filter and waits for the SUBACK.
  bool subscribe(const std::string& filter, double timeout_s, ServiceError& err);
  // Services the connection for up to `ms`; messages that are not answers land in inbox().
  bool pump(int ms, ServiceError& err);
  std::deque<Incoming>& inbox() { return client_->inbox(); }

 private:
  HubSession(std::unique_ptr<service::ControlClient> client, std::filesystem::path dir)
      : client_(std::move(client)), dir_(std::move(dir)) {}
  std::unique_ptr<service::ControlClient> client_;
  std::filesystem::path dir_;
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
