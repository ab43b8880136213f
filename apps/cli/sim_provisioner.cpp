#include "sim_provisioner.hpp"

#include <cstdio>

#include "command.hpp"
#include "endpoint_text.hpp"
#include "iothub/dps_client.hpp"
#include "iothub/sas_token.hpp"
#include "link/dps_registration.hpp"

namespace picohub::cli {

int SimProvisioner::setup(DpsSettings settings) {
  settings_ = std::move(settings);
  if (settings_.registration_id.empty() || settings_.key.empty()) {
    std::fprintf(stderr,
                 "picohub sim: --dps needs --registration-id and --key (the enrollment's key, or the group "
                 "key with --group)\n");
    return exit_usage;
  }
  device_key_ = settings_.key;
  if (settings_.group) {
    std::array<char, 64> derived{};
    auto k = iothub::derive_device_key(settings_.key, settings_.registration_id, derived);
    if (!k) {
      std::fprintf(stderr, "picohub sim: --key is not a usable base64 group key: %s\n", k.error().what);
      return exit_usage;
    }
    device_key_ = std::string(*k);
  }
  if (!split_endpoint(settings_.endpoint, endpoint_.host, endpoint_.port)) {
    std::fprintf(stderr, "picohub sim: cannot read host and port from --dps-host '%s'\n", settings_.endpoint.c_str());
    return exit_usage;
  }
  if (settings_.websocket) {
    endpoint_.websocket = true;  // the same DpsClient and Pump; only the transport under them changes
    if (settings_.endpoint.find(':') == std::string::npos) endpoint_.port = 443;
  }
  if (settings_.websocket && settings_.port != 0) endpoint_.port = static_cast<std::uint16_t>(settings_.port);
  if (auto r = tls_.init(); !r) {
    std::fprintf(stderr, "picohub sim: TLS setup failed: %s (%s)\n", r.error().what, tls_.last_error_detail().c_str());
    return exit_network;
  }
  if (!settings_.ca_file.empty()) {
    if (auto r = tls_.add_ca_file(settings_.ca_file); !r) {
      std::fprintf(stderr, "picohub sim: cannot use --ca %s: %s\n", settings_.ca_file.c_str(), r.error().what);
      return exit_usage;
    }
  }
  endpoint_.tls = &tls_;
  return exit_ok;
}

Result<std::string> SimProvisioner::register_device(std::string& detail) {
  std::printf("Registering with DPS at %s:%u (id scope %s, registration id %s, %s%s)\n", endpoint_.host.c_str(),
              endpoint_.port, settings_.id_scope.c_str(), settings_.registration_id.c_str(),
              settings_.group ? "group enrollment: key derived from the group key" : "individual enrollment",
              endpoint_.websocket ? "; MQTT over WebSockets at /$iothub/websocket" : "");
  std::fflush(stdout);
  const iothub::DpsRegistration registration{settings_.id_scope, settings_.registration_id, device_key_, {}};
  auto outcome = link::register_with_dps(endpoint_, registration, iothub::DpsClientOptions{}, std::chrono::seconds(60),
                                         [](const std::string& line) {
                                           std::printf("  [DPS: %s]\n", line.c_str());
                                           std::fflush(stdout);
                                         });
  detail = outcome.detail;
  if (!outcome.result) return tl::unexpected(outcome.result.error());
  const auto& assignment = *outcome.result;
  std::string host;
  std::uint16_t port = 8883;
  if (!link::split_hub_name(assignment.assigned_hub, host, port)) {
    detail = "DPS assigned a hub name that is not host[:port]: " + assignment.assigned_hub;
    return tl::unexpected(Error{Errc::malformed, "DPS assigned a hub name that cannot be used"});
  }
  std::printf("DPS assigned registration %s to hub %s as device '%s' (%d request%s)\n",
              settings_.registration_id.c_str(), assignment.assigned_hub.c_str(), assignment.device_id.c_str(),
              assignment.attempts, assignment.attempts == 1 ? "" : "s");
  std::fflush(stdout);
  std::string connection_string = "HostName=" + host + ";DeviceId=" + assignment.device_id +
                                  ";SharedAccessKey=" + device_key_;
  if (port != 8883) connection_string += ";GatewayHostName=" + assignment.assigned_hub;
  return connection_string;
}

}  // namespace picohub::cli
