#include "net/connect.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "net/posix_tcp.hpp"
#include "net/tls_transport.hpp"
#include "net/websocket_connection.hpp"

namespace picohub::net {

using Clock = std::chrono::steady_clock;

Result<bool> wait_ready(const Transport& t, std::chrono::milliseconds timeout) {
  const Wait wait = t.wants();
  if (t.has_pending() || wait == Wait::none || t.poll_fd() < 0) return true;
  pollfd p{t.poll_fd(), static_cast<short>(wait == Wait::readable ? POLLIN : POLLOUT), 0};
  const auto ms = static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(timeout.count(), 0, 1 << 30));
  const int n = ::poll(&p, 1, ms);
  if (n < 0) {
    if (errno == EINTR) return false;
    return fail(Errc::io_failure, "poll() failed");
  }
  return n > 0;
}

Result<void> connect_blocking(Transport& t, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto ready = t.poll_connect();
    if (!ready) return tl::unexpected(ready.error());
    if (*ready) return {};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return fail(Errc::timeout, "connect timed out: is the host reachable and the port open?");
    auto waited = wait_ready(t, left);
    if (!waited) return tl::unexpected(waited.error());
  }
}

Result<std::unique_ptr<Transport>> open_connection(const Endpoint& endpoint, std::chrono::milliseconds timeout,
                                                   std::string* detail) {
  auto tcp = std::make_unique<PosixTcp>();
  if (auto started = tcp->start_connect(endpoint.host, endpoint.port); !started) {
    if (detail != nullptr) *detail = std::string(tcp->last_error_detail());
    return tl::unexpected(started.error());
  }
  std::unique_ptr<Transport> transport = std::move(tcp);
  if (endpoint.tls != nullptr) {
    transport = std::make_unique<TlsTransport>(*endpoint.tls, std::move(transport), endpoint.host);
  }
  if (endpoint.websocket)
    transport = std::make_unique<WebSocketConnection>(std::move(transport), endpoint.host, endpoint.port);
  if (auto connected = connect_blocking(*transport, timeout); !connected) {
    if (detail != nullptr) {
      *detail = std::string(transport->last_error_detail());
      if (connected.error().code == Errc::timeout)
        *detail = "no answer from " + endpoint.host + " port " + std::to_string(endpoint.port) + " within " +
                  std::to_string(timeout.count()) + " ms";
    }
    return tl::unexpected(connected.error());
  }
  return transport;
}

}  // namespace picohub::net
