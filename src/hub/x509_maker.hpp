// Makes P-256 keys and X.509 certificates with mbedTLS, for makers (`picohub device cert`) and tests: a
// self-signed device certificate, a CA, or a device certificate signed by a CA. Host-only. P-256 ECDSA because
// that is what the board can sign with in well under a second (an RSA private-key operation takes seconds).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace picohub::hub {

struct KeyAndCertificate {
  std::string key_pem;          // "-----BEGIN EC PRIVATE KEY-----" (SEC1)
  std::string certificate_pem;  // "-----BEGIN CERTIFICATE-----"
};

struct CertificateSpec {
  std::string common_name;        // the subject is CN=<this>
  std::int64_t not_before_s = 0;  // unix seconds
  std::int64_t not_after_s = 0;
  bool is_ca = false;  // basicConstraints CA:TRUE and keyCertSign
};

using CertificateSerial = std::array<unsigned char, 16>;

// The serial from 16 random bytes, as mbedTLS writes it (raw): a positive INTEGER whose first byte is not zero.
// DER wants the shortest form, and OpenSSL (mosquitto's TLS) refuses a certificate whose serial starts with a
// needless 0x00 (1 in 256 random serials), so the first byte is 0x40-0x7F.
CertificateSerial der_serial(CertificateSerial random_bytes);

// issuer == nullptr: self-signed. nullopt + `error` when mbedTLS fails (or the issuer's PEMs do not parse).
std::optional<KeyAndCertificate> make_certificate(const CertificateSpec& spec, const KeyAndCertificate* issuer,
                                                  std::string& error);

}  // namespace picohub::hub
