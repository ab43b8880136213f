#include "hub/data_dir.hpp"

#include <cerrno>
#include <cstring>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

namespace picohub::hub {

std::optional<BrokerRunAs> broker_run_as(std::string& error) {
  BrokerRunAs r;
  if (geteuid() != 0) return r;
  struct group* g = getgrnam("mosquitto");
  if (g == nullptr) {
    error = "running as root but there is no 'mosquitto' group; install the mosquitto package (it creates the user)";
    return std::nullopt;
  }
  r.user_line = "user mosquitto";
  r.dir_mode = 0770;
  r.secret_mode = 0640;
  r.group = g->gr_gid;
  return r;
}

std::optional<std::string> apply_data_dir_permissions(const std::string& dir) {
  std::string error;
  auto run_as = broker_run_as(error);
  if (!run_as) return error;
  auto set = [&](const std::string& path, mode_t mode, bool group) -> std::optional<std::string> {
    struct stat st{};
    if (stat(path.c_str(), &st) != 0) return std::nullopt;  // not written (yet): nothing to do
    if (group && run_as->group != static_cast<gid_t>(-1) && chown(path.c_str(), static_cast<uid_t>(-1), run_as->group) != 0) {
      return "cannot give " + path + " to group mosquitto: " + std::strerror(errno);
    }
    if (chmod(path.c_str(), mode) != 0) return "cannot chmod " + path + ": " + std::strerror(errno);
    return std::nullopt;
  };
  if (auto e = set(dir, run_as->dir_mode, true)) return e;
  for (const char* secret : {"hub.json", "server.key"}) {
    if (auto e = set(dir + "/" + secret, run_as->secret_mode, true)) return e;
  }
  if (auto e = set(dir + "/ca.key", 0600, false)) return e;
  for (const char* cert : {"ca.crt", "server.crt"}) {
    if (auto e = set(dir + "/" + cert, 0644, false)) return e;
  }
  return std::nullopt;
}

}  // namespace picohub::hub
