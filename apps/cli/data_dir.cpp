#include "data_dir.hpp"

#include "hub/config.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace picohub::cli {

namespace fs = std::filesystem;

fs::path resolve_data_dir(const std::string& flag_value) {
  if (!flag_value.empty()) return fs::absolute(flag_value).lexically_normal();
  if (const char* env = std::getenv("PICOHUB_DATA"); env != nullptr && *env != '\0') {
    return fs::absolute(env).lexically_normal();
  }
  const char* home = std::getenv("HOME");
  fs::path base = (home != nullptr && *home != '\0') ? fs::path(home) : fs::path("/tmp");
  return base / ".local" / "share" / "picohub";
}

// hub.json is parsed and written by src/hub/config (the plugin reads it with the same code); this is the CLI's
// view of it: the iothubowner policy is the one the service commands use.
std::optional<HubConfig> load_hub_config(const fs::path& dir, std::string& why) {
  const fs::path file = dir / "hub.json";
  std::ifstream in(file);
  if (!in) {
    why = "no hub in " + dir.string() + " (missing hub.json): start one with picohub hub start --data-dir " +
          dir.string();
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  auto parsed = hub::parse_hub_config(text.str(), error);
  if (!parsed) {
    why = file.string() + ": " + error;
    return std::nullopt;
  }
  auto owner = parsed->policies.find("iothubowner");
  if (owner == parsed->policies.end()) {
    why = file.string() + " lacks the iothubowner policy keys: delete the directory and run picohub hub start again";
    return std::nullopt;
  }
  return parsed;
}

hub::PolicyKeys& owner_policy(HubConfig& config) { return config.policies["iothubowner"]; }

const hub::PolicyKeys& owner_policy(const HubConfig& config) {
  static const hub::PolicyKeys none;
  auto it = config.policies.find("iothubowner");
  return it == config.policies.end() ? none : it->second;
}

bool save_hub_config(const fs::path& dir, const HubConfig& config, fs::perms mode, std::string& why) {
  hub::HubConfig doc = config;
  // The owner policy always has every right: the CLI and the gateway act through it.
  owner_policy(doc).rights = service::kRegistryRead | service::kRegistryWrite | service::kServiceConnect |
                             service::kDeviceConnect;
  const fs::path tmp = dir / "hub.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) {
      why = "cannot write " + tmp.string() + ": check the directory's permissions";
      return false;
    }
    out << hub::hub_config_json(doc);
  }
  std::error_code ec;
  fs::permissions(tmp, mode, ec);
  fs::rename(tmp, dir / "hub.json", ec);
  if (ec) {
    why = "cannot write " + (dir / "hub.json").string() + ": " + ec.message();
    return false;
  }
  return true;
}

static fs::path exe_dir() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

// $ENV_NAME, else the build tree's <exe dir>/../SUBDIR/FILE, else the installed <exe dir>/../lib/picohub/FILE.
static fs::path find_companion(const char* env_name, const char* subdir, const char* file, std::string& searched) {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv(env_name); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  } else {
    const auto dir = exe_dir();
    candidates.push_back(dir / ".." / subdir / file);
    candidates.push_back(dir / ".." / "lib" / "picohub" / file);
  }
  searched.clear();
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec)) return fs::weakly_canonical(c, ec);
    if (!searched.empty()) searched += ", ";
    searched += c.lexically_normal().string();
  }
  return {};
}

fs::path find_plugin(std::string& searched) {
  return find_companion("PICOHUB_PLUGIN", "hub-plugin", "picohub_hub.so", searched);
}

fs::path find_gateway(std::string& searched) {
  return find_companion("PICOHUB_GATEWAY", "gateway", "picohub-gateway", searched);
}

// The NUL-separated arguments of a live process, empty when it is gone or unreadable.
static std::vector<std::string> process_arguments(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::vector<std::string> args;
  std::string arg;
  while (std::getline(in, arg, '\0')) args.push_back(arg);
  return args;
}

// True when `pid` is a mosquitto started with `-c DIR/mosquitto.conf`: a pid file can outlive its broker and
// name a recycled pid, or another hub's broker (e.g. a data dir copied with its pid file).
static bool is_broker_of(long pid, const fs::path& dir) {
  const auto args = process_arguments(pid);
  if (args.empty() || fs::path(args[0]).filename() != "mosquitto") return false;
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  // Another user's process hides its exe (EACCES); then the command line has to do.
  if (!ec && exe.filename().string().find("mosquitto") == std::string::npos) return false;
  const fs::path ours = dir / "mosquitto.conf";
  for (std::size_t i = 1; i + 1 < args.size(); ++i) {
    if (args[i] != "-c") continue;
    const fs::path conf = args[i + 1];
    if (conf == ours || fs::equivalent(conf, ours, ec)) return true;
  }
  return false;
}

int running_pid(const fs::path& dir) {
  std::ifstream in(dir / "mosquitto.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 1) return 0;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return 0;
  if (!is_broker_of(pid, dir)) return 0;
  // A zombie child is not a running broker.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  if (auto close = line.rfind(')'); close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z') {
    return 0;
  }
  return static_cast<int>(pid);
}

int gateway_pid(const fs::path& dir) {
  std::ifstream in(dir / "gateway.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 1) return 0;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return 0;
  const auto args = process_arguments(pid);
  if (args.empty() || fs::path(args[0]).filename() != "picohub-gateway") return 0;
  std::error_code ec;
  for (std::size_t i = 1; i + 1 < args.size(); ++i) {
    if (args[i] == "--data-dir" && (fs::path(args[i + 1]) == dir || fs::equivalent(args[i + 1], dir, ec))) {
      return static_cast<int>(pid);
    }
  }
  return 0;
}

int gateway_port(const fs::path& dir, const std::string& flag) {
  const int pid = gateway_pid(dir);
  if (pid == 0) return 0;
  const auto args = process_arguments(pid);
  for (std::size_t i = 1; i + 1 < args.size(); ++i) {
    if (args[i] == flag) return std::atoi(args[i + 1].c_str());
  }
  return 0;
}

std::string no_hub_message(const fs::path& dir) {
  return "no hub running for " + dir.string() + ": start one with picohub hub start --data-dir " + dir.string();
}

}  // namespace picohub::cli
