#include "dashboard_routes.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>

#include <chrono>
#include <fstream>
#include <sstream>

#include "service/rest_api.hpp"
#include "telemetry_feed.hpp"
#include "web_files.hpp"

namespace picohub::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// The page loads only its own files and talks only to this origin.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

bool write_response(TlsStream& stream, unsigned version, bool keep_alive, http::status status, const std::string& type,
                    std::string body) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::server, "picohub-gateway");
  res.set(http::field::content_type, type);
  res.set(http::field::cache_control, "no-cache");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Content-Security-Policy", kContentSecurityPolicy);
  res.body() = std::move(body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  beast::error_code ec;
  http::write(stream, res, ec);
  return !ec && keep_alive;
}

bool write_rest(TlsStream& stream, unsigned version, bool keep_alive, const service::RestResponse& rest) {
  return write_response(stream, version, keep_alive, static_cast<http::status>(rest.status),
                        "application/json; charset=utf-8", rest.body);
}

bool write_raw(TlsStream& stream, const std::string& bytes) {
  beast::error_code ec;
  asio::write(stream, asio::buffer(bytes), ec);
  return !ec;
}

}  // namespace

DashboardRoutes::DashboardRoutes(std::filesystem::path web_dir, std::string host_name,
                                 std::vector<service::SharedAccessPolicy> policies, service::ControlEndpoint endpoint,
                                 std::function<std::uint64_t()> now_unix)
    : web_dir_(std::move(web_dir)),
      host_name_(std::move(host_name)),
      policies_(std::move(policies)),
      endpoint_(std::move(endpoint)),
      now_unix_(std::move(now_unix)) {}

std::optional<bool> DashboardRoutes::serve(const HttpRequest& request, TlsStream& stream) const {
  if (is_feed_route(request.target())) return serve_feed(request, stream);
  if (is_static_route(request.target())) return serve_file(request, stream);
  return std::nullopt;
}

bool DashboardRoutes::serve_file(const HttpRequest& req, TlsStream& stream) const {
  const bool keep = req.keep_alive();
  const auto text = [&](http::status status, const std::string& body) {
    return write_response(stream, req.version(), keep, status, "text/plain; charset=utf-8", body + "\n");
  };
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return text(http::status::method_not_allowed, "the dashboard's files are read with GET");
  }
  if (web_dir_.empty()) {
    return text(http::status::not_found,
                "the dashboard's files (web/index.html) were not found: set PICOHUB_WEB=DIR or pass --web-dir DIR");
  }
  const StaticLookup found = resolve_static(req.target(), web_dir_);
  if (found.status != 200) {
    if (found.status == 404 && req.target().starts_with("/vendor/uplot/")) {
      return text(http::status::not_found, "uPlot is not installed: run ./run setup (scripts/dashboard-setup.sh)");
    }
    return text(static_cast<http::status>(found.status), found.why);
  }
  std::ifstream in(found.file, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  if (!in) return text(http::status::internal_server_error, "cannot read " + found.file.filename().string());
  std::string bytes = req.method() == http::verb::head ? std::string() : body.str();
  return write_response(stream, req.version(), keep, http::status::ok, found.content_type, std::move(bytes));
}

bool DashboardRoutes::serve_feed(const HttpRequest& req, TlsStream& stream) const {
  const bool keep = req.keep_alive();
  if (req.method() != http::verb::get) {
    return write_rest(stream, req.version(), keep,
                      service::rest_error(405, "MethodNotAllowed", "the feed is read with GET"));
  }
  const auto auth = req.find(http::field::authorization);
  const std::string token = auth == req.end() ? std::string() : std::string(auth->value());
  auto policy = service::authorize_service_token(token, host_name_, policies_, service::kServiceConnect, now_unix_());
  if (!policy) {
    return write_rest(
        stream, req.version(), keep,
        service::rest_error(401, "IotHubUnauthorizedAccess", std::string("Unauthorized: ") + policy.error().what));
  }
  std::string why;
  const auto feed = parse_feed_request(req.target(), why);
  if (!feed) return write_rest(stream, req.version(), keep, service::rest_error(400, "ArgumentInvalid", why));
  auto monitor = service::ControlClient::connect(endpoint_, 10.0, why);
  if (!monitor || !monitor->subscribe(feed_topic_filter(*feed), 10.0, why)) {
    return write_rest(
        stream, req.version(), keep,
        service::rest_error(503, "ServiceUnavailable", "the hub's telemetry monitor is not reachable: " + why));
  }
  // The body has no length: it lasts until either side closes (Connection: close), one event per record.
  if (!write_raw(stream,
                 "HTTP/1.1 200 OK\r\nServer: picohub-gateway\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                 "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n" +
                     sse_comment("picohub telemetry feed " + feed_topic_filter(*feed)))) {
    return false;
  }
  constexpr auto kKeepAlive = std::chrono::seconds(10);  // a closed page is noticed at the next write
  auto last_write = std::chrono::steady_clock::now();
  while (monitor->pump(200)) {
    std::string frames;
    for (; !monitor->inbox().empty(); monitor->inbox().pop_front()) {
      const auto& message = monitor->inbox().front();
      if (auto frame = telemetry_event_frame(message.topic, message.payload)) frames += *frame;
    }
    const auto now = std::chrono::steady_clock::now();
    if (frames.empty() && now - last_write >= kKeepAlive) frames = sse_comment("keep-alive");
    if (frames.empty()) continue;
    if (!write_raw(stream, frames)) break;
    last_write = now;
  }
  return false;
}

}  // namespace picohub::gateway
