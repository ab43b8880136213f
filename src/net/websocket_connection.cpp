#include "net/websocket_connection.hpp"

#include <sys/random.h>

#include <cerrno>

namespace picohub::net {

Result<void> OsEntropy::fill(std::span<std::uint8_t> out) {
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::getrandom(out.data() + got, out.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Errc::crypto_failure, "getrandom() failed");
    }
    got += static_cast<std::size_t>(n);
  }
  return {};
}

WebSocketConnection::WebSocketConnection(std::unique_ptr<Transport> inner, std::string host, std::uint16_t port)
    : inner_(std::move(inner)),
      host_(std::move(host)),
      ws_(*inner_, entropy_, websocket::UpgradeTarget{host_, port, websocket::kIotHubPath, websocket::kMqttSubprotocol},
          buffer_) {}

// A refused upgrade is the common failure: say what the server answered, not just that it did.
std::string_view WebSocketConnection::last_error_detail() const {
  const auto detail = ws_.last_error_detail();
  if (detail.starts_with("HTTP/")) {
    detail_ = "the server answered \"" + std::string(detail) + "\" to the WebSocket upgrade of https://" + host_ +
              std::string(websocket::kIotHubPath);
    return detail_;
  }
  return detail;
}

}  // namespace picohub::net
