// `picohub hub start|stop|status`: the pieces behind the verb (certificates, broker config, process control).
#pragma once

#include "data_dir.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace picohub::cli {

// Who runs the broker, and so who must be able to read the data dir. As root, mosquitto drops to user
// `mosquitto` before it loads the plugin, so that user must reach the plugin and the data dir through every
// parent directory: then secrets are 0640 root:mosquitto in a 0770 dir. When it cannot (e.g. the default
// ~/.local/share/picohub under a 0700 /root), or there is no mosquitto user, the broker keeps running as root
// (`user root`) and everything is 0600/0700 root. As a normal user, secrets are 0600 in a 0700 dir.
struct Ownership {
  bool as_root = false;
  unsigned broker_uid = 0;      // the broker user when it is mosquitto
  unsigned broker_gid = 0;      // its group
  std::string broker_user;      // `user` line in mosquitto.conf ("" when not root)
  std::string why_root;         // set when root keeps the broker as root: the reason, for the start message
  bool shares_with_broker_group() const { return as_root && broker_user != "root"; }
};
// `dir` must exist (it is checked for the broker user's reach, together with `plugin`).
Ownership decide_ownership(const std::filesystem::path& dir, const std::filesystem::path& plugin);
bool secure_file(const std::filesystem::path& file, const Ownership& own, bool secret, std::string& why);
bool secure_dir(const std::filesystem::path& dir, const Ownership& own, std::string& why);

// The server's certificate chain: `single` (root -> leaf, RSA 2048) or `azure` (root RSA 2048 -> intermediate
// RSA 4096 -> leaf RSA 2048, the server sending leaf + intermediate, as Azure IoT Hub does).
enum class ChainShape { single, azure };
// "default" | "azure" (the --chain values); nullopt for anything else.
std::optional<ChainShape> parse_chain_shape(const std::string& text);
const char* chain_shape_name(ChainShape shape);
// The shape the data dir's certificates have (a data dir from before shapes: single).
ChainShape chain_shape_of(const std::filesystem::path& dir);

// Creates ca.crt/ca.key on first use and server.crt/server.key for host_name when missing, for another host name,
// or for another chain shape than the data dir has (`requested`; nullopt keeps the data dir's, default for a new
// one). Every certificate made starts a day in the past. Uses the `openssl` command (see hub_certs.cpp).
bool ensure_certificates(const std::filesystem::path& dir, const std::string& host_name, const Ownership& own,
                         std::optional<ChainShape> requested, std::string& why);

// Writes DIR/mosquitto.conf for the plugin and the configured listeners.
bool write_broker_config(const std::filesystem::path& dir, const HubConfig& config,
                         const std::filesystem::path& plugin, const Ownership& own, std::string& why);

// True when nothing listens on bind:port (checked by binding it).
bool port_is_free(const std::string& bind, int port, std::string& why);

// Last `lines` lines of DIR/mosquitto.log (or another log in DIR), for failure messages.
std::string log_tail(const std::filesystem::path& dir, int lines, const char* file = "mosquitto.log");



// picohub-gateway (IoT Hub's REST API over HTTPS on bind:service_port), started after the broker.
struct GatewayStart {
  int pid = 0;          // running gateway, 0 when the service API is off
  std::string problem;  // why it is off, with what to do (empty when running or turned off on purpose)
};
// Starts it detached (DIR/gateway.pid, DIR/gateway.log) and waits up to `wait_s` until it listens.
GatewayStart start_gateway(const std::filesystem::path& dir, const HubConfig& config, double wait_s);
// SIGTERM (SIGKILL after wait_s) to the gateway of DIR; returns its pid, 0 when none ran.
int stop_gateway(const std::filesystem::path& dir, double wait_s);
}  // namespace picohub::cli
