// hub.json, the one parser and writer (the CLI's `picohub hub start` and the broker plugin both use these):
//   {"hostName":"localhost","port":8883,"insecurePort":null,
//    "bind":"127.0.0.1", "servicePort":443,          (servicePort: the gateway's HTTPS; 0 turns it off)
//    "amqpPort":5671,                                 (the gateway's AMQP endpoint over TLS; 0 turns it off)
//    "policies":{"iothubowner":{"primaryKey":"<b64>","secondaryKey":"<b64>",
//                "rights":"RegistryRead, RegistryWrite, ServiceConnect, DeviceConnect"}, "service":{...}, ...},
//    (rights optional: a default policy's name implies Azure's rights for it, any other name has none)
//    "retention":{"maxAgeDays":7,"maxBytes":1073741824},   (optional; telemetry in state.db)
//    "durability":{"fsync":false}}                          (optional; true: survive power loss, slower)
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/store.hpp"
#include "service/service_auth.hpp"

namespace picohub::hub {

struct PolicyKeys {
  std::string primary_key;    // base64
  std::string secondary_key;  // base64
  unsigned rights = 0;        // service::ServiceRight bits
};

struct HubConfig {
  std::string host_name = "localhost";
  int port = 8883;
  std::optional<int> insecure_port;  // plain-TCP debug listener on 127.0.0.1
  std::string bind = "127.0.0.1";
  int service_port = 443;                      // picohub-gateway's HTTPS (IoT Hub's REST API), on `bind`; 0 = off
  int amqp_port = 5671;                        // picohub-gateway's AMQP endpoint over TLS, on `bind`; 0 = off
  std::map<std::string, PolicyKeys> policies;  // by policy name (skn)
  RetentionPolicy retention;
  bool durability_fsync = false;
};

// Parses hub.json text. On failure returns nullopt and sets `error` to an actionable sentence.
std::optional<HubConfig> parse_hub_config(std::string_view json_text, std::string& error);
std::optional<HubConfig> load_hub_config(const std::string& path, std::string& error);
// The hub.json text for `config` (pretty-printed, every field written).
std::string hub_config_json(const HubConfig& config);

// Adds IoT Hub's default policies (iothubowner, service, device, registryRead, registryReadWrite) that are
// missing, each with two keys from `new_key` (base64). Existing policies are kept as they are. True if any was added.
bool add_default_policies(std::map<std::string, PolicyKeys>& policies, const std::function<std::string()>& new_key);
// The policies in the form the service endpoints authorize against.
std::vector<service::SharedAccessPolicy> shared_access_policies(const HubConfig& config);

}  // namespace picohub::hub
