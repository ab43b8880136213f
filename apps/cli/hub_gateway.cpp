// `picohub hub start|stop` for picohub-gateway: the hub's service endpoints run beside the broker as a
// separate process (docs/service-api.md), found like the plugin and checked like the broker (pid + cmdline).
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

std::string how_to_turn_on(int port) {
  return port < 1024 ? "run hub start as root or give picohub-gateway CAP_NET_BIND_SERVICE (sudo setcap "
                       "cap_net_bind_service=+ep $(which picohub-gateway)), or choose --service-port 8443 "
                       "(azure-iothub then cannot reach it: it always uses 443)"
                     : "choose another --service-port N, or stop the program using it";
}

}  // namespace

GatewayStart start_gateway(const fs::path& dir, const HubConfig& config, double wait_s) {
  GatewayStart result;
  if (config.service_port == 0) return result;
  std::string why;
  if (!port_is_free(config.bind, config.service_port, why)) {
    result.problem = "the service API (HTTPS) cannot listen on " + config.bind + ":" +
                     std::to_string(config.service_port) + ": " + why + "; " + how_to_turn_on(config.service_port);
    return result;
  }
  std::string searched;
  const fs::path gateway = find_gateway(searched);
  if (gateway.empty()) {
    result.problem = "picohub-gateway was not found (looked for " + searched +
                     "): build it with cmake --build build/host --target picohub-gateway, or set PICOHUB_GATEWAY";
    return result;
  }
  const fs::path log = dir / "gateway.log";
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    result.problem = "cannot open " + log.string();
    return result;
  }
  const std::string port = std::to_string(config.service_port);
  const pid_t child = ::fork();
  if (child == 0) {
    ::setsid();
    const int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::close_range(3, ~0U, 0);
    ::execl(gateway.c_str(), "picohub-gateway", "--data-dir", dir.c_str(), "--service-port", port.c_str(), "--bind",
            config.bind.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  ::close(log_fd);
  if (child < 0) {
    result.problem = "cannot start picohub-gateway: fork failed";
    return result;
  }
  std::ofstream(dir / "gateway.pid", std::ios::trunc) << child << '\n';
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(child, nullptr, WNOHANG) == child) {
      std::error_code ec;
      fs::remove(dir / "gateway.pid", ec);
      result.problem = "picohub-gateway exited at start-up; the end of " + log.string() + " says:\n" +
                       log_tail(dir, 6, "gateway.log") + how_to_turn_on(config.service_port);
      return result;
    }
    if (accepts_connections(config.bind, config.service_port)) {
      result.pid = child;
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  result.problem = "picohub-gateway did not listen on port " + port + " within the wait; see " + log.string();
  return result;
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
