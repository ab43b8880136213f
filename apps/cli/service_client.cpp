#include "service_client.hpp"

#include "command.hpp"
#include "data_dir.hpp"
#include "service_crypto.hpp"

#include <mosquitto.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <unistd.h>

namespace picohub::cli {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* k_request_topic = "$CONTROL/picohub/v1";
constexpr const char* k_response_topic = "$picohub/v1/response";

static std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

ServiceClient::~ServiceClient() {
  if (mosq_ != nullptr) {
    if (connected_) {
      mosquitto_disconnect(mosq_);
      mosquitto_loop(mosq_, 50, 1);
    }
    mosquitto_destroy(mosq_);
  }
}

void ServiceClient::on_connect(struct mosquitto*, void* self, int rc) {
  auto* client = static_cast<ServiceClient*>(self);
  client->connack_ = rc;
  client->connected_ = rc == 0;
}

void ServiceClient::on_disconnect(struct mosquitto*, void* self, int) {
  auto* client = static_cast<ServiceClient*>(self);
  client->connected_ = false;
  client->lost_ = true;
}

void ServiceClient::on_subscribe(struct mosquitto*, void* self, int mid, int count, const int* granted) {
  auto* client = static_cast<ServiceClient*>(self);
  if (mid != client->pending_mid_) return;
  client->suback_seen_ = true;
  client->suback_qos_ = count > 0 ? granted[0] : 0x80;
}

void ServiceClient::on_message(struct mosquitto*, void* self, const struct mosquitto_message* message) {
  auto* client = static_cast<ServiceClient*>(self);
  client->inbox_.push_back({message->topic, std::string(static_cast<const char*>(message->payload),
                                                        static_cast<std::size_t>(message->payloadlen))});
}

bool ServiceClient::wait_until(const std::function<bool()>& done, double timeout_s, ServiceError& err) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!done()) {
    if (lost_) {
      err = {exit_network, "the hub closed the connection: check " + (dir_ / "mosquitto.log").string()};
      return false;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    const int rc = mosquitto_loop(mosq_, 50, 1);
    if (rc != MOSQ_ERR_SUCCESS && !done()) {
      if (connack_ > 0) return true;  // CONNACK refusal: the caller reads connack_
      err = {exit_network, "lost the connection to the hub (" + std::string(mosquitto_strerror(rc)) +
                               "): check picohub hub status --data-dir " + dir_.string()};
      return false;
    }
  }
  return true;
}

std::unique_ptr<ServiceClient> ServiceClient::connect(const fs::path& dir, double timeout_s, ServiceError& err) {
  std::string why;
  const auto config = load_hub_config(dir, why);
  if (!config) {
    err = {exit_failure, why};
    return nullptr;
  }
  static const int lib_init = mosquitto_lib_init();
  (void)lib_init;
  std::unique_ptr<ServiceClient> client(new ServiceClient());
  client->dir_ = dir;
  const std::string client_id = "picohub-service-" + std::to_string(::getpid()) + "-" + hex(random_bytes(4));
  client->mosq_ = mosquitto_new(client_id.c_str(), true, client.get());
  if (client->mosq_ == nullptr) {
    err = {exit_failure, "out of memory creating the MQTT client"};
    return nullptr;
  }
  mosquitto_int_option(client->mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(client->mosq_, on_connect);
  mosquitto_disconnect_callback_set(client->mosq_, on_disconnect);
  mosquitto_subscribe_callback_set(client->mosq_, on_subscribe);
  mosquitto_message_callback_set(client->mosq_, on_message);

  const long long expiry = static_cast<long long>(std::time(nullptr)) + 3600;
  const auto token = make_sas(config->host_name, owner_policy(*config).primary_key, expiry, "iothubowner");
  if (!token) {
    err = {exit_failure, (dir / "hub.json").string() + " has an invalid iothubowner key: run picohub hub start again"};
    return nullptr;
  }
  mosquitto_username_pw_set(client->mosq_, "iothubowner", token->c_str());
  const std::string ca = (dir / "ca.crt").string();
  if (mosquitto_tls_set(client->mosq_, ca.c_str(), nullptr, nullptr, nullptr, nullptr) != MOSQ_ERR_SUCCESS) {
    err = {exit_network, "cannot use the hub's CA " + ca + ": run picohub hub start --data-dir " + dir.string()};
    return nullptr;
  }
  mosquitto_tls_opts_set(client->mosq_, 1, "tlsv1.2", nullptr);
  // The server certificate names localhost, 127.0.0.1 and ::1; connect where the broker listens.
  std::string host = config->bind;
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "*") host = "127.0.0.1";
  const int rc = mosquitto_connect(client->mosq_, host.c_str(), config->port, 60);
  if (rc != MOSQ_ERR_SUCCESS) {
    err = {exit_network, no_hub_message(dir) + " (" + host + ":" + std::to_string(config->port) + ": " +
                             (rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : mosquitto_strerror(rc)) + ")"};
    return nullptr;
  }
  auto* raw = client.get();
  if (!client->wait_until([raw] { return raw->connected_ || raw->connack_ > 0; }, timeout_s, err)) {
    if (err.message.empty() || client->lost_) {
      err = {exit_network, "TLS/MQTT handshake with the hub at " + host + ":" + std::to_string(config->port) +
                               " failed: is it a picohub hub started with --data-dir " + dir.string() +
                               "? (check " + (dir / "mosquitto.log").string() + ")"};
    }
    return nullptr;
  }
  if (client->connack_ != 0) {
    err = {exit_auth, "the hub refused the service credentials (CONNACK " + std::to_string(client->connack_) +
                          "): hub.json in " + dir.string() + " does not match the running hub; restart it with picohub hub stop && picohub hub start"};
    return nullptr;
  }
  if (!client->subscribe(k_response_topic, timeout_s, err)) return nullptr;
  return client;
}

bool ServiceClient::subscribe(const std::string& filter, double timeout_s, ServiceError& err) {
  suback_seen_ = false;
  int mid = 0;
  if (mosquitto_subscribe(mosq_, &mid, filter.c_str(), 1) != MOSQ_ERR_SUCCESS) {
    err = {exit_network, "cannot subscribe to " + filter + ": the connection to the hub failed"};
    return false;
  }
  pending_mid_ = mid;
  if (!wait_until([this] { return suback_seen_; }, timeout_s, err)) {
    if (err.message.empty()) err = {exit_network, "the hub did not acknowledge the subscription to " + filter};
    return false;
  }
  if (suback_qos_ == 0x80) {
    err = {exit_auth, "the hub refused the subscription to " + filter + " for the service principal"};
    return false;
  }
  return true;
}

bool ServiceClient::pump(int ms, ServiceError& err) {
  const int rc = mosquitto_loop(mosq_, ms, 1);
  if (rc != MOSQ_ERR_SUCCESS || lost_) {
    err = {exit_network, "lost the connection to the hub: check picohub hub status --data-dir " + dir_.string()};
    return false;
  }
  return true;
}

std::optional<json> ServiceClient::request(const std::string& op, json fields, double timeout_s, ServiceError& err) {
  const std::string correlation_id = hex(random_bytes(8));
  json request = fields.is_object() ? std::move(fields) : json::object();
  request["op"] = op;
  request["correlationId"] = correlation_id;
  const std::string text = request.dump();
  if (mosquitto_publish(mosq_, nullptr, k_request_topic, static_cast<int>(text.size()), text.data(), 1, false) !=
      MOSQ_ERR_SUCCESS) {
    err = {exit_network, "cannot send the request to the hub: the connection failed"};
    return std::nullopt;
  }
  std::optional<json> response;
  auto take = [&]() {
    for (auto it = inbox_.begin(); it != inbox_.end(); ++it) {
      if (it->topic != k_response_topic) continue;
      auto doc = json::parse(it->payload, nullptr, false);
      if (doc.is_object() && doc.value("correlationId", std::string()) == correlation_id) {
        response = std::move(doc);
        inbox_.erase(it);
        return true;
      }
    }
    return false;
  };
  if (!wait_until(take, timeout_s, err)) {
    if (err.message.empty()) {
      err = {exit_failure, "the hub did not answer '" + op + "' within " + std::to_string(static_cast<int>(timeout_s)) +
                               " s: check " + (dir_ / "mosquitto.log").string()};
    }
    return std::nullopt;
  }
  const int status = response->value("status", 500);
  json body = response->contains("body") ? (*response)["body"] : json();
  if (status >= 200 && status < 300) return body;
  err.status = status;
  err.exit_code = status == 400 ? exit_usage : exit_failure;
  if (body.is_object()) {
    if (body.contains("errorCode") && body["errorCode"].is_number()) err.error_code = body["errorCode"].get<long>();
    err.message = body.value("message", std::string());
  }
  if (err.message.empty()) err.message = "the hub answered '" + op + "' with status " + std::to_string(status);
  return std::nullopt;
}

void add_service_options(CLI::App& app, ServiceOptions& options, bool data_is_payload) {
  app.add_option("--data-dir", options.data, "hub data directory (default $PICOHUB_DATA, else ~/.local/share/picohub)");
  if (!data_is_payload) {
    // --data used to name the data dir here; it means the message body in `c2d send` (as in az). Say so.
    app.add_option("--data")->group("")->each([](const std::string&) {
      throw CLI::ValidationError("--data", "not the data dir any more (in c2d send it is the message body, as in "
                                           "az): use --data-dir DIR or PICOHUB_DATA=DIR");
    });
  }
  app.add_flag("--json", options.json, "print JSON for scripts");
}

int report_error(const ServiceError& err, bool json_output) {
  std::cerr << "picohub: " << err.message << '\n';
  if (json_output) {
    json e = {{"message", err.message}, {"exitCode", err.exit_code}};
    if (err.status != 0) e["status"] = err.status;
    if (err.error_code != 0) e["errorCode"] = err.error_code;
    std::cout << json{{"error", e}}.dump(2) << '\n';
  }
  return err.exit_code;
}

void explain_hub_error(ServiceError& err, const std::string& device_id) {
  switch (err.error_code) {
    case 404001:
      err.message = "device '" + device_id + "' not found: list devices with picohub device list";
      break;
    case 409001:
      err.message = "device '" + device_id + "' already exists: see it with picohub device show " + device_id;
      break;
    case 403004:
      err.message = "device '" + device_id +
                    "' has 50 cloud-to-device messages waiting (IoT Hub's limit, 403004): connect the device so it "
                    "receives them, or wait for them to expire";
      break;
    case 404103:
      err.message = "device '" + device_id +
                    "' is not online (404103): connect it and subscribe to direct methods, then invoke again";
      break;
    case 504101:
      err.message = "device '" + device_id + "' did not answer in time (504101): raise --timeout or check the device";
      break;
    default:
      break;
  }
}

std::optional<json> call_hub(const ServiceOptions& options, const std::string& op, json fields, ServiceError& err,
                             double request_timeout_s) {
  const auto dir = resolve_data_dir(options.data);
  auto client = ServiceClient::connect(dir, options.timeout, err);
  if (!client) return std::nullopt;
  return client->request(op, std::move(fields), request_timeout_s > 0 ? request_timeout_s : options.timeout, err);
}

}  // namespace picohub::cli
