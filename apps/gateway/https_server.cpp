#include "https_server.hpp"

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <cctype>
#include <thread>
#include <unistd.h>

namespace picohub::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

service::RestRequest to_rest(const http::request<http::string_body>& req) {
  service::RestRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  auto header = [&](const char* name) {
    auto it = req.find(name);
    return it == req.end() ? std::string() : std::string(it->value());
  };
  r.authorization = header("Authorization");
  r.if_match = header("If-Match");
  r.continuation = header("x-ms-continuation");
  r.max_item_count = header("x-ms-max-item-count");
  r.message_id = header("iothub-messageid");
  r.body = req.body();
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.starts_with("iothub-") || name == "content-type" || name == "content-encoding") {
      r.headers.emplace_back(std::move(name), std::string(field.value()));
    }
  }
  return r;
}

http::response<http::string_body> to_http(const service::RestResponse& rest, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(rest.status), version};
  res.set(http::field::server, "picohub-gateway");
  if (!rest.body.empty()) res.set(http::field::content_type, "application/json; charset=utf-8");
  for (const auto& [name, value] : rest.headers) res.set(name, value);
  res.body() = rest.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

}  // namespace

HttpsServer::HttpsServer(asio::io_context& io, asio::ssl::context& tls, const tcp::endpoint& at,
                         const service::RestApi& api, std::size_t max_connections)
    : tls_(tls), acceptor_(io), api_(api), max_connections_(max_connections) {
  acceptor_.open(at.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(at);
  acceptor_.listen();
}

void HttpsServer::run() {
  for (;;) {
    tcp::socket socket(acceptor_.get_executor());
    beast::error_code ec;
    acceptor_.accept(socket, ec);
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      continue;
    }
    if (active_.load() >= max_connections_) continue;  // refuse by closing: bounded threads
    ++active_;
    std::thread([this, s = std::move(socket)]() mutable {
      serve(std::move(s));
      --active_;
    }).detach();
  }
}

void HttpsServer::stop() {
  stopping_ = true;
  // shutdown() wakes a thread blocked in accept()/read() on Linux; close() from another thread would not.
  ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
  std::lock_guard<std::mutex> lock(open_mutex_);
  for (const int fd : open_sockets_) ::shutdown(fd, SHUT_RD);
}

bool HttpsServer::wait_idle(std::chrono::milliseconds wait) const {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (active_.load() != 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

void HttpsServer::serve(tcp::socket accepted) {
  // Each connection gets its own io_context, so a route may switch the connection to asynchronous I/O (the
  // MQTT-over-WebSocket bridge) and run that context on this thread without touching other connections.
  asio::io_context io;
  beast::error_code opened;
  const auto protocol = accepted.local_endpoint(opened).protocol();
  tcp::socket socket(io);
  if (!opened) socket.assign(protocol, accepted.release(opened), opened);
  if (opened) return;
  const int fd = socket.native_handle();
  {
    std::lock_guard<std::mutex> lock(open_mutex_);
    if (stopping_) return;
    open_sockets_.insert(fd);
  }
  struct Forget {
    HttpsServer& server;
    int fd;
    ~Forget() {
      std::lock_guard<std::mutex> lock(server.open_mutex_);
      server.open_sockets_.erase(fd);
    }
  } forget{*this, fd};
  beast::error_code ec;
  asio::ssl::stream<tcp::socket> stream(std::move(socket), tls_);
  beast::get_lowest_layer(stream).set_option(asio::socket_base::keep_alive(true), ec);
  beast::get_lowest_layer(stream).set_option(tcp::no_delay(true), ec);
  // A silent peer must not hold a thread forever: 60 s to finish any read (SO_RCVTIMEO on the socket).
  struct timeval tv {
    60, 0
  };
  ::setsockopt(beast::get_lowest_layer(stream).native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  stream.handshake(asio::ssl::stream_base::server, ec);
  if (ec) return;
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    // Read a moderately oversized body to the end so the client sees the 413 (closing on unread data resets).
    parser.body_limit(4 * service::kMaxRestBodyBytes);
    http::read(stream, buffer, parser, ec);
    const auto too_large = service::rest_error(
        413, "RequestEntityTooLarge", "the body exceeds " + std::to_string(service::kMaxRestBodyBytes) + " bytes");
    if (ec == http::error::body_limit) {
      auto res = to_http(too_large, 11, false);
      http::write(stream, res, ec);
      break;
    }
    if (ec) break;
    const auto& req = parser.get();
    if (extra_routes_) {
      if (const auto keep = extra_routes_(req, stream)) {
        if (*keep && req.keep_alive()) continue;
        break;
      }
    }
    const bool oversized = req.body().size() > service::kMaxRestBodyBytes;
    auto res = to_http(oversized ? too_large : api_.handle(to_rest(req)), req.version(), req.keep_alive());
    http::write(stream, res, ec);
    if (ec || !req.keep_alive()) break;
  }
  stream.shutdown(ec);
}

}  // namespace picohub::gateway
