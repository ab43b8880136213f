// The AMQP 1.0 service endpoint (issue 10 part 3): one TLS listener serving IoT Hub's service side (CBS, C2D send,
// feedback) and its Event Hub-compatible telemetry endpoint ($management, partition receivers), plus the redirect
// tools use to get from the first to the second. Qpid Proton C++ runs it in its own thread; hub calls go through
// the HubPort on a worker thread (port_worker.hpp). docs/service-amqp.md says what is served.
#pragma once

#include "service/amqp/hub_port.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace picohub::service::amqp {

struct AmqpOptions {
  std::string bind = "127.0.0.1";
  int port = 5671;                    // 0: any free port (see AmqpEndpoint::port())
  std::filesystem::path certificate;  // PEM: the hub's DIR/server.crt
  std::filesystem::path private_key;  // PEM: DIR/server.key
  std::string event_hub_name;         // EntityPath; empty: the first label of the hub's host name
  int telemetry_poll_ms = 100;        // how often an idle partition receiver asks the hub for new events
  int feedback_poll_ms = 500;         // how often an open feedback receiver asks for feedback records
};

class AmqpEndpoint {
 public:
  // Listens (the port is bound when this returns) and serves until stop(). `hub` must outlive the endpoint.
  static tl::expected<std::unique_ptr<AmqpEndpoint>, std::string> start(const AmqpOptions& options, HubPort& hub);
  ~AmqpEndpoint();  // stop()s
  void stop();
  int port() const;

  struct Impl;

 private:
  explicit AmqpEndpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace picohub::service::amqp
