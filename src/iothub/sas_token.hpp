// Shared Access Signature tokens, both sides: the device signs (make_sas_token), the hub verifies
// (parse_sas_token + verify_sas_token). Reference: iothub-mqtt.md §2.
//   token          = "SharedAccessSignature sr=<url-encoded resource>&sig=<url-encoded base64 HMAC>&se=<unix
//   s>[&skn=<policy>]" string to sign = <sr exactly as written> "\n" <se exactly as written> HMAC-SHA256 key =
//   base64-DECODED SharedAccessKey
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/error.hpp"

namespace picohub::iothub {

// Largest decoded key we accept (device keys are 32 bytes, DPS group keys 64).
inline constexpr std::size_t max_sas_key_bytes = 128;
// Base64 of a SHA-256 HMAC: 44 characters.
inline constexpr std::size_t sas_signature_size = 44;

// base64(HMAC-SHA256(base64decode(key_base64), string_to_sign)) into `out` (>= 44 bytes). The key is decoded
// leniently (missing padding accepted) as the Node SDK does. Errc::invalid_argument for an empty or non-base64 key.
Result<std::string_view> sas_signature(std::string_view string_to_sign, std::string_view key_base64,
                                       std::span<char> out) noexcept;

struct SasTokenRequest {
  std::string_view resource{};     // unencoded, e.g. "myhub.azure-devices.net/devices/dev1"
  std::string_view key_base64{};   // SharedAccessKey (device, module, policy or derived DPS key)
  std::uint64_t expiry_unix = 0;   // se
  std::string_view policy_name{};  // skn; empty = no skn (device/module registry key)
};

// "SharedAccessSignature sr=<enc>&sig=<enc>&se=<n>[&skn=<enc>]". 256 bytes of `out` fit any ordinary device.
Result<std::string_view> make_sas_token(const SasTokenRequest& request, std::span<char> out) noexcept;

// "{host}/devices/{device}" or "{host}/devices/{device}/modules/{module}" (module empty = device form).
Result<std::string_view> device_resource(std::string_view host, std::string_view device, std::string_view module,
                                         std::span<char> out) noexcept;

// "{id_scope}/registrations/{registration_id}" for DPS (sign with policy_name "registration").
Result<std::string_view> dps_resource(std::string_view id_scope, std::string_view registration_id,
                                      std::span<char> out) noexcept;

// DPS group enrollment: base64(HMAC-SHA256(base64decode(group_key), registration_id)). `out` >= 44 bytes.
Result<std::string_view> derive_device_key(std::string_view group_key_base64, std::string_view registration_id,
                                           std::span<char> out) noexcept;

struct SasTokenFields {
  std::string_view sr{};      // raw, as written (may be url-encoded in any hex case, or not encoded at all)
  std::string_view sig{};     // raw, url-encoded base64
  std::string_view se_raw{};  // raw decimal text (what was signed)
  std::uint64_t se = 0;       // parsed expiry, unix seconds
  std::string_view skn{};     // raw; empty when absent
  bool has_skn = false;
};

// Parses a token as IoT Hub does: exactly two whitespace-separated parts, the first "SharedAccessSignature";
// '&'-separated fields in any order, names case-insensitive; sr, sig and se required, skn optional;
// unknown fields ignored. Errc::malformed with a message naming the problem.
Result<SasTokenFields> parse_sas_token(std::string_view token) noexcept;

// Hub side: recomputes the HMAC over raw sr + "\n" + raw se with `key_base64` and compares it, in fixed time,
// with the url-decoded sig. Errc::auth_refused when it does not match. Expiry is the caller's check
// (see sas_expired()).
Result<void> verify_sas_token(const SasTokenFields& fields, std::string_view key_base64) noexcept;

// IoT Hub's rule: expired when se + skew < now.
// Written without `se + skew` so a forged se near 2^64 cannot wrap around into "valid".
constexpr bool sas_expired(std::uint64_t se, std::uint64_t now_unix, std::uint64_t skew_s = 300) noexcept {
  return now_unix > skew_s && se < now_unix - skew_s;
}

// When to renew a token: at 80 % of its lifetime, and never later than 60 s before expiry.
struct SasRenewal {
  std::uint64_t issued_unix = 0;
  std::uint32_t ttl_s = 3600;

  constexpr std::uint64_t expiry_unix() const noexcept { return issued_unix + ttl_s; }
  // Seconds after issue at which renewal is due: at 80 % of the life and at least 60 s before expiry. A life of
  // 60 s or less (a test's token) cannot keep that margin and renews at 80 %: renewing the moment it is used
  // would reconnect on every connect.
  constexpr std::uint32_t renew_after_s() const noexcept {
    const std::uint32_t eighty = static_cast<std::uint32_t>(std::uint64_t{ttl_s} * 8 / 10);
    const std::uint32_t margin = ttl_s > 60 ? ttl_s - 60 : eighty;
    return eighty < margin ? eighty : margin;
  }
  constexpr std::uint64_t renew_at_unix() const noexcept { return issued_unix + renew_after_s(); }
  constexpr bool due(std::uint64_t now_unix) const noexcept { return now_unix >= renew_at_unix(); }
};

}  // namespace picohub::iothub
