/* mbedTLS 3.6 configuration for the RP2040 board (Cortex-M0+, no OS, no heap).
 *
 * What Azure IoT Hub needs from a device and nothing else: a TLS 1.2 client offering the ECDHE-RSA suites the
 * hub enforces (AES-GCM, AES-CBC with SHA-256/384) on secp256r1/secp384r1, verifying an RSA certificate chain
 * against PEM roots; plus base64 and HMAC-SHA256 for SAS tokens. No file system, no sockets (our Transport
 * does I/O through the custom bio callbacks), no timing module, no threads, no PSA.
 *
 * Memory: every mbedtls_calloc/free goes to MBEDTLS_MEMORY_BUFFER_ALLOC_C's static arena
 * (mbedtls_memory_buffer_alloc_init). Until the arena is installed, allocation fails cleanly: the default
 * calloc/free below are stubs, so newlib's malloc is never referenced (board-checks/ enforces that).
 *
 * Entropy: MBEDTLS_NO_PLATFORM_ENTROPY; the firmware adds its own source (RP2040 ROSC) with
 * mbedtls_entropy_add_source before seeding CTR_DRBG.
 *
 * Time: MBEDTLS_HAVE_TIME / MBEDTLS_HAVE_TIME_DATE are off because the board has no clock until SNTP runs, so
 * certificate validity dates are not checked on the board yet (signatures and host name are).
 */
#ifndef PICOHUB_MBEDTLS_BOARD_CONFIG_H
#define PICOHUB_MBEDTLS_BOARD_CONFIG_H

#include <stddef.h>

/* --- platform ------------------------------------------------------------------------------------------- */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_NO_PLATFORM_ENTROPY

/* Stubs used until mbedtls_memory_buffer_alloc_init() installs the arena: they keep newlib's calloc/free out
 * of the image (platform.h would otherwise default to them). */
static inline void *picohub_mbedtls_calloc_unset(size_t n, size_t size)
{
    (void) n;
    (void) size;
    return NULL;
}
static inline void picohub_mbedtls_free_unset(void *ptr)
{
    (void) ptr;
}
#define MBEDTLS_PLATFORM_STD_CALLOC picohub_mbedtls_calloc_unset
#define MBEDTLS_PLATFORM_STD_FREE   picohub_mbedtls_free_unset

/* --- TLS ------------------------------------------------------------------------------------------------ */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH

/* The suites IoT Hub accepts for TLS 1.2 (ECDHE-RSA only: the hub's certificates are RSA). */
#define MBEDTLS_SSL_CIPHERSUITES                         \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,       \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,       \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,       \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256

/* The hub's certificate chain arrives in full-size records unless max_fragment_length is negotiated, so the
 * input buffer stays at the protocol maximum; what we send (MQTT packets) is small. */
#define MBEDTLS_SSL_IN_CONTENT_LEN  16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

/* --- X.509 ---------------------------------------------------------------------------------------------- */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C

/* --- public key ------------------------------------------------------------------------------------------ */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE       2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_MPI_MAX_SIZE          512 /* 4096-bit RSA (Microsoft RSA Root CA 2017) */

/* --- symmetric, hashes, HMAC, RNG ------------------------------------------------------------------------ */
#define MBEDTLS_CIPHER_C
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_GCM_C
#define MBEDTLS_CIPHER_MODE_CBC
#define MBEDTLS_CIPHER_PADDING_PKCS7
#define MBEDTLS_MD_C
#define MBEDTLS_SHA224_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA384_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_ENTROPY_MAX_SOURCES 2
#define MBEDTLS_CTR_DRBG_C

#endif /* PICOHUB_MBEDTLS_BOARD_CONFIG_H */
