// Who runs the broker, and so who must be able to read the hub's data dir: the project's one rule, used by
// `picohub hub start` (docs/control-protocol.md, "Running as root").
//   normal user → mosquitto does not switch users; secrets 0600 in a 0700 dir.
//   root        → mosquitto 2.0.11 drops to user `mosquitto` BEFORE it loads the plugin, so that user must reach
//                 the plugin and the data dir through every parent: then secrets are 0640 root:mosquitto in a
//                 0770 dir. When it cannot (the default ~/.local/share/picohub under a 0700 /root), or there is
//                 no mosquitto user, the broker keeps running as root (`user root`), everything 0600/0700 root.
#pragma once

#include <filesystem>
#include <string>

namespace picohub::hub {

struct Ownership {
  bool as_root = false;
  unsigned broker_uid = 0;  // the broker user when it is mosquitto
  unsigned broker_gid = 0;  // its group
  std::string broker_user;  // `user` line in mosquitto.conf ("" when not root)
  std::string why_root;     // set when root keeps the broker as root: the reason, for the start message
  bool shares_with_broker_group() const { return as_root && broker_user != "root"; }
};

// `dir` must exist: the broker user's reach is checked on it and on `plugin` by asking the kernel as that user
// (a child process switches to it: groups and ACLs count, which reading mode bits would miss).
Ownership decide_ownership(const std::filesystem::path& dir, const std::filesystem::path& plugin);

// Applies the rule: secrets 0600, or 0640 group mosquitto when shared with the broker; others 0644. On failure
// `why` says which file and why.
bool secure_file(const std::filesystem::path& file, const Ownership& own, bool secret, std::string& why);
// 0700, or 0770 group mosquitto when shared with the broker.
bool secure_dir(const std::filesystem::path& dir, const Ownership& own, std::string& why);

}  // namespace picohub::hub
