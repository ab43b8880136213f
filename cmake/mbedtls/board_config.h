/* mbedTLS 3.6 configuration for the RP2040 board (Cortex-M0+, no OS, no heap).
 *
 * What Azure IoT Hub needs from a device and nothing else: a TLS 1.2 client offering ECDHE-RSA with AES-GCM on
 * secp256r1, verifying an RSA certificate chain (DigiCert Global Root G2 / Microsoft RSA Root CA 2017, and the
 * local hub's RSA-2048 CA: apps/cli/hub_certs.cpp makes RSA on purpose, so no ECDSA verification is needed)
 * against PEM roots; ECDSA P-256 signing for an x509=true device's certificate; plus SHA-256 for SAS tokens (our own HMAC in src/iothub, no mbedtls_md). src/tls/client_config.cpp's
 * device profile offers exactly these. No file system, no sockets (our Transport does I/O through the bio
 * callbacks), no timing module, no threads, no PSA, no debug strings.
 *
 * Memory: every mbedtls_calloc/free goes to MBEDTLS_MEMORY_BUFFER_ALLOC_C's static arena
 * (mbedtls_memory_buffer_alloc_init). Until the arena is installed, allocation fails cleanly: the default
 * calloc/free below are stubs, so newlib's malloc is never referenced (board-checks/ enforces that). The peer
 * certificate is not kept after the handshake (MBEDTLS_SSL_KEEP_PEER_CERTIFICATE off), which returns the parsed
 * chain to the arena.
 *
 * Entropy: no mbedtls_entropy module at all. tls::EntropyDrbg seeds and reseeds CTR_DRBG straight from
 * platform::Entropy (the RP2040 ROSC behind health tests); a failing source fails the seed and TLS stays off.
 *
 * Time: certificate dates ARE checked (MBEDTLS_HAVE_TIME_DATE). mbedTLS's clock is a function pointer
 * (MBEDTLS_PLATFORM_TIME_ALT) that tls::set_unix_time_source() points at the firmware's platform::UnixClock
 * (set by SNTP); until SNTP has answered it reads 0 (1970: every certificate "not yet valid") and tls::Session
 * refuses to start a handshake at all. gmtime_r is ours (MBEDTLS_PLATFORM_GMTIME_R_ALT, src/tls/unix_time.cpp)
 * so newlib's time code stays out. mbedtls_ms_time is only used by TLS 1.3 / session tickets, which are off.
 *
 * Speed (the virtual-board handshake budget): ECP window 4 with the fixed-point tables for the generator of
 * P-256 (research measured ~1.0 s per handshake at -Os, 0.91 s at -O2; not re-measured here), and
 * scripts/mbedtls-board.sh builds bignum/ECP/RSA at -O2 (+4.0 KB flash over -Os). Measured 2026-12-04 against
 * the Azure-shaped chain (bench/RESULTS.md): -Os everywhere 1043 ms CPU per first handshake, -O2 on
 * bignum_core.c only 1007 ms, on bignum.c + bignum_core.c 974 ms, on all eight files 938 ms: all eight stay.
 * RSA verification multiplies only for the public exponent's 1 bits (apps/firmware/rsa_public_exp.cpp, linked in
 * place of mbedtls_mpi_exp_mod*: -265 ms per first handshake, 2026-12-05).
 *
 * Flash (issue 6's 160 KiB): encrypt-only AES and the looped SHA-256/512 below; the RSA private-key code that
 * pk_wrap.c references is kept out at link time (apps/firmware/rsa_verify_only.cpp).
 */
#ifndef PICOHUB_MBEDTLS_BOARD_CONFIG_H
#define PICOHUB_MBEDTLS_BOARD_CONFIG_H

#include <stddef.h>

/* --- platform ------------------------------------------------------------------------------------------- */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C

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

/* --- time ----------------------------------------------------------------------------------------------- */
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE
#define MBEDTLS_PLATFORM_TIME_ALT
#define MBEDTLS_PLATFORM_GMTIME_R_ALT
#define MBEDTLS_PLATFORM_MS_TIME_ALT
/* The clock until tls::set_unix_time_source() installs the firmware's: "1970", so nothing verifies. Keeps
 * newlib's time() (and its _gettimeofday stub) out of the image. */
#include <time.h>
static inline time_t picohub_mbedtls_time_unset(time_t *out)
{
    if (out != NULL) {
        *out = 0;
    }
    return 0;
}
#define MBEDTLS_PLATFORM_STD_TIME picohub_mbedtls_time_unset

/* --- TLS ------------------------------------------------------------------------------------------------ */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET

/* The suites IoT Hub accepts for TLS 1.2 that this build carries: ECDHE-RSA with AES-GCM. */
#define MBEDTLS_SSL_CIPHERSUITES                         \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,       \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384

/* The hub's certificate chain arrives in full-size records (IoT Hub does not negotiate max_fragment_length), so
 * the input buffer stays at the protocol maximum; what we send (MQTT packets) is small. */
#define MBEDTLS_SSL_IN_CONTENT_LEN  16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

/* --- X.509 ---------------------------------------------------------------------------------------------- */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
/* No certificate pretty-printing: the firmware words verify failures itself (tls/session.cpp), so the OID
 * tables' descriptions ("TLS Web Server Authentication", ...) and the x509 info writers need not be in flash. */
#define MBEDTLS_X509_REMOVE_INFO
/* No PEM reader: tls/trust_anchors.cpp decodes PEM with our own base64 (iothub/base64) into DER, and the
 * built-in roots are DER already (net/trust_store.cmake). */
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C

/* --- public key ------------------------------------------------------------------------------------------ */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDH_C
/* X.509 client certificates (x509=true, issue 11 §7): the CertificateVerify of the device's P-256 key. Only the
 * signing half is linked (apps/firmware/ecdsa_sign_only.cpp wraps verification away: every chain the board
 * verifies is RSA). */
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE       4
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 1
#define MBEDTLS_MPI_MAX_SIZE          512 /* 4096-bit RSA (Microsoft RSA Root CA 2017) */

/* --- symmetric, hashes, RNG ------------------------------------------------------------------------------ */
#define MBEDTLS_CIPHER_C
#define MBEDTLS_AES_C
/* No MBEDTLS_AES_ROM_TABLES: the tables are made in RAM (1.3 KB .bss) at first use instead of taking 1.3 KB of
 * flash, which is the budget that binds; encryption speed is the same. */
#define MBEDTLS_AES_FEWER_TABLES
/* Encrypt-only AES: GCM runs the block cipher forwards in both directions, so the inverse cipher, its key
 * schedule and RT0 are dead weight (~2.5 KB). Rules out CBC/XTS/DES/NIST_KW, none of which the board offers. */
#define MBEDTLS_BLOCK_CIPHER_NO_DECRYPT
#define MBEDTLS_GCM_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
/* The looped SHA-256 compression (~2 KB less flash): in the virtual board the handshake takes 1 ms more CPU
 * (939 vs 938 ms, bench/RESULTS.md 2026-12-04); the rest of its use is one HMAC per SAS token. */
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA384_C /* the AES-256-GCM-SHA384 PRF and the sha384WithRSA signatures of the Microsoft chain */
/* The looped SHA-512 compression (~2 KB less flash, +5 ms CPU per handshake in the virtual board). */
#define MBEDTLS_SHA512_SMALLER
#define MBEDTLS_CTR_DRBG_C

#endif /* PICOHUB_MBEDTLS_BOARD_CONFIG_H */
