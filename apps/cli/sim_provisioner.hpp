// `picohub sim --dps`: the simulated device's registrations with the Device Provisioning Service — the first one,
// and each one after the assigned hub disowned the device (device::dps_reprovision_refusals refusals in a row).
// Every registration prints its steps and yields the device connection string for the hub DPS assigned:
// HostName=<assigned host>;DeviceId=<assigned id>;SharedAccessKey=<key>[;GatewayHostName=<host:port>].
#pragma once

#include <array>
#include <string>

#include "common/error.hpp"
#include "net/connect.hpp"
#include "net/tls_context.hpp"

namespace picohub::cli {

struct DpsSettings {
  std::string endpoint;  // --dps-host: HOST[:PORT]
  std::string id_scope;
  std::string registration_id;
  std::string key;  // the enrollment's key, or the group key with `group`
  bool group = false;
  std::string ca_file;
  // --websocket: register over wss://host:port/$iothub/websocket, on 443 unless --dps-host names a port;
  // `port` (--port, 0 = not given) overrides both, as it does for the hub.
  bool websocket = false;
  int port = 0;
};

class SimProvisioner {
 public:
  SimProvisioner() = default;
  SimProvisioner(const SimProvisioner&) = delete;
  SimProvisioner& operator=(const SimProvisioner&) = delete;

  // Checks the settings and sets up TLS. Prints what is wrong and returns the exit code, or exit_ok.
  int setup(DpsSettings settings);

  // One registration, bounded by 60 s. Errors: auth_refused (DPS said no: `detail` has what it said), timeout,
  // network / TLS codes. `detail` gets the particulars of a failure.
  Result<std::string> register_device(std::string& detail);

  const DpsSettings& settings() const noexcept { return settings_; }

 private:
  DpsSettings settings_;
  std::string device_key_;  // the key the device signs with (derived from the group key for a group enrollment)
  net::Endpoint endpoint_;
  net::TlsContext tls_;
};

}  // namespace picohub::cli
