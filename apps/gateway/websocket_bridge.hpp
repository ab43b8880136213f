// MQTT over WebSockets for the local hub (issue 11 §5): IoT Hub's wss://<hub>/$iothub/websocket with
// subprotocol mqtt, on the gateway's HTTPS port. Debian's mosquitto 2.0.11 cannot open a websockets listener,
// so the gateway accepts the upgrade (Boost.Beast) and bridges the bytes both ways to the broker's ordinary
// MQTT-over-TLS listener on loopback, verified with the hub's CA. The broker sees a normal MQTT client: SAS
// auth, ACLs, C2D, twin and methods work unchanged. What is lost: the device's address (the broker sees the
// gateway's) and X.509 client certificates (TLS ends at the gateway).
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "dashboard_routes.hpp"  // TlsStream, HttpRequest

namespace picohub::gateway {

inline constexpr const char* kWebSocketPath = "/$iothub/websocket";

struct BridgeOptions {
  std::string broker_address = "127.0.0.1";  // the broker's MQTT-over-TLS listener
  std::uint16_t broker_port = 8883;
  std::filesystem::path ca_file;  // the hub's CA (data dir/ca.crt): the broker's certificate must chain to it
  std::string server_name;        // the name the broker's certificate must carry (the hub's host name)
  std::size_t max_bridges = 32;   // more at once are answered 503
};

class WebSocketBridge {
 public:
  // Throws boost::system::system_error when the CA file cannot be loaded.
  explicit WebSocketBridge(BridgeOptions options);

  // nullopt: not /$iothub/websocket. Otherwise the request was answered (an error status, or the upgrade and
  // then the bridged session until either side closes or the server stops) and the connection must end.
  // Runs on the connection's thread; the stream's executor must belong to an io_context only it runs.
  std::optional<bool> serve(const HttpRequest& request, TlsStream& stream) const;

  std::size_t active() const noexcept { return active_.load(); }

 private:
  BridgeOptions options_;
  mutable boost::asio::ssl::context broker_tls_;
  mutable std::atomic<std::size_t> active_{0};
};

}  // namespace picohub::gateway
