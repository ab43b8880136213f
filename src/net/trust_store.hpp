// The built-in trust store: the roots Azure IoT Hub's server certificates chain to (DigiCert Global Root G2
// and Microsoft RSA Root CA 2017), as PEM text generated at build time from Debian's ca-certificates.
// Header and data are heap-free so the board links the very same roots.
#pragma once

#include <cstddef>
#include <span>

namespace picohub::net {

struct TrustedRoot {
  const char* name;  // file stem in ca-certificates, e.g. "DigiCert_Global_Root_G2"
  const char* pem;   // NUL-terminated PEM text (mbedtls_x509_crt_parse wants length including the NUL)
};

std::span<const TrustedRoot> builtin_roots() noexcept;

// The same roots as DER, decoded from the PEM at configure time: what the device parses (no PEM reader, and
// the PEM text stays out of the board's image).
struct TrustedRootDer {
  const char* name;
  std::span<const unsigned char> der;
};
std::span<const TrustedRootDer> builtin_roots_der() noexcept;

}  // namespace picohub::net
