// Not a test by itself: a "core" object that allocates through mbedTLS (HMAC via mbedtls_md_setup, AES-GCM via
// mbedtls_gcm_setkey -> mbedtls_cipher_setup), for the board gate's regression test in tls.cmake.
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>

int picohub_gate_probe(mbedtls_md_context_t* md, mbedtls_gcm_context* gcm, const unsigned char* key) {
  int rc = mbedtls_md_setup(md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1);
  if (rc == 0) rc = mbedtls_gcm_setkey(gcm, MBEDTLS_CIPHER_ID_AES, key, 128);
  return rc;
}
