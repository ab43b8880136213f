// `picohub hub start|stop` for picohub-gateway: the hub's service endpoints (REST over HTTPS, AMQP) run beside the
// broker as one separate process (docs/service-api.md), found like the plugin and checked like the broker
// (pid + cmdline).
#include "service_hub.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace picohub::cli {

namespace fs = std::filesystem;

namespace {

std::string connect_host(const std::string& bind) {
  return (bind.empty() || bind == "0.0.0.0" || bind == "*") ? "127.0.0.1" : (bind == "::" ? "::1" : bind);
}

bool accepts_connections(const std::string& bind, int port) {
  const std::string host = connect_host(bind);
  sockaddr_storage storage{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v6;
  } else {
    return false;
  }
  const int fd = ::socket(storage.ss_family, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&storage), len) == 0;
  ::close(fd);
  return ok;
}

// What to do when an endpoint cannot listen: `option` chooses another port.
std::string how_to_turn_on(int port, const std::string& option, bool sdk_needs_it) {
  if (port >= 1024) return "choose another " + option + " N (0 turns it off), or stop the program using it";
  return "run hub start as root or give picohub-gateway CAP_NET_BIND_SERVICE (sudo setcap "
         "cap_net_bind_service=+ep $(which picohub-gateway)), or choose " +
         option + " N above 1023" + (sdk_needs_it ? " (azure-iothub then cannot reach it: it always uses 443)" : "");
}

// One service endpoint of the gateway as hub start sees it.
struct Endpoint {
  const char* what;    // for messages
  std::string option;  // --service-port | --amqp-port
  int port;            // 0: off
  bool chosen;
  std::string* problem;
};

// Keeps an endpoint whose port is free; otherwise turns it off with the reason.
void check_port(Endpoint& e, const std::string& bind) {
  std::string why;
  if (e.port == 0 || port_is_free(bind, e.port, why, e.option)) return;
  *e.problem = e.what + std::string(" cannot listen on ") + bind + ":" + std::to_string(e.port) + ": " + why;
  if (why.find("already in use") == std::string::npos) {
    *e.problem += "; " + how_to_turn_on(e.port, e.option, e.option == "--service-port");
  }
  e.port = 0;
}

// The gateway ran and exited: give its last words to the endpoint(s) they name (both when unclear).
void blame_exit(Endpoint& rest, Endpoint& amqp, const std::string& tail, const std::filesystem::path& log) {
  const bool names_rest = tail.find("service API (HTTPS)") != std::string::npos;
  const bool names_amqp = tail.find("AMQP endpoint") != std::string::npos;
  for (Endpoint* e : {&rest, &amqp}) {
    if (e->port == 0) continue;
    const bool named = e == &rest ? names_rest : names_amqp;
    *e->problem = named || (!names_rest && !names_amqp)
                      ? "picohub-gateway exited at start-up; the end of " + log.string() + " says:\n" + tail +
                            how_to_turn_on(e->port, e->option, e == &rest)
                      : std::string(e->what) + " did not start: picohub-gateway exited (see " + log.string() + ")";
  }
}

pid_t spawn_gateway(const fs::path& gateway, const fs::path& dir, const HubConfig& config, int rest_port, int amqp_port,
                    int log_fd) {
  const std::string rest = std::to_string(rest_port), amqp = std::to_string(amqp_port);
  const pid_t child = ::fork();
  if (child == 0) {
    ::setsid();
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::close_range(3, ~0U, 0);
    ::execl(gateway.c_str(), "picohub-gateway", "--data-dir", dir.c_str(), "--service-port", rest.c_str(),
            "--amqp-port", amqp.c_str(), "--bind", config.bind.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  return child;
}

}  // namespace

GatewayStart start_gateway(const fs::path& dir, const HubConfig& config, bool service_chosen, bool amqp_chosen,
                           double wait_s) {
  GatewayStart result;
  Endpoint rest{"the service API (HTTPS)", "--service-port", config.service_port, service_chosen,
                &result.service_problem};
  Endpoint amqp{"the AMQP endpoint", "--amqp-port", config.amqp_port, amqp_chosen, &result.amqp_problem};
  auto finish = [&] {
    result.failed = (rest.chosen && !result.service_problem.empty()) || (amqp.chosen && !result.amqp_problem.empty());
    return result;
  };
  check_port(rest, config.bind);
  check_port(amqp, config.bind);
  if (rest.port == 0 && amqp.port == 0) return finish();
  std::string searched;
  const fs::path gateway = find_gateway(searched);
  const fs::path log = dir / "gateway.log";
  const int log_fd = gateway.empty() ? -1 : ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const pid_t child = log_fd < 0 ? -1 : spawn_gateway(gateway, dir, config, rest.port, amqp.port, log_fd);
  if (log_fd >= 0) ::close(log_fd);
  if (child < 0) {
    const std::string why = gateway.empty() ? "picohub-gateway was not found (looked for " + searched +
                                                  "): build it with cmake --build build/host --target "
                                                  "picohub-gateway, or set PICOHUB_GATEWAY"
                                            : "cannot start picohub-gateway (" + log.string() + ", fork)";
    for (Endpoint* e : {&rest, &amqp})
      if (e->port != 0) *e->problem = why;
    return finish();
  }
  std::ofstream(dir / "gateway.pid", std::ios::trunc) << child << '\n';
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(child, nullptr, WNOHANG) == child) {
      std::error_code ec;
      fs::remove(dir / "gateway.pid", ec);
      blame_exit(rest, amqp, log_tail(dir, 6, "gateway.log"), log);
      return finish();
    }
    if ((rest.port == 0 || accepts_connections(config.bind, rest.port)) &&
        (amqp.port == 0 || accepts_connections(config.bind, amqp.port))) {
      result.pid = child;
      result.service_port = rest.port;
      result.amqp_port = amqp.port;
      return finish();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  std::error_code ec;
  fs::remove(dir / "gateway.pid", ec);
  for (Endpoint* e : {&rest, &amqp}) {
    if (e->port != 0) *e->problem = "picohub-gateway did not listen within the wait; see " + log.string();
  }
  return finish();
}

int stop_gateway(const fs::path& dir, double wait_s) {
  const int pid = gateway_pid(dir);
  std::error_code ec;
  if (pid == 0) {
    fs::remove(dir / "gateway.pid", ec);
    return 0;
  }
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  while (gateway_pid(dir) != 0) {
    ::waitpid(pid, nullptr, WNOHANG);
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  fs::remove(dir / "gateway.pid", ec);
  return pid;
}

}  // namespace picohub::cli
