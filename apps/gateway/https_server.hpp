// HTTPS/1.1 front of the REST API: TLS with the hub's server certificate, one thread per connection (at most
// `max_connections`; a direct method waiting 30 s holds only its own), keep-alive, body limit, IoT Hub's headers.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <mutex>
#include <set>

#include "service/rest_api.hpp"

namespace picohub::gateway {

class HttpsServer {
 public:
  // Binds and listens; throws boost::system::system_error when the address cannot be bound.
  HttpsServer(boost::asio::io_context& io, boost::asio::ssl::context& tls, const boost::asio::ip::tcp::endpoint& at,
              const service::RestApi& api, std::size_t max_connections);
  // Accepts until stop(); each connection is served on its own detached thread.
  void run();
  // Routes answered before the REST API (the dashboard's files and live feed): nullopt = not theirs; otherwise
  // they wrote the answer and say whether the connection may go on.
  using ExtraRoutes =
      std::function<std::optional<bool>(const boost::beast::http::request<boost::beast::http::string_body>&,
                                        boost::asio::ssl::stream<boost::asio::ip::tcp::socket>&)>;
  void set_extra_routes(ExtraRoutes routes) { extra_routes_ = std::move(routes); }
  // From another thread: ends run() and the connections' reads (a request in progress still gets its answer).
  void stop();
  // After stop(): true once every connection thread has finished, false when `wait` ran out first.
  bool wait_idle(std::chrono::milliseconds wait) const;

 private:
  void serve(boost::asio::ip::tcp::socket socket);

  boost::asio::ssl::context& tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const service::RestApi& api_;
  std::size_t max_connections_;
  std::atomic<std::size_t> active_{0};
  ExtraRoutes extra_routes_;
  std::atomic<bool> stopping_{false};
  std::mutex open_mutex_;
  std::set<int> open_sockets_;  // native handles of the connections being served, shut down by stop()
};

}  // namespace picohub::gateway
