// The TLS client configuration every session shares: verification REQUIRED against the caller's trust anchors,
// the caller's random generator, and the suites IoT Hub enforces. Two profiles:
//  - device: what the board speaks and nothing more — TLS 1.2, ECDHE-RSA with AES-GCM, P-256, PKCS#1 v1.5
//    signatures (the hub's and the local hub's certificates are RSA).
//  - host: TLS 1.2 or 1.3, adds the AES-CBC-SHA256/384 suites, P-384 and RSA-PSS (host tools talk to anything).
// The mbedtls_ssl_config, trust anchors and random state live in caller storage and must outlive every session.
#pragma once

#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <cstdint>

#include "common/error.hpp"
#include "tls/entropy_drbg.hpp"
#include "tls/unix_time.hpp"

namespace picohub::tls {

enum class Profile : std::uint8_t { device, host };

struct ClientConfigParams {
  RandomFn random = nullptr;
  void* random_state = nullptr;
  mbedtls_x509_crt* trust_anchors = nullptr;  // a parsed chain (may hold several roots)
  // Installed with set_unix_time_source(). Required on the board (no clock of its own); on the host nullptr
  // keeps the OS clock.
  UnixTimeSource unix_time = nullptr;
  Profile profile = Profile::device;
  // X.509 client authentication (x509=true devices): the device's certificate and its private key, presented
  // when the server asks. Both or neither; they live in caller storage like the trust anchors. On the device
  // profile the key should be P-256 (an RSA private-key operation takes seconds on the M0+), and the board's
  // mbedTLS build then needs ECDSA signing.
  mbedtls_x509_crt* own_certificate = nullptr;
  mbedtls_pk_context* own_key = nullptr;
};

// `conf` must have been mbedtls_ssl_config_init()ed; on failure it is left for the caller to free.
Result<void> setup_client_config(mbedtls_ssl_config& conf, const ClientConfigParams& params) noexcept;

}  // namespace picohub::tls
