// The board's TLS client never VERIFIES an ECDSA signature (the hub's chain and its ServerKeyExchange are RSA);
// with PICOHUB_BOARD_X509 it SIGNS one: the CertificateVerify of an x509=true device's P-256 key. mbedTLS's pk
// method table for EC keys (pk_wrap.c) references both directions, so, as in rsa_verify_only.cpp, the firmware
// links with -Wl,--wrap for the entry points it cannot need (apps/firmware/CMakeLists.txt): the verify side
// always (its point multiply-add, ~650 B), the sign side too when the build has no X.509 client certificates.
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

#if !defined(PICOHUB_X509_CLIENT)
int __wrap_mbedtls_ecdsa_write_signature(mbedtls_ecdsa_context*, mbedtls_md_type_t, const unsigned char*, std::size_t,
                                         unsigned char*, std::size_t, std::size_t*, mbedtls_f_rng_t*, void*) {
  return kNotOnTheBoard;
}
#endif

}  // extern "C"
