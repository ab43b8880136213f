// The board's TLS client only VERIFIES RSA signatures (the hub's certificate chain and its ServerKeyExchange);
// it holds no RSA key (SAS authentication, ECDHE key exchange). mbedTLS's pk layer still links the RSA private-key
// operations, because its RSA method table (pk_wrap.c) points at sign/decrypt/encrypt/check-pair, and parsing a
// key (rsa.c's mbedtls_rsa_complete) reaches the prime/CRT deduction helpers: ~3 KB the firmware can never run.
// No configuration option removes them, so the firmware links with -Wl,--wrap for each of these entry points
// (apps/firmware/CMakeLists.txt): the calls from those other mbedTLS objects land here, fail cleanly with
// "feature unavailable", and the real code, now unreferenced, is dropped by --gc-sections. Board only; the host
// links the full library.
#include <mbedtls/bignum.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include <cstddef>

namespace {
constexpr int kNotOnTheBoard = MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE;
}  // namespace

extern "C" {

int __wrap_mbedtls_rsa_pkcs1_sign(mbedtls_rsa_context*, mbedtls_f_rng_t*, void*, mbedtls_md_type_t, unsigned int,
                                  const unsigned char*, unsigned char*) {
  return kNotOnTheBoard;
}

int __wrap_mbedtls_rsa_pkcs1_decrypt(mbedtls_rsa_context*, mbedtls_f_rng_t*, void*, std::size_t*, const unsigned char*,
                                     unsigned char*, std::size_t) {
  return kNotOnTheBoard;
}

int __wrap_mbedtls_rsa_pkcs1_encrypt(mbedtls_rsa_context*, mbedtls_f_rng_t*, void*, std::size_t, const unsigned char*,
                                     unsigned char*) {
  return kNotOnTheBoard;
}

int __wrap_mbedtls_rsa_check_pub_priv(const mbedtls_rsa_context*, const mbedtls_rsa_context*) { return kNotOnTheBoard; }

// Only reached for a private key given without all of its parameters (a certificate's key is public).
int __wrap_mbedtls_rsa_deduce_primes(const mbedtls_mpi*, const mbedtls_mpi*, const mbedtls_mpi*, mbedtls_mpi*,
                                     mbedtls_mpi*) {
  return kNotOnTheBoard;
}

int __wrap_mbedtls_rsa_deduce_private_exponent(const mbedtls_mpi*, const mbedtls_mpi*, const mbedtls_mpi*,
                                               mbedtls_mpi*) {
  return kNotOnTheBoard;
}

int __wrap_mbedtls_rsa_deduce_crt(const mbedtls_mpi*, const mbedtls_mpi*, const mbedtls_mpi*, mbedtls_mpi*,
                                  mbedtls_mpi*, mbedtls_mpi*) {
  return kNotOnTheBoard;
}

}  // extern "C"
