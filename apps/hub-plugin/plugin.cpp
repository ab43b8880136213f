// mosquitto 2.0.11 plugin (API v5) that makes the broker behave like Azure IoT Hub's device endpoint.
// Everything interesting lives in picohub::hub::Hub (src/hub); this file adapts events and broker calls.
// Facts this relies on (reference anchors-hub.md §3): mosquitto_broker.h must come before mosquitto_plugin.h;
// TICK's time fields are zero; the old session's DISCONNECT arrives after the new connection's BASIC_AUTH;
// kicks happen from TICK; no threads touch the broker.
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/x509.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <unistd.h>
#include <string>

#include "broker_events.hpp"
#include "common/version.hpp"
#include "hub/hub.hpp"

namespace {

using namespace picohub::hub;

constexpr const char* kVersion = PICOHUB_VERSION;

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

class MosquittoPort final : public BrokerPort {
 public:
  void publish(const std::string& client_id, const std::string& topic, const std::string& payload, int qos) override {
    int rc = mosquitto_broker_publish_copy(client_id.empty() ? nullptr : client_id.c_str(), topic.c_str(),
                                           static_cast<int>(payload.size()), payload.data(), qos, false, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      mosquitto_log_printf(MOSQ_LOG_WARNING, "picohub: could not publish to %s (%s): %s",
                           client_id.empty() ? "subscribers" : client_id.c_str(), topic.c_str(),
                           mosquitto_strerror(rc));
    }
  }
  void kick(const std::string& client_id) override { mosquitto_kick_client_by_clientid(client_id.c_str(), false); }
  void log(LogLevel level, const std::string& line) override {
    int l = level == LogLevel::error     ? MOSQ_LOG_ERR
            : level == LogLevel::warning ? MOSQ_LOG_WARNING
            : level == LogLevel::notice  ? MOSQ_LOG_NOTICE
                                         : MOSQ_LOG_INFO;
    mosquitto_log_printf(l, "%s", line.c_str());
  }
};

struct Plugin {
  mosquitto_plugin_id_t* id = nullptr;
  std::string data_dir;
  HubConfig config;
  MosquittoPort port;
  std::unique_ptr<Store> store;
  std::unique_ptr<Hub> hub;
  bool open_failed = false;
  bool grouped_sync = false;  // the broker holds PUBACKs until the SYNC event (journal written once per loop)

  // state.db is opened on the first event, i.e. after mosquitto dropped root privileges, so its files (and the
  // WAL/SHM side files) belong to the broker's user.
  Hub* get() {
    if (hub || open_failed) return hub.get();
    std::string error;
    StoreOptions store_options;
    store_options.fsync = config.durability_fsync;
    store = Store::open(data_dir + "/state.db", error, store_options);
    if (!store) {
      open_failed = true;
      mosquitto_log_printf(MOSQ_LOG_ERR, "picohub: %s; every connection will be refused", error.c_str());
      return nullptr;
    }
    HubOptions options;
    options.version = kVersion;
    options.retention = config.retention;
    store->set_grouped_sync(grouped_sync);
    if (!store->telemetry_healthy()) {
      mosquitto_log_printf(MOSQ_LOG_ERR, "picohub: journaled telemetry could not be committed yet: %s",
                           store->last_error().c_str());
    }
    hub = std::make_unique<Hub>(config, *store, port, options);
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "picohub: state in %s/state.db", data_dir.c_str());
    return hub.get();
  }
};

Plugin* g_plugin = nullptr;

// The client's TLS certificate as DER (empty when it presented none): the hub core stays free of OpenSSL types.
// With the patched broker's `picohub_request_certificate` the handshake asked for it and accepted any.
std::string client_certificate_der(mosquitto* client) {
  auto* cert = static_cast<X509*>(mosquitto_client_certificate(client));  // a new reference (SSL_get1_peer_...)
  if (cert == nullptr) return {};
  std::string der;
  const int len = i2d_X509(cert, nullptr);
  if (len > 0) {
    der.resize(static_cast<std::size_t>(len));
    auto* p = reinterpret_cast<unsigned char*>(der.data());
    if (i2d_X509(cert, &p) != len) der.clear();
  }
  X509_free(cert);
  return der;
}

template <class F>
int guarded(const char* what, int on_error, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "picohub: internal error in %s: %s", what, e.what());
  } catch (...) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "picohub: internal error in %s", what);
  }
  return on_error;
}

int on_basic_auth(int, void* event_data, void* userdata) {
  auto* ev = static_cast<mosquitto_evt_basic_auth*>(event_data);
  auto* plugin = static_cast<Plugin*>(userdata);
  return guarded("BASIC_AUTH", MOSQ_ERR_AUTH, [&] {
    Hub* hub = plugin->get();
    const char* client_id = mosquitto_client_id(ev->client);
    // An X.509 device sends no password: its certificate (read here) stands for it.
    const std::string cert = client_certificate_der(ev->client);
    if (hub == nullptr || client_id == nullptr || ev->username == nullptr ||
        (ev->password == nullptr && cert.empty())) {
      mosquitto_log_printf(MOSQ_LOG_NOTICE, "picohub: refused %s: %s", client_id ? client_id : "(no client id)",
                           hub ? "a username and a SAS token password (or an X.509 client certificate) are required"
                               : "hub state unavailable");
      return MOSQ_ERR_AUTH;
    }
    bool ok = hub->on_basic_auth(ev->client, client_id, ev->username, ev->password ? ev->password : "",
                                 mosquitto_client_clean_session(ev->client), now_ms(), cert);
    return ok ? MOSQ_ERR_SUCCESS : MOSQ_ERR_AUTH;
  });
}

int on_acl_check(int, void* event_data, void* userdata) {
  auto* ev = static_cast<mosquitto_evt_acl_check*>(event_data);
  auto* plugin = static_cast<Plugin*>(userdata);
  return guarded("ACL_CHECK", MOSQ_ERR_ACL_DENIED, [&] {
    Hub* hub = plugin->get();
    if (hub == nullptr || ev->topic == nullptr) return MOSQ_ERR_ACL_DENIED;
    Access access;
    switch (ev->access) {
      case MOSQ_ACL_READ: access = Access::read; break;
      case MOSQ_ACL_WRITE: access = Access::write; break;
      case MOSQ_ACL_SUBSCRIBE: access = Access::subscribe; break;
      case MOSQ_ACL_UNSUBSCRIBE: access = Access::unsubscribe; break;
      default: return MOSQ_ERR_ACL_DENIED;
    }
    if (hub->on_acl_check(ev->client, access, ev->topic, ev->qos, ev->retain)) return MOSQ_ERR_SUCCESS;
    // ACL_DENIED would be answered (PUBACK / SUBACK 0x80) and the client kicked only at the next TICK. Any other
    // error makes mosquitto 2.0.11's handle__publish / handle__subscribe return it: the connection closes now,
    // unanswered, as IoT Hub closes it. Only for the packets the client sent, never for deliveries (READ).
    const bool from_client = access == Access::write || access == Access::subscribe;
    return from_client && hub->disconnect_pending(ev->client) ? MOSQ_ERR_PROTOCOL : MOSQ_ERR_ACL_DENIED;
  });
}

int on_message(int, void* event_data, void* userdata) {
  auto* ev = static_cast<mosquitto_evt_message*>(event_data);
  auto* plugin = static_cast<Plugin*>(userdata);
  return guarded("MESSAGE", int{MOSQ_ERR_UNKNOWN}, [&]() -> int {  // an internal error is not acknowledged either
    Hub* hub = plugin->get();
    if (hub == nullptr || ev->topic == nullptr) return MOSQ_ERR_ACL_DENIED;
    std::string_view payload(static_cast<const char*>(ev->payload), ev->payload ? ev->payloadlen : 0);
    auto verdict = hub->on_message(ev->client, ev->topic, payload, ev->qos, ev->retain, now_ms());
    // mosquitto writes the QoS 1 PUBACK right after this returns (handle_publish.c: send__puback → packet__write).
    // ACL_DENIED drops the message; an MQTT 3.1.1 QoS 1 publisher still gets its PUBACK. Any other error
    // closes the connection before the PUBACK: what the hub refuses (over IoT Hub's size limit) or could not make
    // durable is never acknowledged. HOLD_ACK (patched broker): dropped, PUBACK after on_sync.
    switch (verdict) {
      case MessageVerdict::forward: return MOSQ_ERR_SUCCESS;
      case MessageVerdict::drop: return MOSQ_ERR_ACL_DENIED;
      case MessageVerdict::refuse: return MOSQ_ERR_UNKNOWN;
      case MessageVerdict::hold: return picohub::plugin::kHoldAck;
    }
    return MOSQ_ERR_UNKNOWN;
  });
}

int on_control(int, void* event_data, void* userdata) {
  auto* ev = static_cast<mosquitto_evt_control*>(event_data);
  auto* plugin = static_cast<Plugin*>(userdata);
  return guarded("CONTROL", MOSQ_ERR_SUCCESS, [&] {
    Hub* hub = plugin->get();
    const char* client_id = mosquitto_client_id(ev->client);
    if (hub == nullptr || client_id == nullptr) return MOSQ_ERR_SUCCESS;
    std::string_view payload(static_cast<const char*>(ev->payload), ev->payload ? ev->payloadlen : 0);
    hub->on_control(ev->client, client_id, payload, now_ms());
    return MOSQ_ERR_SUCCESS;
  });
}

int on_tick(int, void*, void* userdata) {
  auto* plugin = static_cast<Plugin*>(userdata);
  return guarded("TICK", MOSQ_ERR_SUCCESS, [&] {
    if (Hub* hub = plugin->get()) hub->on_tick(now_ms());  // the event's own times are zero in 2.0.11
    return MOSQ_ERR_SUCCESS;
  });
}

int on_disconnect(int, void* event_data, void* userdata) {
  auto* ev = static_cast<mosquitto_evt_disconnect*>(event_data);
  auto* plugin = static_cast<Plugin*>(userdata);
  return guarded("DISCONNECT", MOSQ_ERR_SUCCESS, [&] {
    if (Hub* hub = plugin->get()) hub->on_disconnect(ev->client, now_ms());
    return MOSQ_ERR_SUCCESS;
  });
}

// Patched-broker event: a device's PUBACK completes the C2D message it acknowledges.
int on_puback(int, void* event_data, void* userdata) {
  auto* ev = static_cast<picohub::plugin::PubackEvent*>(event_data);
  auto* plugin = static_cast<Plugin*>(userdata);
  return guarded("PUBACK", MOSQ_ERR_SUCCESS, [&] {
    Hub* hub = plugin->get();
    if (hub != nullptr && ev->topic != nullptr) hub->on_puback(ev->client, ev->topic, now_ms());
    return MOSQ_ERR_SUCCESS;
  });
}

// Patched-broker event: a device's Will becomes telemetry with iothub-MessageType=Will, and is not routed.
int on_will(int, void* event_data, void* userdata) {
  auto* ev = static_cast<picohub::plugin::WillEvent*>(event_data);
  auto* plugin = static_cast<Plugin*>(userdata);
  return guarded("WILL", MOSQ_ERR_SUCCESS, [&] {
    Hub* hub = plugin->get();
    if (hub == nullptr || ev->topic == nullptr) return MOSQ_ERR_SUCCESS;
    std::string_view payload(static_cast<const char*>(ev->payload), ev->payload ? ev->payloadlen : 0);
    return hub->on_will(ev->client, ev->topic, payload, ev->retain, now_ms()) ? MOSQ_ERR_ACL_DENIED : MOSQ_ERR_SUCCESS;
  });
}

// Patched-broker event (fsync mode): the PUBACKs of this loop iteration wait for one fdatasync of the journal.
int on_sync(int, void*, void* userdata) {
  auto* plugin = static_cast<Plugin*>(userdata);
  return guarded("SYNC", MOSQ_ERR_UNKNOWN, [&] {
    Hub* hub = plugin->get();
    return hub != nullptr && hub->sync_held() ? MOSQ_ERR_SUCCESS : MOSQ_ERR_UNKNOWN;
  });
}

struct Registration {
  int event;
  MOSQ_FUNC_generic_callback callback;
  const void* event_data;
};

const Registration kRegistrations[] = {
    {MOSQ_EVT_BASIC_AUTH, on_basic_auth, nullptr},
    {MOSQ_EVT_ACL_CHECK, on_acl_check, nullptr},
    {MOSQ_EVT_MESSAGE, on_message, nullptr},
    {MOSQ_EVT_TICK, on_tick, nullptr},
    {MOSQ_EVT_DISCONNECT, on_disconnect, nullptr},
    {MOSQ_EVT_CONTROL, on_control, "$CONTROL/picohub/v1"},
    {picohub::plugin::kEventPuback, on_puback, nullptr},
    {picohub::plugin::kEventWill, on_will, nullptr},
};

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int mosquitto_plugin_version(int supported_version_count,
                                                                    const int* supported_versions) {
  for (int i = 0; i < supported_version_count; ++i) {
    if (supported_versions[i] == 5) return 5;
  }
  return -1;
}

__attribute__((visibility("default"))) int mosquitto_plugin_init(mosquitto_plugin_id_t* identifier, void** userdata,
                                                                 struct mosquitto_opt* options, int option_count) {
  auto plugin = std::make_unique<Plugin>();
  plugin->id = identifier;
  for (int i = 0; i < option_count; ++i) {
    if (std::strcmp(options[i].key, "data_dir") == 0 && options[i].value) plugin->data_dir = options[i].value;
  }
  if (plugin->data_dir.empty()) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "picohub: missing `plugin_opt_data_dir <DIR>` in mosquitto.conf");
    return MOSQ_ERR_INVAL;
  }
  std::string error;
  auto config = load_hub_config(plugin->data_dir + "/hub.json", error);
  if (!config) {
    mosquitto_log_printf(MOSQ_LOG_ERR, "picohub: %s", error.c_str());
    return MOSQ_ERR_INVAL;
  }
  if (config->policies.empty()) {
    mosquitto_log_printf(MOSQ_LOG_WARNING, "picohub: hub.json has no policies; the service CLI cannot connect");
  }
  plugin->config = std::move(*config);
  for (const auto& r : kRegistrations) {
    int rc = mosquitto_callback_register(identifier, r.event, r.callback, r.event_data, plugin.get());
    if (rc == MOSQ_ERR_NOT_SUPPORTED && r.event >= picohub::plugin::kEventPuback) {
      // Without the PUBACK event a C2D message could only be guessed delivered: refuse rather than guess.
      mosquitto_log_printf(MOSQ_LOG_ERR,
                           "picohub: this mosquitto has no PUBACK/Will events for plugins; the hub needs mosquitto "
                           "2.0.11 with patches/mosquitto/picohub-events.patch: run ./run setup (it builds "
                           ".deps/mosquitto/sbin/mosquitto) and start the hub with `picohub hub start`");
      return rc;
    }
    if (rc != MOSQ_ERR_SUCCESS) {
      mosquitto_log_printf(MOSQ_LOG_ERR, "picohub: cannot register for event %d: %s", r.event, mosquitto_strerror(rc));
      return rc;
    }
  }
  // The journal is written once per loop iteration, with the iteration's PUBACKs held until then (and, in fsync
  // mode, one fdatasync), when the broker can hold them; a broker patched before the SYNC event gets a write (and
  // an fdatasync) per message: the same guarantee, slower.
  plugin->grouped_sync = mosquitto_callback_register(identifier, picohub::plugin::kEventSync, on_sync, nullptr,
                                                     plugin.get()) == MOSQ_ERR_SUCCESS;
  const char* durability = plugin->config.durability_fsync ? "fsync mode, " : "";
  const char* grouping = plugin->grouped_sync
                             ? "one journal write per broker loop iteration before its PUBACKs"
                             : "one journal write per message (this broker cannot hold PUBACKs: rebuild it with "
                               "./run setup)";
  mosquitto_log_printf(MOSQ_LOG_NOTICE, "picohub: %s%s%s", durability, grouping,
                       plugin->config.durability_fsync ? ", each followed by an fdatasync" : "");
  mosquitto_log_printf(MOSQ_LOG_NOTICE, "picohub: plugin %s loaded for hub %s (data dir %s, euid %d)", kVersion,
                       plugin->config.host_name.c_str(), plugin->data_dir.c_str(), static_cast<int>(geteuid()));
  g_plugin = plugin.release();
  *userdata = g_plugin;
  return MOSQ_ERR_SUCCESS;
}

__attribute__((visibility("default"))) int mosquitto_plugin_cleanup(void* userdata, struct mosquitto_opt*, int) {
  auto* plugin = static_cast<Plugin*>(userdata);
  if (plugin == nullptr) return MOSQ_ERR_SUCCESS;
  for (const auto& r : kRegistrations) {
    mosquitto_callback_unregister(plugin->id, r.event, r.callback, r.event_data);
  }
  if (plugin->grouped_sync) mosquitto_callback_unregister(plugin->id, picohub::plugin::kEventSync, on_sync, nullptr);
  delete plugin;  // closes state.db cleanly (WAL checkpoint)
  g_plugin = nullptr;
  return MOSQ_ERR_SUCCESS;
}

}  // extern "C"
