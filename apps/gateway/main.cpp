// picohub-gateway --data-dir DIR [--service-port N] [--amqp-port N] [--bind ADDR]: the hub's service endpoints in
// one process (issue 10 §0): IoT Hub's REST API over HTTPS and the AMQP 1.0 endpoint over TLS, both with
// DIR/server.crt|key, both reaching the hub through one ControlPool of control-protocol clients. Started and
// stopped by `picohub hub start|stop`; a port of 0 turns that endpoint off. SIGTERM/SIGINT stop both. Started as
// root (to bind 443), it stops being root once both ports are bound (drop_root.hpp).
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>

#include <pthread.h>

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "dashboard_routes.hpp"
#include "drop_root.hpp"
#include "https_server.hpp"
#include "hub/config.hpp"
#include "service/amqp/amqp_endpoint.hpp"
#include "service/amqp/control_hub_port.hpp"
#include "service/control_client.hpp"
#include "service/rest_api.hpp"
#include "web_files.hpp"
#include "websocket_bridge.hpp"

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

struct Args {
  fs::path data_dir;
  int service_port = 443;
  int amqp_port = 5671;
  std::string bind = "127.0.0.1";
  fs::path web_dir;  // --web-dir: the dashboard's files (else found: web_dir_candidates)
};

std::optional<int> port_number(const std::string& text) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 0 || v > 65535) return std::nullopt;
  return static_cast<int>(v);
}

bool parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    std::optional<int> port;
    if (flag == "--data-dir") a.data_dir = value;
    else if (flag == "--bind") a.bind = value;
    else if (flag == "--web-dir") a.web_dir = value;
    else if (flag == "--service-port" && (port = port_number(value))) a.service_port = *port;
    else if (flag == "--amqp-port" && (port = port_number(value))) a.amqp_port = *port;
    else return false;
  }
  return !a.data_dir.empty() && argc % 2 == 1;
}

std::unique_ptr<asio::ssl::context> server_tls(const fs::path& dir) {
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  tls->use_certificate_chain_file((dir / "server.crt").string());
  tls->use_private_key_file((dir / "server.key").string(), asio::ssl::context::pem);
  return tls;
}

// Blocks SIGTERM/SIGINT in this thread and every thread started after it; main waits for them with sigwait.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return set;
}

// The dashboard's files: --web-dir, else $PICOHUB_WEB, beside the installed binary, or the source tree.
fs::path dashboard_dir(const Args& a) {
  if (!a.web_dir.empty()) return picohub::gateway::find_web_dir({a.web_dir});
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const char* env = std::getenv("PICOHUB_WEB");
  fs::path dir = picohub::gateway::find_web_dir(picohub::gateway::web_dir_candidates(
      env != nullptr ? env : "", ec ? fs::path() : exe.parent_path(), PICOHUB_WEB_SOURCE_DIR));
  std::cout << "picohub-gateway: dashboard "
            << (dir.empty() ? "files not found (set PICOHUB_WEB)" : "from " + dir.string()) << std::endl;
  return dir;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    std::cerr << "usage: picohub-gateway --data-dir DIR [--service-port N] [--amqp-port N] [--bind ADDR]"
                 " [--web-dir DIR] (ports 0..65535, 0 = off)\n";
    return 2;
  }
  std::string why;
  auto config = picohub::hub::load_hub_config((args.data_dir / "hub.json").string(), why);
  auto endpoint = config ? picohub::service::control_endpoint(args.data_dir, why) : std::nullopt;
  if (!endpoint) {
    std::cerr << "picohub-gateway: " << why << "\n";
    return 1;
  }
  const sigset_t stop_signals = block_stop_signals();
  picohub::service::ControlPool pool(*endpoint, 8);
  picohub::service::RestApi api(config->host_name, picohub::hub::shared_access_policies(*config), pool.as_call(),
                                [] { return static_cast<std::uint64_t>(std::time(nullptr)); });
  asio::io_context io;
  std::unique_ptr<asio::ssl::context> tls;
  std::unique_ptr<picohub::gateway::HttpsServer> https;
  const std::string rest_at = args.bind + ":" + std::to_string(args.service_port);
  if (args.service_port != 0) {
    try {
      tls = server_tls(args.data_dir);
      const asio::ip::tcp::endpoint at(asio::ip::make_address(args.bind),
                                       static_cast<unsigned short>(args.service_port));
      https = std::make_unique<picohub::gateway::HttpsServer>(io, *tls, at, api, 64);
    } catch (const std::exception& e) {
      std::cerr << "picohub-gateway: the service API (HTTPS) cannot listen on " << rest_at << ": " << e.what()
                << "; choose another --service-port N (0 turns it off)\n";
      return 3;
    }
  }
  // The web dashboard and its live telemetry feed, on the same HTTPS port as the REST API.
  const picohub::gateway::DashboardRoutes dashboard(dashboard_dir(args), config->host_name,
                                                    picohub::hub::shared_access_policies(*config), *endpoint,
                                                    [] { return static_cast<std::uint64_t>(std::time(nullptr)); });
  // MQTT over WebSockets (wss://<hub>/$iothub/websocket), bridged to the broker's TLS listener on loopback.
  std::unique_ptr<picohub::gateway::WebSocketBridge> bridge;
  if (https) {
    picohub::gateway::BridgeOptions bridge_options;
    const bool any = args.bind == "0.0.0.0" || args.bind == "::" || args.bind == "*";
    bridge_options.broker_address = any ? "127.0.0.1" : args.bind;
    bridge_options.broker_port = static_cast<std::uint16_t>(config->port);
    bridge_options.ca_file = args.data_dir / "ca.crt";
    bridge_options.server_name = config->host_name;
    try {
      bridge = std::make_unique<picohub::gateway::WebSocketBridge>(std::move(bridge_options));
    } catch (const std::exception& e) {
      std::cerr << "picohub-gateway: MQTT over WebSockets is off: cannot load the hub's CA: " << e.what() << "\n";
    }
    https->set_extra_routes([&dashboard, &bridge](const auto& request, auto& stream) {
      if (bridge) {
        if (auto answered = bridge->serve(request, stream)) return answered;
      }
      return dashboard.serve(request, stream);
    });
  }
  picohub::service::amqp::ControlHubPort hub_port(*config, pool.as_call());
  std::unique_ptr<picohub::service::amqp::AmqpEndpoint> amqp;
  if (args.amqp_port != 0) {
    picohub::service::amqp::AmqpOptions options;
    options.bind = args.bind;
    options.port = args.amqp_port;
    options.certificate = args.data_dir / "server.crt";
    options.private_key = args.data_dir / "server.key";
    auto started = picohub::service::amqp::AmqpEndpoint::start(options, hub_port);
    if (!started) {
      std::cerr << "picohub-gateway: the AMQP endpoint " << started.error()
                << "; choose another --amqp-port N (0 turns it off)\n";
      return 3;
    }
    amqp = std::move(*started);
  }
  const auto dropped = picohub::gateway::drop_root(args.data_dir);
  if (!dropped.ok) {
    std::cerr << "picohub-gateway: " << dropped.what << "\n";
    return 4;
  }
  if (!dropped.what.empty()) std::cout << "picohub-gateway: " << dropped.what << std::endl;
  if (https) std::cout << "picohub-gateway: REST on https://" << rest_at << std::endl;
  if (https && bridge)
    std::cout << "picohub-gateway: MQTT over WebSockets on wss://" << rest_at << picohub::gateway::kWebSocketPath
              << std::endl;
  if (amqp) std::cout << "picohub-gateway: AMQP on amqps://" << args.bind << ":" << amqp->port() << std::endl;
  std::thread rest_thread;
  if (https) rest_thread = std::thread([&https] { https->run(); });

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  if (amqp) amqp->stop();  // closes its connections and joins the Proton thread
  bool idle = true;
  if (https) {
    https->stop();
    rest_thread.join();
    idle = https->wait_idle(std::chrono::seconds(3));  // a direct method in progress may hold a connection
  }
  std::cout << "picohub-gateway: stopped (" << (signal_number == SIGINT ? "SIGINT" : "SIGTERM") << ")" << std::endl;
  if (!idle) std::_Exit(0);  // a connection thread still uses `api` and `tls`: do not destroy them under it
  return 0;
}
