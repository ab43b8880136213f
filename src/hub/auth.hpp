// Connect-time decisions, exactly as IoT Hub makes them for SAS tokens (reference iothub-mqtt.md §1.3, §2.1):
// HMAC-SHA256 over the raw `sr` + "\n" + raw `se`, primary then secondary key, 5 min clock skew, audience =
// url-decoded `sr` naming this device (host part case-insensitive), client id == device id, username
// `{host}/{device}[/{module}][/?query in any order]`. Token parsing and the HMAC are the iothub core's
// (iothub::parse_sas_token, verify_sas_token, parse_mqtt_username); this file makes the decisions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hub/config.hpp"
#include "hub/store.hpp"

namespace picohub::hub {

inline constexpr std::int64_t kMaxClockSkewSeconds = 300;

enum class Principal { device, service };

struct AuthResult {
  bool accepted = false;
  Principal principal = Principal::device;
  std::string device_id;
  std::string module_id;
  std::string policy;           // service principal's policy name
  std::int64_t expiry_s = 0;    // token `se` (or the certificate's notAfter); the connection is closed when it passes
  bool by_certificate = false;  // an X.509 device, accepted for its client certificate
  std::string model_id;         // Plug and Play: the user name's model-id (a DTMI), empty if none
  std::string generation_id;    // per identity; a deleted and re-created identity gets a new one
  std::string reason;           // why it was refused (for the broker log), empty when accepted
};

// now_s: unix seconds. The service principal: username = policy name (e.g. "iothubowner"), sr = url-encoded host,
// skn = that policy, client id not shaped like a device id (it never passes as a device).
// client_cert_der: the TLS client certificate (DER), empty when none was presented. A device registered with
// X.509 (selfSigned | certificateAuthority) is judged by it alone: a password, if any, is ignored. A SAS device
// is judged by its token alone: a certificate it presents is ignored (docs/x509.md).
AuthResult authenticate(const HubConfig& config, Store& store, std::string_view client_id, std::string_view username,
                        std::string_view password, std::int64_t now_s, std::string_view client_cert_der = {});

// Device ids: ≤128 chars of ASCII alphanumerics and - . % _ * ? ! ( ) , : = @ $ ' (reference §1.3).
bool is_valid_device_id(std::string_view id);

// IoT Hub's generationId for an identity created at `created_ms`: stable for its life, new when re-created.
// Written as .NET ticks (100 ns since 0001-01-01), the form IoT Hub's own ids take.
std::string generation_id(std::int64_t created_ms);

// Every service tool's MQTT client id starts with this; no device id may (compared ignoring case).
inline constexpr std::string_view kServiceClientIdPrefix = "picohub-service-";
bool is_reserved_client_id(std::string_view id);

}  // namespace picohub::hub
