#include "service/control_client.hpp"

#include <mosquitto.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <unistd.h>

#include "hub/codec.hpp"
#include "hub/config.hpp"
#include "service/service_auth.hpp"

namespace picohub::service {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kRequestTopic = "$CONTROL/picohub/v1";
constexpr const char* kResponseTopic = "$picohub/v1/response";

std::string mosquitto_error(int rc) {
  return rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : std::string(mosquitto_strerror(rc));
}

}  // namespace

std::optional<ControlEndpoint> control_endpoint(const fs::path& dir, std::string& why) {
  auto config = hub::load_hub_config((dir / "hub.json").string(), why);
  if (!config) return std::nullopt;
  auto owner = config->policies.find("iothubowner");
  if (owner == config->policies.end()) {
    why = (dir / "hub.json").string() + " lacks the iothubowner policy: run picohub hub start again";
    return std::nullopt;
  }
  ControlEndpoint e;
  e.host = config->bind;
  if (e.host.empty() || e.host == "0.0.0.0" || e.host == "::" || e.host == "*") e.host = "127.0.0.1";
  e.port = config->port;
  e.ca_file = (dir / "ca.crt").string();
  e.hub_host_name = config->host_name;
  e.owner_key = owner->second.primary_key;
  return e;
}

ControlClient::~ControlClient() {
  if (mosq_ == nullptr) return;
  if (connected_) {
    mosquitto_disconnect(mosq_);
    mosquitto_loop(mosq_, 50, 1);
  }
  mosquitto_destroy(mosq_);
}

void ControlClient::on_connect(struct mosquitto*, void* self, int rc) {
  auto* c = static_cast<ControlClient*>(self);
  c->connack_ = rc;
  c->connected_ = rc == 0;
}

void ControlClient::on_disconnect(struct mosquitto*, void* self, int) {
  auto* c = static_cast<ControlClient*>(self);
  c->connected_ = false;
  c->lost_ = true;
}

void ControlClient::on_subscribe(struct mosquitto*, void* self, int mid, int count, const int* granted) {
  auto* c = static_cast<ControlClient*>(self);
  if (mid != c->pending_mid_) return;
  c->suback_seen_ = true;
  c->suback_qos_ = count > 0 ? granted[0] : 0x80;
}

void ControlClient::on_message(struct mosquitto*, void* self, const struct mosquitto_message* m) {
  static_cast<ControlClient*>(self)->inbox_.push_back(
      {m->topic, std::string(static_cast<const char*>(m->payload), static_cast<std::size_t>(m->payloadlen))});
}

bool ControlClient::wait_until(const std::function<bool()>& done, double timeout_s, std::string& why) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (!done()) {
    if (lost_) {
      why = "the hub closed the control connection";
      return false;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      why = "the hub did not answer in time";
      return false;
    }
    const int rc = mosquitto_loop(mosq_, 50, 1);
    if (rc != MOSQ_ERR_SUCCESS && !done()) {
      if (connack_ > 0) return true;
      why = std::string("lost the control connection to the hub: ") + mosquitto_strerror(rc);
      lost_ = true;
      return false;
    }
  }
  return true;
}

std::unique_ptr<ControlClient> ControlClient::connect(const ControlEndpoint& e, double timeout_s, std::string& why,
                                                      Failure* failure) {
  static const int lib_init = mosquitto_lib_init();
  (void)lib_init;
  std::unique_ptr<ControlClient> c(new ControlClient());
  const std::string client_id = "picohub-service-" + std::to_string(::getpid()) + "-" + hub::random_hex(4);
  c->mosq_ = mosquitto_new(client_id.c_str(), true, c.get());
  auto fail = [&](Failure kind, std::string text) {
    if (failure != nullptr) *failure = kind;
    why = std::move(text);
    return nullptr;
  };
  if (c->mosq_ == nullptr) return fail(Failure::setup, "out of memory creating the MQTT client");
  mosquitto_int_option(c->mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  // Without it Nagle holds each small request behind the previous reply's delayed ACK (~40 ms a call).
  mosquitto_int_option(c->mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_connect_callback_set(c->mosq_, on_connect);
  mosquitto_disconnect_callback_set(c->mosq_, on_disconnect);
  mosquitto_subscribe_callback_set(c->mosq_, on_subscribe);
  mosquitto_message_callback_set(c->mosq_, on_message);
  const auto expiry = static_cast<std::uint64_t>(std::time(nullptr)) + 3600;
  const auto token = make_sas_token_text(e.hub_host_name, e.owner_key, expiry, "iothubowner");
  if (!token) return fail(Failure::setup, "hub.json has an invalid iothubowner key: run picohub hub start again");
  mosquitto_username_pw_set(c->mosq_, "iothubowner", token->c_str());
  if (mosquitto_tls_set(c->mosq_, e.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr) != MOSQ_ERR_SUCCESS) {
    return fail(Failure::setup, "cannot use the hub's CA " + e.ca_file);
  }
  mosquitto_tls_opts_set(c->mosq_, 1, "tlsv1.2", nullptr);
  const std::string at = e.host + ":" + std::to_string(e.port);
  if (const int rc = mosquitto_connect(c->mosq_, e.host.c_str(), e.port, 60); rc != MOSQ_ERR_SUCCESS) {
    return fail(Failure::unreachable, "cannot reach the hub's broker at " + at + ": " + mosquitto_error(rc));
  }
  auto* raw = c.get();
  if (!c->wait_until([raw] { return raw->connected_ || raw->connack_ > 0; }, timeout_s, why)) {
    return fail(Failure::handshake, "TLS/MQTT handshake with the hub's broker at " + at + " failed (" + why + ")");
  }
  if (c->connack_ != 0) {
    return fail(Failure::refused,
                "the hub refused the iothubowner credentials (CONNACK " + std::to_string(c->connack_) + ")");
  }
  if (!c->subscribe(kResponseTopic, timeout_s, why)) return fail(Failure::subscribe, why);
  return c;
}

bool ControlClient::subscribe(const std::string& filter, double timeout_s, std::string& why, bool* refused) {
  suback_seen_ = false;
  int mid = 0;
  if (mosquitto_subscribe(mosq_, &mid, filter.c_str(), 1) != MOSQ_ERR_SUCCESS) {
    why = "cannot subscribe to " + filter;
    return false;
  }
  pending_mid_ = mid;
  if (!wait_until([this] { return suback_seen_; }, timeout_s, why)) return false;
  if (suback_qos_ == 0x80) {
    if (refused != nullptr) *refused = true;
    why = "the hub refused the subscription to " + filter;
    return false;
  }
  return true;
}

bool ControlClient::pump(int ms) { return mosquitto_loop(mosq_, ms, 1) == MOSQ_ERR_SUCCESS && !lost_; }

ControlReply ControlClient::request(const std::string& op, json fields, double timeout_s) {
  ControlReply reply;
  const std::string correlation_id = hub::random_hex(8);
  json request = fields.is_object() ? std::move(fields) : json::object();
  request["op"] = op;
  request["correlationId"] = correlation_id;
  const std::string text = request.dump();
  if (mosquitto_publish(mosq_, nullptr, kRequestTopic, static_cast<int>(text.size()), text.data(), 1, false) !=
      MOSQ_ERR_SUCCESS) {
    lost_ = true;
    reply.transport_error = "cannot send the request to the hub";
    return reply;
  }
  std::optional<json> response;
  auto take = [&] {
    for (auto it = inbox_.begin(); it != inbox_.end(); ++it) {
      if (it->topic != kResponseTopic) continue;
      auto doc = json::parse(it->payload, nullptr, false);
      if (doc.is_object() && doc.value("correlationId", std::string()) == correlation_id) {
        response = std::move(doc);
        inbox_.erase(it);
        return true;
      }
    }
    return false;
  };
  if (!wait_until(take, timeout_s, reply.transport_error)) {
    reply.timed_out = !lost_;
    lost_ = true;  // a late answer would confuse the next caller: drop this client
    return reply;
  }
  // Stray responses (none expected: one request at a time) go; other messages (telemetry) stay for the caller.
  std::erase_if(inbox_, [](const Incoming& m) { return m.topic == kResponseTopic; });
  reply.status = response->value("status", 0);
  reply.body = response->contains("body") ? (*response)["body"] : json(nullptr);
  return reply;
}

ControlReply ControlPool::request(const std::string& op, json fields, double timeout_s) {
  std::unique_ptr<ControlClient> client;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    while (!idle_.empty() && !client) {
      Idle entry = std::move(idle_.back());
      idle_.pop_back();
      if (now - entry.since < std::chrono::seconds(30)) client = std::move(entry.client);
    }
  }
  if (!client) {
    std::string why;
    client = ControlClient::connect(endpoint_, 5.0, why);
    if (!client) {
      ControlReply reply;
      reply.transport_error = why;
      return reply;
    }
  }
  ControlReply reply = client->request(op, std::move(fields), timeout_s);
  if (client->alive()) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < max_idle_) idle_.push_back({std::move(client), std::chrono::steady_clock::now()});
  }
  return reply;
}

}  // namespace picohub::service
