// Host-side helpers for the service verbs: base64 and URL encoding on std::string, random keys, and SAS tokens
// (made by the iothub core's make_sas_token, so the CLI and the board sign the same way).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace picohub::cli {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

// Percent-encodes everything except RFC 3986 unreserved characters (upper-case hex), like encodeURIComponent
// plus !'()*.
std::string url_encode(std::string_view text);

// `n` cryptographically random bytes from the kernel.
std::string random_bytes(std::size_t n);

// SharedAccessSignature sr=<urlenc(resource)>&sig=<urlenc(b64 hmac)>&se=<expiry>[&skn=<policy>].
// The string-to-sign is the url-encoded resource as written in the token, "\n", then the expiry.
// Returns nullopt when key_base64 is not valid base64.
std::optional<std::string> make_sas(std::string_view resource, std::string_view key_base64, long long expiry,
                                    std::string_view policy_name = {});

}  // namespace picohub::cli
