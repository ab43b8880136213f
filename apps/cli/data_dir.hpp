// Where the local hub lives on disk and what `picohub hub start` wrote there (hub.json), shared by every hub and
// service verb. Layout and file modes follow docs/control-protocol.md (the plugin reads the same files).
#pragma once

#include <filesystem>
#include <map>
#include <cstdint>
#include <optional>
#include <string>

#include "hub/config.hpp"

namespace picohub::cli {

// --data-dir DIR, else $PICOHUB_DATA, else ~/.local/share/picohub.
std::filesystem::path resolve_data_dir(const std::string& flag_value);

// hub.json as the broker plugin reads it (src/hub/config): one type, one parser, one writer.
using HubConfig = hub::HubConfig;
// The iothubowner policy (every hub.json the CLI loads has it; `hub start` creates it).
hub::PolicyKeys& owner_policy(HubConfig& config);
const hub::PolicyKeys& owner_policy(const HubConfig& config);

// Reads DIR/hub.json; on failure returns nullopt and fills `why` with an actionable message.
std::optional<HubConfig> load_hub_config(const std::filesystem::path& dir, std::string& why);
// Writes DIR/hub.json atomically (temp file + rename) with the given mode.
bool save_hub_config(const std::filesystem::path& dir, const HubConfig& config, std::filesystem::perms mode,
                     std::string& why);

// The mosquitto plugin: $PICOHUB_PLUGIN, else <exe dir>/../hub-plugin/picohub_hub.so (build tree),
// else <exe dir>/../lib/picohub/picohub_hub.so (installed). Empty when none exists.
std::filesystem::path find_plugin(std::string& searched);

// picohub-gateway: $PICOHUB_GATEWAY, else <exe dir>/../gateway/picohub-gateway (build tree), else
// <exe dir>/../lib/picohub/picohub-gateway. Empty when none exists.
std::filesystem::path find_gateway(std::string& searched);
// Pid from DIR/gateway.pid if that process is alive and is a picohub-gateway started with --data-dir DIR, else 0.
int gateway_pid(const std::filesystem::path& dir);
// The port the running gateway of DIR serves for `flag` (--service-port, --amqp-port); 0 when off or not running.
int gateway_port(const std::filesystem::path& dir, const std::string& flag);

// Pid from DIR/mosquitto.pid if that process is alive and is the broker started for DIR (mosquitto -c
// DIR/mosquitto.conf), else 0: a stale pid file never makes stop/status act on another process.
int running_pid(const std::filesystem::path& dir);

// The message every service verb prints when the hub is not reachable.
std::string no_hub_message(const std::filesystem::path& dir);

}  // namespace picohub::cli
