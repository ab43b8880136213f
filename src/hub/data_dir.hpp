// The project's rule for who runs the broker and who may read the hub's data dir (shared with the CLI's
// `picohub hub start`, which should call apply_data_dir_permissions after writing the files):
//   run as root  → mosquitto.conf says `user mosquitto` (mosquitto 2.0.11 drops privileges BEFORE it loads
//                  plugins, so the plugin runs as mosquitto too); the data dir is 0770 and the secrets the broker
//                  reads (hub.json, server.key) are 0640, all group mosquitto; ca.key stays 0600 root.
//   normal user → no `user` line (mosquitto does not switch users); dir 0700, secrets 0600.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

namespace picohub::hub {

struct BrokerRunAs {
  std::string user_line;  // "user mosquitto" or "" (no line)
  mode_t dir_mode = 0700;
  mode_t secret_mode = 0600;
  gid_t group = static_cast<gid_t>(-1);  // mosquitto's group when running as root
};

// From geteuid() and the `mosquitto` group. nullopt + error when running as root without a mosquitto group.
std::optional<BrokerRunAs> broker_run_as(std::string& error);

// Applies the rule to DIR, hub.json, server.key, ca.key, ca.crt, server.crt (missing files are skipped).
// Returns an actionable error, or nullopt on success.
std::optional<std::string> apply_data_dir_permissions(const std::string& dir);

}  // namespace picohub::hub
