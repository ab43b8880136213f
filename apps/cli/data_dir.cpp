#include "data_dir.hpp"

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

std::optional<HubConfig> load_hub_config(const fs::path& dir, std::string& why) {
  const fs::path file = dir / "hub.json";
  std::ifstream in(file);
  if (!in) {
    why = "no hub in " + dir.string() + " (missing hub.json): start one with picohub hub start --data " + dir.string();
    return std::nullopt;
  }
  auto doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    why = file.string() + " is not valid JSON: delete the directory and run picohub hub start again";
    return std::nullopt;
  }
  HubConfig config;
  try {
    config.host_name = doc.value("hostName", std::string("localhost"));
    config.port = doc.value("port", 8883);
    if (doc.contains("insecurePort") && doc["insecurePort"].is_number_integer()) {
      config.insecure_port = doc["insecurePort"].get<int>();
    }
    config.bind = doc.value("bind", std::string("127.0.0.1"));
    const auto& policy = doc.at("policies").at("iothubowner");
    config.primary_key = policy.at("primaryKey").get<std::string>();
    config.secondary_key = policy.value("secondaryKey", std::string());
    if (auto r = doc.find("retention"); r != doc.end() && r->is_object()) {
      config.retention_days = r->value("maxAgeDays", config.retention_days);
      config.retention_bytes = r->value("maxBytes", config.retention_bytes);
    }
    if (auto d = doc.find("durability"); d != doc.end() && d->is_object()) config.fsync = d->value("fsync", false);
  } catch (const nlohmann::json::exception&) {
    why = file.string() + " lacks the iothubowner policy keys: delete the directory and run picohub hub start again";
    return std::nullopt;
  }
  return config;
}

bool save_hub_config(const fs::path& dir, const HubConfig& config, fs::perms mode, std::string& why) {
  nlohmann::json doc = {
      {"hostName", config.host_name},
      {"port", config.port},
      {"insecurePort", config.insecure_port ? nlohmann::json(*config.insecure_port) : nlohmann::json(nullptr)},
      {"bind", config.bind},
      {"policies", {{"iothubowner", {{"primaryKey", config.primary_key}, {"secondaryKey", config.secondary_key}}}}},
      {"retention", {{"maxAgeDays", config.retention_days}, {"maxBytes", config.retention_bytes}}},
      {"durability", {{"fsync", config.fsync}}},
  };
  const fs::path tmp = dir / "hub.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) {
      why = "cannot write " + tmp.string() + ": check the directory's permissions";
      return false;
    }
    out << doc.dump(2) << '\n';
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

fs::path find_plugin(std::string& searched) {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("PICOHUB_PLUGIN"); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  } else {
    const auto dir = exe_dir();
    candidates.push_back(dir / ".." / "hub-plugin" / "picohub_hub.so");
    candidates.push_back(dir / ".." / "lib" / "picohub" / "picohub_hub.so");
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

std::string no_hub_message(const fs::path& dir) {
  return "no hub running for " + dir.string() + ": start one with picohub hub start --data " + dir.string();
}

}  // namespace picohub::cli
