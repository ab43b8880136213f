// The board's TLS client never VERIFIES an ECDSA signature (the hub's chain and its ServerKeyExchange are RSA);
// it SIGNS one: the CertificateVerify of an x509=true device's P-256 key. mbedTLS's pk method table for EC keys
// (pk_wrap.c) references both directions, so, as in rsa_verify_only.cpp, the firmware links with
// -Wl,--wrap=mbedtls_ecdsa_read_signature (apps/firmware/CMakeLists.txt) and the verify side (its point
// multiply-add, ~650 B) is dropped.
#include <mbedtls/ecdsa.h>

#include <cstddef>

namespace {
constexpr int kNotOnTheBoard = MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE;
}  // namespace

extern "C" {

int __wrap_mbedtls_ecdsa_read_signature(mbedtls_ecdsa_context*, const unsigned char*, std::size_t, const unsigned char*,
                                        std::size_t) {
  return kNotOnTheBoard;
}

}  // extern "C"
