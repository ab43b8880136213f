// X.509 client-certificate decisions, as IoT Hub makes them (docs/x509.md): a self-signed device is known by
// the SHA-1 or SHA-256 thumbprint of its certificate, a CA-signed device by a chain to a CA registered with the
// hub and a subject CN equal to its device id; the validity period is checked against the hub's clock.
// The certificate arrives as DER bytes (the plugin converts the broker's X509*), so this stays free of OpenSSL;
// parsing and chain verification are mbedTLS's. Possession of the private key was proved by the TLS handshake.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace picohub::hub {

// How a device authenticates (IoT Hub's `authentication.type`).
enum class DeviceAuth { sas, self_signed, certificate_authority };

const char* to_string(DeviceAuth auth);                         // "sas" | "selfSigned" | "certificateAuthority"
std::optional<DeviceAuth> parse_device_auth(std::string_view);  // the same names

struct CertificateInfo {
  std::string sha1_thumbprint;    // upper-case hex of the DER's SHA-1
  std::string sha256_thumbprint;  // upper-case hex of the DER's SHA-256
  std::string subject;            // "CN=dev1, O=..." (mbedTLS's text)
  std::string common_name;        // the subject's CN, empty if none
  std::int64_t not_before_s = 0;  // unix seconds
  std::int64_t not_after_s = 0;
};

// nullopt + `error` when the bytes are not one DER certificate.
std::optional<CertificateInfo> inspect_certificate(std::string_view der, std::string& error);
// The first certificate of a PEM text, as DER. nullopt + `error` when there is none.
std::optional<std::string> pem_certificate_to_der(std::string_view pem, std::string& error);

// "aa:bb cc" → "AABBCC"; nullopt unless what is left is 40 (SHA-1) or 64 (SHA-256) hex digits.
std::optional<std::string> normalize_thumbprint(std::string_view text);

struct X509Device {
  std::string device_id;
  DeviceAuth auth = DeviceAuth::self_signed;
  std::string primary_thumbprint;  // normalized; selfSigned only
  std::string secondary_thumbprint;
};

// nullopt when `leaf_der` proves `device`; otherwise why not (for the hub log). `ca_pems`: the registered CAs
// (certificateAuthority only). `info` receives the leaf's facts when it parses.
std::optional<std::string> check_device_certificate(const X509Device& device, std::string_view leaf_der,
                                                    const std::vector<std::string>& ca_pems, std::int64_t now_s,
                                                    CertificateInfo* info = nullptr);

}  // namespace picohub::hub
