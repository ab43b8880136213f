// mosquitto.conf for the local hub, and the small process/port checks around starting the broker.
#include "service_hub.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <deque>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace picohub::cli {

namespace fs = std::filesystem;

static bool ipv6_loopback_available() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

bool port_is_free(const std::string& bind, int port, std::string& why, const std::string& option) {
  sockaddr_storage storage{};
  socklen_t len = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  const std::string host = (bind == "*" || bind.empty()) ? "0.0.0.0" : bind;
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v6;
  } else {
    why = "--bind " + bind + " is not an IP address: use e.g. 127.0.0.1, ::1 or 0.0.0.0";
    return false;
  }
  const int fd = ::socket(family, SOCK_STREAM, 0);
  if (fd < 0) {
    why = "cannot create a socket: " + std::string(std::strerror(errno));
    return false;
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as mosquitto does: TIME_WAIT is not "busy"
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&storage), len) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    why = err == EADDRINUSE
              ? "port " + std::to_string(port) + " on " + host +
                    " is already in use by another program: pick another with " + option + " N, or stop that program"
              : "cannot listen on " + host + ":" + std::to_string(port) + ": " + std::strerror(err) +
                    (err == EACCES && option == "--port" ? " (ports below 1024 need root: use --port 8883 or higher)"
                                                         : "");
  }
  return ok;
}

bool write_broker_config(const fs::path& dir, const HubConfig& config, const fs::path& plugin, const Ownership& own,
                         std::string& why) {
  const fs::path file = dir / "mosquitto.conf";
  std::ofstream out(file, std::ios::trunc);
  if (!out) {
    why = "cannot write " + file.string() + ": check the directory's permissions";
    return false;
  }
  out << "# Written by `picohub hub start` on every start: edit the flags, not this file.\n"
      << "per_listener_settings false\n"
      << "allow_anonymous false\n"
      << "persistence false\n"  // the plugin keeps all state in state.db (SQLite)
      // IoT Hub's 256 KB counts body + property names/values, not the MQTT packet: the plugin counts and closes
      // the connection (no PUBACK) above it. The broker's own cap only bounds memory: 256 KB + a 64 KB topic +
      // headers. No message_size_limit: above it mosquitto PUBACKs and drops, which would lose acknowledged data.
      << "max_packet_size 327687\n"
      << "max_keepalive 1177\n"
      << "max_queued_messages 1000\n"
      << "log_dest stderr\n"  // the CLI points the broker's stderr at mosquitto.log
      << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
      << "log_timestamp_format %Y-%m-%dT%H:%M:%S\n"
      << "connection_messages true\n"
      // Without it Nagle holds the CONNACK behind TLS 1.3 session tickets until the client's delayed ACK fires
      // (CONNECT -> CONNACK 43.6 ms measured; 3.8 ms with it).
      << "set_tcp_nodelay true\n";
  if (own.as_root) out << "user " << own.broker_user << "\n";
  out << "plugin " << plugin.string() << "\n"
      << "plugin_opt_data_dir " << dir.string() << "\n";

  std::vector<std::string> binds{config.bind};
  if (config.bind == "127.0.0.1" && ipv6_loopback_available()) binds.emplace_back("::1");
  for (const auto& bind : binds) {
    out << "\nlistener " << config.port;
    if (bind != "*" && bind != "0.0.0.0" && !bind.empty()) out << " " << bind;
    out << "\ncafile " << (dir / "ca.crt").string() << "\n"
        << "certfile " << (dir / "server.crt").string() << "\n"
        << "keyfile " << (dir / "server.key").string() << "\n"
        << "tls_version tlsv1.2\n"
        << "require_certificate false\n"
        // Patched broker (picohub-client-certs.patch): ask every client for a certificate and let the plugin judge
        // it, so SAS and X.509 devices share this port as on IoT Hub (docs/x509.md).
        << "picohub_request_certificate true\n"
        << "max_qos 1\n";  // a listener option: it must follow its listener line (IoT Hub grants QoS <= 1)
  }
  if (config.insecure_port) {
    // Plain MQTT for debugging with tools that cannot do TLS; loopback only.
    out << "\nlistener " << *config.insecure_port << " 127.0.0.1\nmax_qos 1\n";
  }
  out.close();
  if (!out) {
    why = "cannot write " + file.string();
    return false;
  }
  return secure_file(file, own, false, why);
}

std::string log_tail(const fs::path& dir, int lines, const char* file) {
  std::ifstream in(dir / file);
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (static_cast<int>(tail.size()) > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += "    " + l + "\n";
  return out;
}

}  // namespace picohub::cli
