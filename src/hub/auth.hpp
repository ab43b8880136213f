// Connect-time decisions, exactly as IoT Hub makes them for SAS tokens (reference iothub-mqtt.md §1.3, §2.1):
// HMAC-SHA256 over the raw `sr` + "\n" + raw `se`, primary then secondary key, 5 min clock skew, audience =
// url-decoded `sr` naming this device (host part case-insensitive), client id == device id, username
// `{host}/{device}[/{module}][/?query in any order]`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hub/config.hpp"
#include "hub/store.hpp"

namespace picohub::hub {

inline constexpr std::int64_t kMaxClockSkewSeconds = 300;

struct SasFields {
  std::string raw_sr;   // as written in the token: the HMAC covers it verbatim
  std::string sr;       // url-decoded audience
  std::string sig;      // decoded base64 text
  std::string raw_se;
  std::int64_t se = 0;
  std::string skn;      // empty when absent
};

// nullopt + reason when the password is not `SharedAccessSignature sr=..&sig=..&se=..[&skn=..]`.
std::optional<SasFields> parse_sas_password(std::string_view password, std::string& reason);

struct UsernameParts {
  std::string host;
  std::string device_id;
  std::string module_id;  // empty for a device
};
// Accepts `{host}/{device}/?api-version=..&..` (any query order), no query at all, and the old
// `{host}/{device}/api-version=..` form.
std::optional<UsernameParts> parse_device_username(std::string_view username);

// Signature check only: true when sig == base64(HMAC(base64decode(key), raw_sr + "\n" + raw_se)).
bool signature_matches(const SasFields& token, std::string_view key_base64);

enum class Principal { device, service };

struct AuthResult {
  bool accepted = false;
  Principal principal = Principal::device;
  std::string device_id;
  std::string module_id;
  std::string policy;           // service principal's policy name
  std::int64_t expiry_s = 0;    // token `se`; the connection is closed when it passes
  std::string reason;           // why it was refused (for the broker log), empty when accepted
};

// now_s: unix seconds. The service principal: username = policy name (e.g. "iothubowner"), sr = url-encoded host,
// skn = that policy, client id not shaped like a device id (it never passes as a device).
AuthResult authenticate(const HubConfig& config, Store& store, std::string_view client_id, std::string_view username,
                        std::string_view password, std::int64_t now_s);

// Device ids: ≤128 chars of ASCII alphanumerics and - . % _ * ? ! ( ) , : = @ $ ' (reference §1.3).
bool is_valid_device_id(std::string_view id);

}  // namespace picohub::hub
