// Host-side helpers for the service verbs: base64, URL encoding, HMAC-SHA256 and SAS tokens.
// The CLI binary is not linked against a crypto library, so HMAC-SHA256 (FIPS 180-4 / RFC 2104) is done here;
// the device-side SAS code in src/iothub is the one the board uses.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace picohub::cli {

std::array<std::uint8_t, 32> sha256(std::string_view data);
std::array<std::uint8_t, 32> hmac_sha256(std::string_view key, std::string_view message);

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
