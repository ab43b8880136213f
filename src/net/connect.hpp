// Blocking conveniences for host tools (CLI, tests, benchmarks). The transports stay non-blocking; these only
// sleep in poll() on the transport's descriptor, always with a deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "net/tls_context.hpp"
#include "net/transport.hpp"

namespace picohub::net {

// Sleeps until `t` can make progress on what it wants() (or already has buffered input), at most `timeout`.
// true = go ahead, false = the timeout passed. Transports without a descriptor return true at once.
Result<bool> wait_ready(const Transport& t, std::chrono::milliseconds timeout);

// Drives t.poll_connect() to completion. Errc::timeout when the deadline passes first.
Result<void> connect_blocking(Transport& t, std::chrono::milliseconds timeout);

struct Endpoint {
  std::string host;
  std::uint16_t port = 8883;
  // TLS over the TCP connection when set (server name = host, verified); plain TCP when null.
  TlsContext* tls = nullptr;
  // MQTT over WebSockets inside the TLS connection: wss://host:port/$iothub/websocket, subprotocol mqtt.
  bool websocket = false;
};

// Resolves, connects (trying every address) and, with TLS, completes the handshake, all within `timeout`.
// On failure *detail (if given) receives the run-time particulars for the user.
Result<std::unique_ptr<Transport>> open_connection(const Endpoint& endpoint, std::chrono::milliseconds timeout,
                                                   std::string* detail = nullptr);

}  // namespace picohub::net
