// Device connection strings: "HostName=h;DeviceId=d;SharedAccessKey=k" (reference §2.2). Elements are split on
// ';' and each on its FIRST '=' (values hold base64 '=' and whole SAS tokens). All fields are views into the
// input, which must outlive the result.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/error.hpp"

namespace picohub::iothub {

struct ConnectionString {
  std::string_view host_name{};                // HostName (required)
  std::string_view device_id{};                // DeviceId (required)
  std::string_view module_id{};                // ModuleId (optional)
  std::string_view shared_access_key{};        // SharedAccessKey (strict base64, checked)
  std::string_view shared_access_key_name{};   // SharedAccessKeyName (policy; becomes skn)
  std::string_view shared_access_signature{};  // SharedAccessSignature (a complete pre-made token, checked)
  std::string_view gateway_host_name{};        // GatewayHostName: connect here, but sign/identify as host_name
  bool x509 = false;                           // x509=true: client-certificate authentication
  std::uint64_t signature_expiry_unix = 0;     // the SharedAccessSignature's se (parse_connection_string)

  // Where the TCP/TLS connection goes.
  std::string_view endpoint_host() const noexcept { return gateway_host_name.empty() ? host_name : gateway_host_name; }
};

// Rules: HostName and DeviceId required; exactly one of SharedAccessKey, SharedAccessSignature, x509=true;
// unknown keys are ignored; an empty element (";;", trailing ';') is skipped; a later duplicate wins (as in the
// Node SDK). Errors have a static message; when `offending` is given it receives the element or key at fault
// (e.g. the element without '=', or "SharedAccessKey") so a caller can print it.
Result<ConnectionString> parse_connection_string(std::string_view text, std::string_view* offending = nullptr) noexcept;

// The same rules except the shape of a SharedAccessSignature, which is kept as text (signature_expiry_unix stays
// 0). For code that takes key connection strings only (the board's config): it does not link the SAS token parser.
Result<ConnectionString> split_connection_string(std::string_view text, std::string_view* offending = nullptr) noexcept;

}  // namespace picohub::iothub
