// IoT Hub's service-side authorization: a SAS token signed with a shared access policy's key (iothubowner,
// service, registryRead, ...) and the rights that policy grants. Used by every service endpoint (REST, AMQP).
// Host-only, no Boost/Proton: the checks are pure functions of the token, the policies and `now`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace picohub::service {

// IoT Hub's permission bits for shared access policies.
enum ServiceRight : unsigned { kRegistryRead = 1, kRegistryWrite = 2, kServiceConnect = 4, kDeviceConnect = 8 };

struct SharedAccessPolicy {
  std::string name, primary_key, secondary_key;  // keys: base64
  unsigned rights = 0;                           // ServiceRight bits
};

// "RegistryRead, ServiceConnect" style names (IoT Hub's spelling) for messages and hub.json.
std::string rights_text(unsigned rights);
// Parses one right's name (case-insensitive); 0 when unknown.
unsigned right_from_name(std::string_view name) noexcept;

// token: "SharedAccessSignature sr=..&sig=..&se=..&skn=.." (fields in any order). Accepts when: skn names a
// policy, se > now, the decoded sr equals host_name or starts with host_name + "/" (host part
// case-insensitive), HMAC-SHA256(key, sr-as-sent + "\n" + se) matches either key, and the policy holds every
// bit of `needed` (checked last, so only a key holder learns a policy's rights).
// Errc::malformed for a token that does not parse, Errc::auth_refused otherwise; the text says which check
// failed and never contains the expected signature.
Result<const SharedAccessPolicy*> authorize_service_token(std::string_view token, std::string_view host_name,
                                                          std::span<const SharedAccessPolicy> policies, unsigned needed,
                                                          std::uint64_t now_unix);

// A SAS token as text, for host-side callers (the CLI's sas-token verb, the control client's login): the iothub
// core's make_sas_token (the signer the board runs) into a std::string. nullopt when key_base64 is not base64.
std::optional<std::string> make_sas_token_text(std::string_view resource, std::string_view key_base64,
                                               std::uint64_t expiry, std::string_view policy_name = {});

// IoT Hub's default policies with the rights Azure gives them (keys left empty for the caller to fill).
std::span<const SharedAccessPolicy> default_policy_shapes();

}  // namespace picohub::service
