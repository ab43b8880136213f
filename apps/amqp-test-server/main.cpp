// picohub-amqp-test-server: the AMQP service endpoint alone, over a running local hub, for end-to-end tests
// (the gateway process will host the same AmqpEndpoint). Prints "listening on PORT" once bound; stops on
// SIGINT/SIGTERM or when stdin closes.
//   picohub-amqp-test-server --data-dir DIR [--port N (default 5671, 0 = any)] [--bind ADDR] [--poll-ms N]
#include "service/amqp/amqp_endpoint.hpp"
#include "service/amqp/control_hub_port.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

int usage() {
  std::fprintf(stderr, "usage: picohub-amqp-test-server --data-dir DIR [--port N] [--bind ADDR] [--poll-ms N]\n");
  return 2;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace picohub::service::amqp;
  std::string data_dir;
  AmqpOptions options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--data-dir") data_dir = value;
    else if (flag == "--port") options.port = std::atoi(value.c_str());
    else if (flag == "--bind") options.bind = value;
    else if (flag == "--poll-ms") options.telemetry_poll_ms = std::atoi(value.c_str());
    else return usage();
  }
  if (data_dir.empty() || argc % 2 == 0) return usage();
  options.certificate = std::filesystem::path(data_dir) / "server.crt";
  options.private_key = std::filesystem::path(data_dir) / "server.key";

  auto hub = ControlHubPort::open(data_dir);
  if (!hub) {
    std::fprintf(stderr, "picohub-amqp-test-server: %s\n", hub.error().c_str());
    return 1;
  }
  auto endpoint = AmqpEndpoint::start(options, **hub);
  if (!endpoint) {
    std::fprintf(stderr, "picohub-amqp-test-server: %s\n", endpoint.error().c_str());
    return 1;
  }
  std::printf("listening on %d\n", (*endpoint)->port());
  std::fflush(stdout);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // A test harness that dies closes our stdin: never outlive it.
  char buffer[64];
  while (g_stop == 0 && std::fgets(buffer, sizeof buffer, stdin) != nullptr) {
  }
  (*endpoint)->stop();
  return 0;
}
