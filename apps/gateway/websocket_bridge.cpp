#include "websocket_bridge.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <iostream>
#include <sstream>
#include <string_view>

namespace picohub::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using BrokerStream = asio::ssl::stream<tcp::socket>;
using DeviceSocket = websocket::stream<TlsStream&>;

namespace {

constexpr std::size_t kMaxMessageBytes = 1 << 20;  // IoT Hub's messages are at most 256 KB

bool is_bridge_path(std::string_view target) { return target.substr(0, target.find('?')) == kWebSocketPath; }

// Sec-WebSocket-Protocol is a comma-separated list: the device must offer "mqtt".
bool offers_mqtt(const HttpRequest& request) {
  std::string_view list = request[http::field::sec_websocket_protocol];
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "mqtt") return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::optional<bool> answer(TlsStream& stream, const HttpRequest& request, http::status status, std::string text) {
  http::response<http::string_body> res{status, request.version()};
  res.set(http::field::server, "picohub-gateway");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::move(text) + "\n";
  res.keep_alive(false);
  res.prepare_payload();
  beast::error_code ec;
  http::write(stream, res, ec);
  return false;
}

// One line per bridged connection, in gateway.log: the broker (and so mosquitto.log) sees the gateway's loopback
// address and this local port, so the line tells which device address a broker connection belongs to.
void log_bridge(TlsStream& device, BrokerStream& broker) {
  beast::error_code from_ec, via_ec;
  const auto from = beast::get_lowest_layer(device).remote_endpoint(from_ec);
  const auto via = broker.lowest_layer().local_endpoint(via_ec);
  if (from_ec || via_ec) return;
  std::ostringstream line;
  line << "picohub-gateway: wss " << from.address().to_string() << ":" << from.port() << " bridged to the broker from "
       << via.address().to_string() << ":" << via.port() << "\n";
  std::cout << line.str() << std::flush;  // one write per line: connections log from their own threads
}

// The two byte pumps of one bridged connection, on the connection's own io_context. The first end (either
// side closed or failed) shuts both sockets down, which completes whatever is still pending.
class Session {
 public:
  Session(DeviceSocket& device, BrokerStream& broker) : device_(device), broker_(broker) {}

  void start() {
    read_device();
    read_broker();
  }

 private:
  void read_device() {
    device_.async_read(from_device_, [this](beast::error_code ec, std::size_t) {
      if (ec) return end(false);
      asio::async_write(broker_, from_device_.data(), [this](beast::error_code wec, std::size_t n) {
        if (wec) return end(true);
        from_device_.consume(n);
        read_device();
      });
    });
  }

  void read_broker() {
    broker_.async_read_some(asio::buffer(to_device_), [this](beast::error_code ec, std::size_t n) {
      if (ec) return end(true);
      writing_ = true;
      device_.async_write(asio::buffer(to_device_.data(), n), [this](beast::error_code wec, std::size_t) {
        writing_ = false;
        if (wec) return end(false);
        read_broker();
      });
    });
  }

  // The broker ended first: tell the device with a close frame when no frame is being written (a close may
  // not overlap a write); otherwise, or when the device ended, just shut both down.
  void end(bool broker_side) {
    if (ended_) return;
    ended_ = true;
    if (broker_side && !writing_ && device_.is_open()) {
      device_.async_close(websocket::close_code::normal, [this](beast::error_code) { shut(); });
      beast::error_code ec;
      broker_.lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
      return;
    }
    shut();
  }

  void shut() {
    beast::error_code ec;
    beast::get_lowest_layer(device_).shutdown(tcp::socket::shutdown_both, ec);
    broker_.lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
  }

  DeviceSocket& device_;
  BrokerStream& broker_;
  beast::flat_buffer from_device_;
  std::array<std::uint8_t, 16 * 1024> to_device_{};
  bool writing_ = false;
  bool ended_ = false;
};

}  // namespace

WebSocketBridge::WebSocketBridge(BridgeOptions options)
    : options_(std::move(options)), broker_tls_(asio::ssl::context::tls_client) {
  broker_tls_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                          asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  broker_tls_.load_verify_file(options_.ca_file.string());
  broker_tls_.set_verify_mode(asio::ssl::verify_peer);
}

std::optional<bool> WebSocketBridge::serve(const HttpRequest& request, TlsStream& stream) const {
  if (!is_bridge_path(request.target())) return std::nullopt;
  if (!websocket::is_upgrade(request) || !offers_mqtt(request))
    return answer(stream, request, http::status::bad_request,
                  "MQTT over WebSockets: send a WebSocket upgrade (GET) offering subprotocol mqtt");
  if (active_.load() >= options_.max_bridges)
    return answer(
        stream, request, http::status::service_unavailable,
        "too many MQTT-over-WebSocket connections (" + std::to_string(options_.max_bridges) + "); retry later");
  struct Count {
    std::atomic<std::size_t>& n;
    explicit Count(std::atomic<std::size_t>& c) : n(c) { ++n; }
    ~Count() { --n; }
  } count(active_);

  // The connection's io_context (HttpsServer gives each connection its own): the bridge runs it here.
  auto& io = static_cast<asio::io_context&>(asio::query(stream.get_executor(), asio::execution::context));
  BrokerStream broker(io, broker_tls_);
  beast::error_code ec;
  const auto address = asio::ip::make_address(options_.broker_address, ec);
  if (!ec) broker.lowest_layer().connect(tcp::endpoint(address, options_.broker_port), ec);
  if (!ec) {
    struct timeval tv {
      10, 0
    };  // the blocking TLS handshake below: a stuck broker must not hold this thread
    ::setsockopt(broker.lowest_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    broker.lowest_layer().set_option(tcp::no_delay(true), ec);
    SSL_set_tlsext_host_name(broker.native_handle(), options_.server_name.c_str());
    broker.set_verify_callback(asio::ssl::host_name_verification(options_.server_name));
    broker.handshake(asio::ssl::stream_base::client, ec);
  }
  if (ec)
    return answer(stream, request, http::status::bad_gateway,
                  "the hub's MQTT broker (" + options_.broker_address + ":" + std::to_string(options_.broker_port) +
                      ") is not reachable: " + ec.message());

  DeviceSocket device(stream);
  device.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(http::field::sec_websocket_protocol, "mqtt");
    res.set(http::field::server, "picohub-gateway");
  }));
  websocket::stream_base::timeout timeouts{std::chrono::seconds(5), websocket::stream_base::none(), false};
  device.set_option(timeouts);  // bounds the closing handshake; MQTT's keep-alive watches an idle link
  device.read_message_max(kMaxMessageBytes);
  device.binary(true);
  device.accept(request, ec);
  if (ec) return false;
  log_bridge(stream, broker);
  Session session(device, broker);
  session.start();
  io.restart();
  io.run();
  return false;
}

}  // namespace picohub::gateway
