// `picohub hub start|stop|status`: run the local IoT Hub (mosquitto + the picohub plugin) from a data directory.
#include "command.hpp"
#include "data_dir.hpp"
#include "service_call.hpp"
#include "service_hub.hpp"

#include "hub/codec.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <csignal>
#include <fcntl.h>
#include <iostream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace picohub::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct StartOptions {
  ServiceOptions service;
  int port = 8883;
  std::string host_name = "localhost";
  std::string bind = "127.0.0.1";
  int insecure_port = 0;
  int service_port = 443;
  CLI::Option* service_port_opt = nullptr;
  int amqp_port = 5671;
  CLI::Option* amqp_port_opt = nullptr;
  bool foreground = false;
  double wait = 20.0;
  std::string chain;  // "" keeps the data dir's chain shape
  CLI::Option* port_opt = nullptr;
  CLI::Option* host_opt = nullptr;
  CLI::Option* bind_opt = nullptr;
  CLI::Option* insecure_opt = nullptr;
  double retention_days = 7;
  double retention_mb = 1024;
  bool fsync = false;
  CLI::Option* retention_days_opt = nullptr;
  CLI::Option* retention_mb_opt = nullptr;
  CLI::Option* fsync_opt = nullptr;
};

std::string data_flag(const fs::path& dir) {
  // Only tell the user to repeat --data-dir when the directory is not what they get by default.
  return resolve_data_dir("") == dir ? std::string() : " --data-dir " + dir.string();
}

// The hub needs the patched broker (PUBACK and Will events, docs/hub-acks.md); Debian's binary cannot run it.
fs::path mosquitto_binary() {
  if (const char* env = std::getenv("PICOHUB_MOSQUITTO"); env != nullptr && *env != '\0') return env;
  return PICOHUB_HUB_BROKER;
}

volatile std::sig_atomic_t g_forward_signal = 0;
void remember_signal(int sig) { g_forward_signal = sig; }

// The gateway's two lines in start and status: where each endpoint listens, or why it is off.
void print_service_endpoints(const HubConfig& config, int pid, int service_port, int amqp_port,
                             const std::string& service_off, const std::string& amqp_off) {
  const std::string by = pid != 0 ? ", picohub-gateway pid " + std::to_string(pid) : "";
  if (service_port != 0) {
    std::cout << "  service   https://" << config.host_name
              << (service_port == 443 ? "" : ":" + std::to_string(service_port)) << " (IoT Hub REST API" << by << ")\n";
    std::cout
        << "  mqtt-ws   wss://" << config.host_name << (service_port == 443 ? "" : ":" + std::to_string(service_port))
        << "/$iothub/websocket (MQTT over WebSockets for the hub and DPS, subprotocol mqtt; picohub sim --websocket)\n";
  } else if (config.service_port != 0 && !service_off.empty()) {
    std::cout << "  service   off: " << service_off << "\n";
  }
  if (amqp_port != 0) {
    std::cout << "  amqp      amqps://" << config.host_name << ":" << amqp_port
              << " (IoT Hub AMQP: C2D, feedback, Event Hub-compatible telemetry" << by << ")\n";
  } else if (config.amqp_port != 0 && !amqp_off.empty()) {
    std::cout << "  amqp      off: " << amqp_off << "\n";
  }
}

// Waits until the broker accepts TLS and answers hub.info; returns the info or nullopt with err set.
std::optional<json> wait_ready(const fs::path& dir, pid_t child, double seconds, ServiceError& err) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  ServiceError last;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (child > 0 && ::waitpid(child, &status, WNOHANG) == child) {
      const std::string tail = log_tail(dir, 12);
      err = {exit_failure,
             "mosquitto exited during start-up; the end of " + (dir / "mosquitto.log").string() + " says:\n" + tail};
      // A broker built before patches/mosquitto/picohub-client-certs.patch does not know the listener option.
      if (tail.find("picohub_request_certificate") != std::string::npos) {
        err.message +=
            "  this broker lacks picohub's client-certificate patch: rebuild it with ./run setup "
            "(scripts/mosquitto.sh)\n";
      }
      return std::nullopt;
    }
    last = {};
    if (auto client = HubSession::connect(dir, 2.0, last)) {
      if (auto info = client->request("hub.info", json::object(), 3.0, last)) return info;
    }
    if (last.exit_code == exit_auth) break;  // a refusal will not change by waiting
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  err = {last.exit_code == exit_auth ? exit_auth : exit_failure,
         "the hub did not become ready within " + std::to_string(static_cast<int>(seconds)) + " s (last error: " +
             last.message + "); see " + (dir / "mosquitto.log").string() + ":\n" + log_tail(dir, 12)};
  return std::nullopt;
}

// A broker that ran as root before (its parents were not reachable then) left state.db owned by root: when it
// now runs as mosquitto, give the database and its journal files to that user so it can write them.
bool hand_state_to_broker(const fs::path& dir, const Ownership& own, std::string& why) {
  if (!own.shares_with_broker_group()) return true;
  for (const char* name : {"state.db", "state.db-wal", "state.db-shm", "state.db.telemetry-journal"}) {
    const fs::path file = dir / name;
    std::error_code ec;
    if (!fs::exists(file, ec)) continue;
    if (::chown(file.c_str(), own.broker_uid, own.broker_gid) != 0) {
      why = "cannot give " + file.string() + " to user mosquitto: " + std::strerror(errno);
      return false;
    }
  }
  return true;
}

int hub_start(StartOptions& o) {
  const fs::path dir = resolve_data_dir(o.service.data);
  const bool json_out = o.service.json;
  std::string why;
  if (const int pid = running_pid(dir); pid != 0) {
    ServiceError err;
    auto config = load_hub_config(dir, why);
    if (json_out) {
      std::cout << json{{"running", true},
                        {"alreadyRunning", true},
                        {"pid", pid},
                        {"dataDir", dir.string()},
                        {"port", config ? config->port : 0}}
                       .dump(2)
                << '\n';
    } else {
      std::cout << "a hub is already running for " << dir.string() << " (pid " << pid << ", port "
                << (config ? config->port : 0) << "): stop it first with picohub hub stop" << data_flag(dir)
                << " to change its settings\n";
    }
    return exit_ok;
  }
  const fs::path mosquitto = mosquitto_binary();
  if (::access(mosquitto.c_str(), X_OK) != 0) {
    return report_error({exit_failure, "the local hub broker is not built (" + mosquitto.string() +
                                           " is missing): the hub runs mosquitto 2.0.11 patched to show PUBACKs and "
                                           "Wills to its plugin (patches/mosquitto); build it with ./run setup (or "
                                           "scripts/mosquitto.sh), or point PICOHUB_MOSQUITTO at such a build"},
                        json_out);
  }
  std::string searched;
  const fs::path plugin = find_plugin(searched);
  if (plugin.empty()) {
    return report_error(
        {exit_failure, "the picohub broker plugin picohub_hub.so was not found (looked for " + searched +
                           "): build it with cmake --build build/host --target picohub_hub_plugin, "
                           "or point PICOHUB_PLUGIN at it"},
        json_out);
  }

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return report_error({exit_failure, "cannot create the data dir " + dir.string() + ": " + ec.message() +
                                           ": choose one you can write with --data-dir DIR or PICOHUB_DATA=DIR"},
                        json_out);
  }
  const Ownership own = decide_ownership(dir, plugin);
  if (!secure_dir(dir, own, why)) return report_error({exit_failure, why}, json_out);
  if (!hand_state_to_broker(dir, own, why)) return report_error({exit_failure, why}, json_out);

  HubConfig config;
  std::string ignored;
  const bool existing = fs::exists(dir / "hub.json", ec);
  if (existing) {
    auto loaded = load_hub_config(dir, why);
    if (!loaded) return report_error({exit_failure, why}, json_out);
    config = *loaded;
  }
  if (!existing || o.port_opt->count() > 0) config.port = o.port;
  if (!existing || o.host_opt->count() > 0) config.host_name = o.host_name;
  if (!existing || o.bind_opt->count() > 0) config.bind = o.bind;
  if (o.service_port_opt->count() > 0) config.service_port = o.service_port;
  if (config.service_port < 0 || config.service_port > 65535) {
    return report_error({exit_usage, "--service-port must be 0 (off) or between 1 and 65535"}, json_out);
  }
  if (o.amqp_port_opt->count() > 0) config.amqp_port = o.amqp_port;
  if (config.amqp_port < 0 || config.amqp_port > 65535) {
    return report_error({exit_usage, "--amqp-port must be 0 (off) or between 1 and 65535"}, json_out);
  }
  if (config.amqp_port != 0 && config.amqp_port == config.service_port) {
    return report_error({exit_usage, "--amqp-port and --service-port must differ (or be 0)"}, json_out);
  }
  if (o.insecure_opt->count() > 0) {
    config.insecure_port = o.insecure_port > 0 ? std::optional<int>(o.insecure_port) : std::nullopt;
  }
  if (o.retention_days_opt->count() > 0) {
    if (!(o.retention_days > 0)) {
      return report_error({exit_usage, "--retention-days must be > 0 and --retention-mb at least 1"}, json_out);
    }
    config.retention.max_age_ms = static_cast<std::int64_t>(o.retention_days * 86400000.0);
  }
  if (o.retention_mb_opt->count() > 0) {
    config.retention.max_bytes = static_cast<std::uint64_t>(o.retention_mb * 1048576.0);
  }
  if (o.fsync_opt->count() > 0) config.durability_fsync = o.fsync;
  if (config.retention.max_age_ms <= 0 || config.retention.max_bytes < 1048576) {
    return report_error({exit_usage, "--retention-days must be > 0 and --retention-mb at least 1"}, json_out);
  }
  if (config.port < 1 || config.port > 65535) {
    return report_error({exit_usage, "--port must be between 1 and 65535"}, json_out);
  }
  // IoT Hub's default policies (iothubowner first of all); a data dir from before they existed gets the missing
  // ones now.
  hub::add_default_policies(config.policies, [] { return hub::random_key_base64(32); });
  if (!save_hub_config(dir, config, fs::perms::owner_read | fs::perms::owner_write, why) ||
      !secure_file(dir / "hub.json", own, true, why)) {
    return report_error({exit_failure, why}, json_out);
  }
  if (!port_is_free(config.bind, config.port, why)) return report_error({exit_failure, why}, json_out);
  if (config.insecure_port && !port_is_free("127.0.0.1", *config.insecure_port, why)) {
    return report_error({exit_failure, why + " (--insecure-port)"}, json_out);
  }
  const auto chain = o.chain.empty() ? std::nullopt : parse_chain_shape(o.chain);
  if (!ensure_certificates(dir, config.host_name, own, chain, why)) return report_error({exit_failure, why}, json_out);
  if (!write_broker_config(dir, config, plugin, own, why)) return report_error({exit_failure, why}, json_out);

  const fs::path log = dir / "mosquitto.log";
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) return report_error({exit_failure, "cannot open " + log.string()}, json_out);
  std::cout.flush();
  const pid_t child = ::fork();
  if (child < 0) return report_error({exit_failure, "cannot start mosquitto: fork failed"}, json_out);
  if (child == 0) {
    // The broker outlives this command: new session, no inherited pipes (a caller capturing our output must
    // not wait for the broker), stdout/stderr into the log.
    if (!o.foreground) ::setsid();
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::close_range(3, ~0U, 0);
    const std::string conf = (dir / "mosquitto.conf").string();
    ::execl(mosquitto.c_str(), "mosquitto", "-c", conf.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  ::close(log_fd);
  {
    std::ofstream pid_file(dir / "mosquitto.pid", std::ios::trunc);
    pid_file << child << '\n';
  }
  ServiceError err;
  const auto info = wait_ready(dir, child, o.wait, err);
  if (!info) {
    ::kill(child, SIGTERM);
    for (int i = 0; i < 50 && ::waitpid(child, nullptr, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, WNOHANG);
    fs::remove(dir / "mosquitto.pid", ec);
    return report_error(err, json_out);
  }
  // The service endpoints: a port chosen on purpose that fails fails the start; the default 443 or 5671 failing
  // (a normal user, or a busy port) leaves the broker up and says how to turn that endpoint on.
  const bool service_chosen = o.service_port_opt->count() > 0 || config.service_port != 443;
  const bool amqp_chosen = o.amqp_port_opt->count() > 0 || config.amqp_port != 5671;
  const GatewayStart gateway = start_gateway(dir, config, service_chosen, amqp_chosen, 10.0);
  if (gateway.failed) {
    stop_gateway(dir, 5.0);
    ::kill(child, SIGTERM);
    for (int i = 0; i < 50 && ::waitpid(child, nullptr, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    fs::remove(dir / "mosquitto.pid", ec);
    const std::string& problem = service_chosen && !gateway.service_problem.empty() ? gateway.service_problem
                                                                                    : gateway.amqp_problem;
    return report_error({exit_failure, problem + " (the hub was not started)"}, json_out);
  }
  const int devices = info->value("devices", 0);
  // The web dashboard is served by the gateway at its root (docs/service-api.md, "Dashboard").
  const std::string dashboard_url = "https://" + config.host_name +
                                    (config.service_port == 443 ? "" : ":" + std::to_string(config.service_port)) + "/";
  const std::string websocket_url = "wss://" + config.host_name +
                                    (config.service_port == 443 ? "" : ":" + std::to_string(config.service_port)) +
                                    "/$iothub/websocket";
  if (json_out) {
    std::cout << json{{"running", true},
                      {"pid", child},
                      {"dataDir", dir.string()},
                      {"hostName", config.host_name},
                      {"port", config.port},
                      {"bind", config.bind},
                      {"insecurePort", config.insecure_port ? json(*config.insecure_port) : json(nullptr)},
                      {"caFile", (dir / "ca.crt").string()},
                      {"chain", chain_shape_name(chain_shape_of(dir))},
                      {"log", log.string()},
                      {"devices", devices},
                      {"brokerUser", own.as_root ? own.broker_user : std::string()},
                      {"connectedDevices", info->value("connectedDevices", 0)},
                      {"servicePort", gateway.service_port != 0 ? json(gateway.service_port) : json(nullptr)},
                      {"amqpPort", gateway.amqp_port != 0 ? json(gateway.amqp_port) : json(nullptr)},
                      {"gatewayPid", gateway.pid != 0 ? json(gateway.pid) : json(nullptr)},
                      {"dashboardUrl", gateway.service_port != 0 ? json(dashboard_url) : json(nullptr)},
                      {"webSocketUrl", gateway.service_port != 0 ? json(websocket_url) : json(nullptr)},
                      {"serviceApiProblem",
                       gateway.service_problem.empty() ? json(nullptr) : json(gateway.service_problem)},
                      {"amqpProblem", gateway.amqp_problem.empty() ? json(nullptr) : json(gateway.amqp_problem)}}
                     .dump(2)
              << '\n';
  } else {
    std::cout << "local IoT hub running (mosquitto pid " << child << ")\n"
              << "  endpoint  " << config.host_name << ":" << config.port << " (MQTT over TLS, listening on "
              << config.bind << (config.bind == "127.0.0.1" ? " and ::1" : "") << ")\n"
              << "  CA        " << (dir / "ca.crt").string()
              << "  (devices must trust it: Node setOptions({ca}) or NODE_EXTRA_CA_CERTS)\n";
    if (chain_shape_of(dir) == ChainShape::azure) {
      std::cout
          << "  chain     azure: root RSA-2048 -> intermediate RSA-4096 -> leaf RSA-2048 (--chain default to undo)\n";
    }
    if (config.insecure_port) {
      std::cout << "  plain     127.0.0.1:" << *config.insecure_port << " (no TLS, for debugging)\n";
    }
    print_service_endpoints(config, gateway.pid, gateway.service_port, gateway.amqp_port, gateway.service_problem,
                            gateway.amqp_problem);
    if (gateway.pid != 0)
      std::cout << "            connection strings: picohub hub connection-string" << data_flag(dir) << "\n";
    if (gateway.service_port != 0) {
      std::cout << "  dashboard " << dashboard_url << " (sign in with the service connection string; trust "
                << (dir / "ca.crt").string() << " in the browser, see README)\n";
    }
    std::cout << "  data      " << dir.string() << "  (log: mosquitto.log)\n"
              << "  devices   " << devices << "\n";
    if (!own.why_root.empty()) {
      std::cout << "  broker    runs as root: " << own.why_root
                << " (to run it as mosquitto, use a data dir it can reach, e.g. --data-dir /var/lib/picohub)\n";
    }
    if (devices == 0) std::cout << "next: create a device: picohub device create dev1" << data_flag(dir) << "\n";
  }
  std::cout.flush();
  if (!o.foreground) return exit_ok;

  // --foreground: stay attached, forward Ctrl-C / SIGTERM to the broker and return when it exits.
  std::signal(SIGINT, remember_signal);
  std::signal(SIGTERM, remember_signal);
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(child, &status, WNOHANG);
    if (r == child) break;
    if (g_forward_signal != 0) {
      ::kill(child, SIGTERM);
      g_forward_signal = 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  fs::remove(dir / "mosquitto.pid", ec);
  stop_gateway(dir, 5.0);
  std::cout << "hub stopped\n";
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? exit_ok : exit_failure;
}

int hub_stop(const ServiceOptions& o, double wait_s) {
  const fs::path dir = resolve_data_dir(o.data);
  std::error_code ec;
  stop_gateway(dir, wait_s);
  const int pid = running_pid(dir);
  if (pid == 0) {
    fs::remove(dir / "mosquitto.pid", ec);
    if (o.json) {
      std::cout << json{{"stopped", false}, {"running", false}, {"dataDir", dir.string()}}.dump(2) << '\n';
    } else {
      std::cout << "no hub running for " << dir.string() << ": nothing to stop\n";
    }
    return exit_ok;
  }
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  bool forced = false;
  while (running_pid(dir) != 0) {
    ::waitpid(pid, nullptr, WNOHANG);  // reap it if it happens to be our child
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      forced = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (running_pid(dir) != 0) {
    return report_error({exit_failure, "mosquitto (pid " + std::to_string(pid) + ") did not stop: kill it by hand"},
                        o.json);
  }
  fs::remove(dir / "mosquitto.pid", ec);
  if (o.json) {
    std::cout << json{{"stopped", true}, {"pid", pid}, {"forced", forced}, {"dataDir", dir.string()}}.dump(2) << '\n';
  } else {
    std::cout << "hub stopped (pid " << pid
              << (forced
                      ? ", killed after " + std::to_string(static_cast<int>(wait_s)) + " s without exiting on SIGTERM"
                      : "")
              << "); devices, twins and queued messages are kept in " << (dir / "state.db").string() << "\n";
  }
  return exit_ok;
}

int hub_status(const ServiceOptions& o) {
  const fs::path dir = resolve_data_dir(o.data);
  const int pid = running_pid(dir);
  std::string why;
  const auto config = load_hub_config(dir, why);
  if (pid == 0) {
    if (o.json) {
      std::cout << json{{"running", false}, {"dataDir", dir.string()}, {"configured", config.has_value()}}.dump(2)
                << '\n';
    } else {
      std::cout << "not running: " << (config ? "" : "no hub set up in ") << dir.string()
                << "\nstart it with picohub hub start" << data_flag(dir) << "\n";
    }
    return exit_failure;
  }
  ServiceError err;
  std::optional<json> info;
  if (auto client = HubSession::connect(dir, o.timeout, err))
    info = client->request("hub.info", json::object(), o.timeout, err);
  if (o.json) {
    json out = {{"running", true}, {"pid", pid}, {"dataDir", dir.string()}, {"caFile", (dir / "ca.crt").string()}};
    if (config) {
      out["hostName"] = config->host_name;
      out["port"] = config->port;
    }
    out["reachable"] = info.has_value();
    const int gw = gateway_pid(dir);
    const int service_port = gateway_port(dir, "--service-port"), amqp_port = gateway_port(dir, "--amqp-port");
    out["gatewayPid"] = gw != 0 ? json(gw) : json(nullptr);
    out["servicePort"] = service_port != 0 ? json(service_port) : json(nullptr);
    out["amqpPort"] = amqp_port != 0 ? json(amqp_port) : json(nullptr);
    if (info) {
      out["devices"] = info->value("devices", 0);
      out["connectedDevices"] = info->value("connectedDevices", 0);
      if (info->contains("version")) out["version"] = (*info)["version"];
      if (info->contains("idScope")) out["idScope"] = (*info)["idScope"];
    } else {
      out["error"] = err.message;
    }
    std::cout << out.dump(2) << '\n';
  } else {
    std::cout << "running (mosquitto pid " << pid << ")\n";
    if (config) std::cout << "  endpoint  " << config->host_name << ":" << config->port << " (TLS)\n";
    if (config) {
      print_service_endpoints(*config, gateway_pid(dir), gateway_port(dir, "--service-port"),
                              gateway_port(dir, "--amqp-port"),
                              "not running: restart with picohub hub start --service-port N (443 needs root or "
                              "CAP_NET_BIND_SERVICE)",
                              "not running: restart with picohub hub start --amqp-port N");
    }
    std::cout << "  CA        " << (dir / "ca.crt").string() << "\n  data      " << dir.string() << "\n";
    if (info) {
      std::cout << "  devices   " << info->value("devices", 0) << " (" << info->value("connectedDevices", 0)
                << " connected)\n";
      if (info->contains("idScope"))
        std::cout << "  DPS       id scope " << info->value("idScope", "") << " on the same port (docs/dps.md)\n";
    } else {
      std::cout << "  but it does not answer: " << err.message << "\n";
    }
  }
  return info ? exit_ok : exit_failure;
}

// The service connection string for a policy, and the Event Hub-compatible one (served by the AMQP endpoint on
// 5671; EntityPath is the hub's name, the first label of its host name).
int hub_connection_string(const ServiceOptions& o, const std::string& policy_name) {
  const fs::path dir = resolve_data_dir(o.data);
  std::string why;
  const auto config = load_hub_config(dir, why);
  if (!config) return report_error({exit_failure, why}, o.json);
  auto policy = config->policies.find(policy_name);
  if (policy == config->policies.end()) {
    std::string names;
    for (const auto& [name, keys] : config->policies) names += (names.empty() ? "" : ", ") + name;
    return report_error({exit_usage, "no policy '" + policy_name + "' in " + (dir / "hub.json").string() +
                                         " (policies: " + names + "; run picohub hub start to add the defaults)"},
                        o.json);
  }
  const std::string& key = policy->second.primary_key;
  const std::string service = "HostName=" + config->host_name + ";SharedAccessKeyName=" + policy_name +
                              ";SharedAccessKey=" + key;
  const std::string hub_name = config->host_name.substr(0, config->host_name.find('.'));
  const std::string amqp_at = config->host_name +
                              (config->amqp_port == 5671 ? "" : ":" + std::to_string(config->amqp_port));
  const std::string events = "Endpoint=sb://" + amqp_at + "/;SharedAccessKeyName=" + policy_name +
                             ";SharedAccessKey=" + key + ";EntityPath=" + hub_name;
  if (o.json) {
    std::cout << json{{"policy", policy_name},
                      {"connectionString", service},
                      {"eventHubConnectionString", events},
                      {"caFile", (dir / "ca.crt").string()}}
                     .dump(2)
              << '\n';
  } else {
    std::cout << service << "\n"
              << "Event Hub-compatible (AMQP, port " << config->amqp_port << "): " << events << "\n"
              << "trust the hub's CA: NODE_EXTRA_CA_CERTS=" << (dir / "ca.crt").string() << "\n";
  }
  return exit_ok;
}

}  // namespace

PICOHUB_COMMAND(60, [](CLI::App& root, int& exit_code) {
  auto* hub = root.add_subcommand("hub", "run the local IoT Hub (mosquitto + picohub plugin): start, stop, status");
  hub->require_subcommand(1);

  auto start_options = std::make_shared<StartOptions>();
  auto* start = hub->add_subcommand("start",
                                    "start the local hub in the background (creates its CA and keys on first start)");
  add_service_options(*start, start_options->service);
  start_options->port_opt = start->add_option("--port", start_options->port, "TLS port (default 8883)");
  start_options->host_opt = start->add_option(
      "--host-name", start_options->host_name,
      "the hub's HostName in connection strings and its certificate (default localhost)");
  start_options->bind_opt = start->add_option("--bind", start_options->bind,
                                              "address to listen on (default 127.0.0.1, plus ::1)");
  start_options->insecure_opt = start->add_option("--insecure-port", start_options->insecure_port,
                                                  "also listen without TLS on 127.0.0.1:N (debugging; 0 turns it off)");
  start
      ->add_option("--chain", start_options->chain,
                   "server certificate chain: 'default' (root RSA-2048 -> leaf) or 'azure' (root RSA-2048 -> "
                   "intermediate RSA-4096 -> leaf RSA-2048, leaf + intermediate sent: a board's handshake then costs "
                   "what it costs against Azure IoT Hub); kept in the data dir until given again; ca.crt stays")
      ->check(CLI::IsMember({"default", "azure"}));
  start_options->retention_days_opt = start->add_option(
      "--retention-days", start_options->retention_days,
      "keep telemetry in state.db this many days (default 7; kept in hub.json)");
  start_options->retention_mb_opt = start->add_option(
      "--retention-mb", start_options->retention_mb,
      "and at most this many MiB of state.db, oldest telemetry deleted first (default 1024; kept in hub.json)");
  start_options->fsync_opt = start->add_flag(
      "--fsync,!--no-fsync", start_options->fsync,
      "fdatasync every acknowledged message and commit: survives power loss, costs broker CPU (kept in hub.json)");
  start_options->service_port_opt = start->add_option(
      "--service-port", start_options->service_port,
      "HTTPS port of IoT Hub's service REST API on --bind (default 443, as azure-iothub requires; 0 turns it off; "
      "kept in hub.json)");
  start_options->amqp_port_opt = start->add_option(
      "--amqp-port", start_options->amqp_port,
      "AMQPS port of IoT Hub's AMQP endpoint and its Event Hub-compatible endpoint on --bind (default 5671; 0 turns "
      "it off; kept in hub.json)");
  start->add_flag("--foreground", start_options->foreground, "stay attached; Ctrl-C stops the hub");
  start->add_option("--wait", start_options->wait, "seconds to wait for the hub to become ready (default 20)");
  start->callback([start_options, &exit_code] { exit_code = hub_start(*start_options); });

  auto stop_options = std::make_shared<ServiceOptions>();
  auto stop_wait = std::make_shared<double>(10.0);
  auto* stop = hub->add_subcommand("stop", "stop the local hub (SIGTERM, then SIGKILL after --wait seconds)");
  add_service_options(*stop, *stop_options);
  stop->add_option("--wait", *stop_wait, "seconds to wait before killing it (default 10)");
  stop->callback([stop_options, stop_wait, &exit_code] { exit_code = hub_stop(*stop_options, *stop_wait); });

  auto cs_options = std::make_shared<ServiceOptions>();
  auto cs_policy = std::make_shared<std::string>("iothubowner");
  auto* cs = hub->add_subcommand("connection-string",
                                 "print the service connection string (and the Event Hub-compatible one) of a policy");
  add_service_options(*cs, *cs_options);
  cs->add_option("--policy", *cs_policy,
                 "shared access policy: iothubowner (default), service, device, registryRead, registryReadWrite");
  cs->callback([cs_options, cs_policy, &exit_code] { exit_code = hub_connection_string(*cs_options, *cs_policy); });

  auto status_options = std::make_shared<ServiceOptions>();
  auto* status = hub->add_subcommand("status", "is the hub running? pid, endpoint, devices (exit 1 when not running)");
  add_service_options(*status, *status_options);
  status->callback([status_options, &exit_code] { exit_code = hub_status(*status_options); });
});

}  // namespace picohub::cli
