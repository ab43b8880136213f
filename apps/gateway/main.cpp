// picohub-gateway --data-dir DIR --service-port N [--bind ADDR]: the hub's service endpoints. Started and
// stopped by `picohub hub start|stop`; serves with DIR/server.crt|key and reaches the hub through its broker.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <string>

#include "dashboard_routes.hpp"
#include "https_server.hpp"
#include "hub/config.hpp"
#include "service/control_client.hpp"
#include "service/rest_api.hpp"
#include "web_files.hpp"

namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

struct Args {
  fs::path data_dir;
  int service_port = 443;
  std::string bind = "127.0.0.1";
  fs::path web_dir;  // --web-dir: the dashboard's files (else found: web_dir_candidates)
};

bool parse_args(int argc, char** argv, Args& a) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data-dir") a.data_dir = value;
    else if (flag == "--service-port") a.service_port = std::stoi(value);
    else if (flag == "--bind") a.bind = value;
    else if (flag == "--web-dir") a.web_dir = value;
    else return false;
  }
  return !a.data_dir.empty() && argc % 2 == 1;
}

// The dashboard's files: --web-dir, else $PICOHUB_WEB, beside the installed binary, or the source tree.
fs::path dashboard_dir(const Args& a) {
  if (!a.web_dir.empty()) return picohub::gateway::find_web_dir({a.web_dir});
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const char* env = std::getenv("PICOHUB_WEB");
  const fs::path dir = picohub::gateway::find_web_dir(picohub::gateway::web_dir_candidates(
      env != nullptr ? env : "", ec ? fs::path() : exe.parent_path(), PICOHUB_WEB_SOURCE_DIR));
  std::cout << "picohub-gateway: dashboard "
            << (dir.empty() ? "files not found (set PICOHUB_WEB)" : "from " + dir.string()) << std::endl;
  return dir;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    std::cerr << "usage: picohub-gateway --data-dir DIR [--service-port N] [--bind ADDR] [--web-dir DIR]\n";
    return 2;
  }
  std::string why;
  auto config = picohub::hub::load_hub_config((args.data_dir / "hub.json").string(), why);
  auto endpoint = config ? picohub::service::control_endpoint(args.data_dir, why) : std::nullopt;
  if (!endpoint) {
    std::cerr << "picohub-gateway: " << why << "\n";
    return 1;
  }
  picohub::service::ControlPool pool(*endpoint, 8);
  picohub::service::RestApi api(
      config->host_name, picohub::hub::shared_access_policies(*config),
      [&pool](const std::string& op, nlohmann::json fields, double timeout_s) {
        return pool.request(op, std::move(fields), timeout_s);
      },
      [] { return static_cast<std::uint64_t>(std::time(nullptr)); });
  try {
    asio::ssl::context tls(asio::ssl::context::tls_server);
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    tls.use_certificate_chain_file((args.data_dir / "server.crt").string());
    tls.use_private_key_file((args.data_dir / "server.key").string(), asio::ssl::context::pem);
    asio::io_context io;
    const asio::ip::tcp::endpoint at(asio::ip::make_address(args.bind), static_cast<unsigned short>(args.service_port));
    picohub::gateway::HttpsServer https(io, tls, at, api, 64);
    const picohub::gateway::DashboardRoutes dashboard(dashboard_dir(args), config->host_name,
                                                      picohub::hub::shared_access_policies(*config), *endpoint,
                                                      [] { return static_cast<std::uint64_t>(std::time(nullptr)); });
    https.set_extra_routes(
        [&dashboard](const auto& request, auto& stream) { return dashboard.serve(request, stream); });
    std::signal(SIGPIPE, SIG_IGN);
    std::cout << "picohub-gateway: REST on https://" << args.bind << ":" << args.service_port << std::endl;
    https.run();  // SIGTERM ends the process (the hub owns all state; nothing to flush)
  } catch (const std::exception& e) {
    std::cerr << "picohub-gateway: cannot serve on " << args.bind << ":" << args.service_port << ": " << e.what() << "\n";
    return 3;
  }
  return 0;
}
