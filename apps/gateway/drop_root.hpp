// The gateway binds the service ports (443, 5671) as root, then stops being root: it needs only to read the data
// dir (hub.json, server.crt/key, ca.crt), which the user it becomes can, by the rule of src/hub/data_dir.hpp.
#pragma once

#include <filesystem>
#include <string>

namespace picohub::gateway {

// When running as root: becomes the data dir's owner, or (a root-owned dir shared with the broker's group, as
// `hub start` leaves it for user mosquitto) the user named like that group, with that group and no others.
// Stays root when the dir is root's alone (the broker then runs as root too). Returns what happened, for the
// log; `ok` false when a switch was due and failed (the caller exits rather than serve as root by accident).
struct DropResult {
  bool ok = true;
  std::string what;  // "" when not root
};
DropResult drop_root(const std::filesystem::path& data_dir);

}  // namespace picohub::gateway
