#include "hub/data_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace picohub::hub {

namespace fs = std::filesystem;

namespace {

// The ancestors of `dir`, outermost first ("/", "/root", "/root/.local", ...), without `dir` itself.
std::vector<fs::path> ancestors_of(const fs::path& dir) {
  std::vector<fs::path> out;
  for (fs::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    out.insert(out.begin(), p);
    if (p == p.root_path()) break;
  }
  return out;
}

// Asks the kernel, as `user`, whether it can traverse every ancestor of `dir` and read `plugin` (a child process
// switches to the user: this honours groups and ACLs, which reading mode bits would not). Returns "" when it
// can, else what blocks it.
std::string unreachable_for(const passwd& user, const fs::path& dir, const fs::path& plugin) {
  const auto parents = ancestors_of(dir);
  const pid_t pid = ::fork();
  if (pid < 0) return "cannot check (fork failed)";
  if (pid == 0) {
    if (::initgroups(user.pw_name, user.pw_gid) != 0 || ::setgid(user.pw_gid) != 0 || ::setuid(user.pw_uid) != 0) {
      std::_Exit(126);
    }
    for (std::size_t i = 0; i < parents.size() && i < 100; ++i) {
      if (::access(parents[i].c_str(), X_OK) != 0) std::_Exit(static_cast<int>(i + 1));
    }
    std::_Exit(::access(plugin.c_str(), R_OK) == 0 ? 0 : 101);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 126;
  if (code == 0) return "";
  if (code == 101) return "it cannot read the plugin " + plugin.string();
  if (code >= 1 && code <= static_cast<int>(parents.size())) {
    return "it cannot enter " + parents[static_cast<std::size_t>(code - 1)].string();
  }
  return "cannot check whether it can reach the data dir";
}

}  // namespace

Ownership decide_ownership(const fs::path& dir, const fs::path& plugin) {
  Ownership own;
  if (::geteuid() != 0) return own;
  own.as_root = true;
  own.broker_user = "root";
  const passwd* pw = ::getpwnam("mosquitto");
  if (pw == nullptr) {
    own.why_root = "there is no user mosquitto on this system";
    return own;
  }
  const passwd user = *pw;  // getpwnam's buffer is static
  const std::string name = user.pw_name;
  if (std::string blocked = unreachable_for(user, dir, plugin); !blocked.empty()) {
    own.why_root = "user mosquitto cannot reach the data dir (" + blocked + ")";
    return own;
  }
  own.broker_user = name;
  own.broker_uid = user.pw_uid;
  own.broker_gid = user.pw_gid;
  return own;
}

bool secure_file(const fs::path& file, const Ownership& own, bool secret, std::string& why) {
  mode_t mode = secret ? 0600 : 0644;
  if (own.shares_with_broker_group() && secret) {
    mode = 0640;
    if (::chown(file.c_str(), 0, own.broker_gid) != 0) {
      why = "cannot give " + file.string() + " to group mosquitto: " + std::strerror(errno);
      return false;
    }
  }
  if (::chmod(file.c_str(), mode) != 0) {
    why = "cannot set the mode of " + file.string() + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool secure_dir(const fs::path& dir, const Ownership& own, std::string& why) {
  mode_t mode = 0700;
  if (own.shares_with_broker_group()) {
    mode = 0770;
    if (::chown(dir.c_str(), 0, own.broker_gid) != 0) {
      why = "cannot give " + dir.string() + " to group mosquitto: " + std::strerror(errno);
      return false;
    }
  }
  if (::chmod(dir.c_str(), mode) != 0) {
    why = "cannot set the mode of " + dir.string() + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace picohub::hub
