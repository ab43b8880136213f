// The board never checks that an EC private key matches a public one: `picohub board uf2 --cert --cert-key` does,
// on the host, before the pair goes into the config block (apps/cli/board_x509.cpp). mbedTLS's pk method table
// for EC keys (pk_wrap.c) still references mbedtls_ecp_check_pub_priv (~0.3 KB), so, as in rsa_verify_only.cpp,
// the firmware links with -Wl,--wrap=mbedtls_ecp_check_pub_priv (apps/firmware/CMakeLists.txt): a call would fail
// cleanly with "feature unavailable", and the real code is dropped.
#include <mbedtls/ecp.h>

extern "C" {

// NOLINTNEXTLINE(bugprone-reserved-identifier): the name --wrap gives the replacement
int __wrap_mbedtls_ecp_check_pub_priv(const mbedtls_ecp_keypair*, const mbedtls_ecp_keypair*,
                                      int (*)(void*, unsigned char*, size_t), void*) {
  return MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE;
}

}  // extern "C"
