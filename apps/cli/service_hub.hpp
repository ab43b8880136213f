// `picohub hub start|stop|status`: the pieces behind the verb (certificates, broker config, process control).
#pragma once

#include "data_dir.hpp"

#include <filesystem>
#include <string>

namespace picohub::cli {

// File ownership for the data dir. As root, mosquitto drops to user `mosquitto`, so secrets are 0640
// root:mosquitto in a 0770 dir; as a normal user they are 0600 in a 0700 dir.
struct Ownership {
  bool as_root = false;
  unsigned broker_gid = 0;      // group of the broker user when as_root
  std::string broker_user;      // `user` line in mosquitto.conf ("" when not root)
};
Ownership decide_ownership();
bool secure_file(const std::filesystem::path& file, const Ownership& own, bool secret, std::string& why);
bool secure_dir(const std::filesystem::path& dir, const Ownership& own, std::string& why);

// Creates ca.crt/ca.key on first use and server.crt/server.key for host_name when missing or for another
// host name. Uses the `openssl` command (RSA 2048, see hub_certs.cpp for why).
bool ensure_certificates(const std::filesystem::path& dir, const std::string& host_name, const Ownership& own,
                         std::string& why);

// Writes DIR/mosquitto.conf for the plugin and the configured listeners.
bool write_broker_config(const std::filesystem::path& dir, const HubConfig& config,
                         const std::filesystem::path& plugin, const Ownership& own, std::string& why);

// True when nothing listens on bind:port (checked by binding it).
bool port_is_free(const std::string& bind, int port, std::string& why);

// Last `lines` lines of DIR/mosquitto.log, for failure messages.
std::string log_tail(const std::filesystem::path& dir, int lines);

}  // namespace picohub::cli
