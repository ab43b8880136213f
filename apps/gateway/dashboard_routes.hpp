// The routes the gateway serves beside IoT Hub's REST API for the web dashboard (web/): its static files
// (no auth: they hold no secrets) and the live telemetry feed (server-sent events, authorized by the same
// service SAS token as REST with ServiceConnect). Everything else the page does goes through the REST API.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "service/control_client.hpp"
#include "service/service_auth.hpp"

namespace picohub::gateway {

using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

class DashboardRoutes {
 public:
  // `web_dir` empty: the dashboard's files were not found (the page answers 404 with what to do).
  DashboardRoutes(std::filesystem::path web_dir, std::string host_name,
                  std::vector<service::SharedAccessPolicy> policies, service::ControlEndpoint endpoint,
                  std::function<std::uint64_t()> now_unix);

  // nullopt: not a dashboard route (the REST API answers). Otherwise the request was answered on `stream`
  // and the value says whether the connection may serve another request.
  std::optional<bool> serve(const HttpRequest& request, TlsStream& stream) const;

 private:
  bool serve_file(const HttpRequest& request, TlsStream& stream) const;
  bool serve_feed(const HttpRequest& request, TlsStream& stream) const;

  std::filesystem::path web_dir_;
  std::string host_name_;
  std::vector<service::SharedAccessPolicy> policies_;
  service::ControlEndpoint endpoint_;
  std::function<std::uint64_t()> now_unix_;
};

}  // namespace picohub::gateway
