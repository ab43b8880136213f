#include "iothub/connection_string.hpp"

#include <array>
#include <cstdint>

#include "iothub/base64.hpp"
#include "iothub/sas_token.hpp"  // max_sas_key_bytes

namespace picohub::iothub {
namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool is_true(std::string_view v) noexcept {
  return v.size() == 4 && (v[0] == 't' || v[0] == 'T') && (v[1] == 'r' || v[1] == 'R') &&
         (v[2] == 'u' || v[2] == 'U') && (v[3] == 'e' || v[3] == 'E');
}

}  // namespace

Result<ConnectionString> split_connection_string(std::string_view text, std::string_view* offending) noexcept {
  auto bad = [&](std::string_view what_at, Errc code, const char* what) -> Result<ConnectionString> {
    if (offending != nullptr) *offending = what_at;
    return fail(code, what);
  };
  ConnectionString cs;
  std::string_view x509_value;
  bool have_x509 = false;
  std::string_view rest = trim(text);
  if (rest.empty()) return bad({}, Errc::invalid_argument, "connection string is empty");
  while (!rest.empty()) {
    const std::size_t semi = rest.find(';');
    const std::string_view element = trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    if (element.empty()) continue;
    const std::size_t eq = element.find('=');
    if (eq == std::string_view::npos)
      return bad(element, Errc::malformed, "connection string element is not Key=value");
    const std::string_view key = trim(element.substr(0, eq));
    const std::string_view value = trim(element.substr(eq + 1));
    if (key.empty()) return bad(element, Errc::malformed, "connection string element is not Key=value");
    if (key == "HostName") {
      cs.host_name = value;
    } else if (key == "DeviceId") {
      cs.device_id = value;
    } else if (key == "ModuleId") {
      cs.module_id = value;
    } else if (key == "SharedAccessKey") {
      cs.shared_access_key = value;
    } else if (key == "SharedAccessKeyName") {
      cs.shared_access_key_name = value;
    } else if (key == "SharedAccessSignature") {
      cs.shared_access_signature = value;
    } else if (key == "GatewayHostName") {
      cs.gateway_host_name = value;
    } else if (key == "x509") {
      x509_value = value;
      have_x509 = true;
    }
    // Unknown keys (e.g. UseProvisioning) are ignored.
  }
  if (cs.host_name.empty()) return bad("HostName", Errc::invalid_argument, "connection string has no HostName");
  if (cs.device_id.empty()) return bad("DeviceId", Errc::invalid_argument, "connection string has no DeviceId");
  if (cs.host_name.find('/') != std::string_view::npos)
    return bad("HostName", Errc::invalid_argument, "HostName is not a host name (like myhub.azure-devices.net)");
  if (cs.device_id.find('/') != std::string_view::npos)
    return bad("DeviceId", Errc::invalid_argument, "DeviceId must not contain '/'");
  if (cs.module_id.find('/') != std::string_view::npos)
    return bad("ModuleId", Errc::invalid_argument, "ModuleId must not contain '/'");
  if (have_x509) {
    if (!is_true(x509_value)) return bad("x509", Errc::invalid_argument, "x509 must be x509=true");
    cs.x509 = true;
  }
  const int methods = (cs.shared_access_key.empty() ? 0 : 1) + (cs.shared_access_signature.empty() ? 0 : 1) +
                      (cs.x509 ? 1 : 0);
  if (methods == 0)
    return bad("SharedAccessKey", Errc::invalid_argument,
               "connection string has no SharedAccessKey, SharedAccessSignature or x509=true");
  if (!cs.shared_access_key.empty() && !cs.shared_access_signature.empty())
    return bad("SharedAccessSignature", Errc::invalid_argument,
               "give SharedAccessKey or SharedAccessSignature, not both");
  if (methods > 1) return bad("x509", Errc::invalid_argument, "x509=true cannot be combined with a key or signature");
  if (!cs.shared_access_key.empty()) {
    std::array<std::uint8_t, max_sas_key_bytes> key{};
    auto n = base64_decode(cs.shared_access_key, key, Base64Mode::strict);
    key.fill(0);
    if (!n || *n == 0)
      return bad("SharedAccessKey", Errc::invalid_argument,
                 "SharedAccessKey is not valid base64 (copy the primary key)");
  }
  return cs;
}

}  // namespace picohub::iothub
