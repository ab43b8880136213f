// WebSocketConnection: the host's owner of a portable websocket::WebSocketTransport — it keeps the inner (TLS)
// transport, the host name and path the upgrade names, the frame buffer and an entropy source for the key and
// the masks (the operating system's), so open_connection() can hand it out like any other Transport.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "net/transport.hpp"
#include "platform/entropy.hpp"
#include "websocket/websocket_transport.hpp"

namespace picohub::net {

// getrandom(2): the host's entropy for WebSocket keys and masks (not TLS keys: TLS seeds its own generator).
class OsEntropy final : public platform::Entropy {
 public:
  Result<void> fill(std::span<std::uint8_t> out) override;
  platform::EntropyHealth health() const noexcept override { return platform::EntropyHealth::ok; }
};

class WebSocketConnection final : public Transport {
 public:
  // `port` goes into the Host header when it is not 443; the path is IoT Hub's /$iothub/websocket.
  WebSocketConnection(std::unique_ptr<Transport> inner, std::string host, std::uint16_t port);
  WebSocketConnection(const WebSocketConnection&) = delete;
  WebSocketConnection& operator=(const WebSocketConnection&) = delete;

  Result<bool> poll_connect() override { return ws_.poll_connect(); }
  Result<std::size_t> read(std::span<std::uint8_t> out) override { return ws_.read(out); }
  Result<std::size_t> write(std::span<const std::uint8_t> data) override { return ws_.write(data); }
  void close() override { ws_.close(); }
  Wait wants() const override { return ws_.wants(); }
  bool has_pending() const override { return ws_.has_pending(); }
  int poll_fd() const override { return ws_.poll_fd(); }
  std::string_view last_error_detail() const override;

 private:
  std::unique_ptr<Transport> inner_;
  std::string host_;
  OsEntropy entropy_;
  std::array<std::uint8_t, 16 * 1024 + websocket::kMaxHeaderBytes> buffer_{};
  websocket::WebSocketTransport ws_;
  mutable std::string detail_;
};

}  // namespace picohub::net
