#include "tls/client_config.hpp"

#include <mbedtls/ssl_ciphersuites.h>
#if defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif

namespace picohub::tls {
namespace {

// IoT Hub enforces ECDHE-RSA with AES-GCM (or AES-CBC-SHA256/384) on TLS 1.2.
const int device_ciphersuites[] = {
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    0,
};

// TLS 1.3 first so a host peer that speaks it (mosquitto with OpenSSL 3) gets it. mbedTLS skips any suite
// its build does not support.
const int host_ciphersuites[] = {
    MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
    MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    0,
};

const std::uint16_t device_groups[] = {
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_NONE,
};

const std::uint16_t host_groups[] = {
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_NONE,
};

// What the server may sign its ServerKeyExchange with: RSA PKCS#1 v1.5 (TLS 1.2 with an RSA certificate).
const std::uint16_t device_signature_algorithms[] = {
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384,
    MBEDTLS_TLS1_3_SIG_NONE,
};

// PKCS#1 v1.5 ahead of RSA-PSS. mbedTLS 3.6 offers RSA-PSS in a 1.2+1.3 ClientHello (TLS 1.3 needs it) but
// cannot verify a PSS ServerKeyExchange in TLS 1.2 and aborts with illegal_parameter, which is what happens when
// an OpenSSL server that only speaks 1.2 honours a PSS-first list. Servers pick by the client's order, so this
// order keeps 1.2 peers on PKCS#1 and 1.3 peers (where PKCS#1 is not allowed) on PSS.
const std::uint16_t host_signature_algorithms[] = {
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP256R1_SHA256,
    MBEDTLS_TLS1_3_SIG_ECDSA_SECP384R1_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PKCS1_SHA512,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA256,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA384,
    MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA512,
    MBEDTLS_TLS1_3_SIG_NONE,
};

}  // namespace

Result<void> setup_client_config(mbedtls_ssl_config& conf, const ClientConfigParams& params) noexcept {
  if (params.random == nullptr) return fail(Errc::invalid_argument, "TLS needs a random generator");
  if (params.trust_anchors == nullptr)
    return fail(Errc::invalid_argument, "TLS needs trust anchors to verify the server certificate");
#if defined(MBEDTLS_PLATFORM_TIME_ALT)
  if (params.unix_time == nullptr)
    return fail(Errc::invalid_argument, "TLS on the board needs a Unix time source (SNTP) to check certificate dates");
#endif
#if defined(MBEDTLS_PSA_CRYPTO_C)
  // mbedTLS 3.6 runs TLS 1.3 (and parts of 1.2) on PSA crypto, which must be initialised; repeat calls are free.
  if (psa_crypto_init() != PSA_SUCCESS) return fail(Errc::crypto_failure, "cannot initialise PSA crypto");
#endif
  if (params.unix_time != nullptr) set_unix_time_source(params.unix_time);

  if (mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                  MBEDTLS_SSL_PRESET_DEFAULT) != 0)
    return fail(Errc::tls_failure, "cannot set up the TLS configuration");
  const bool host = params.profile == Profile::host;
  mbedtls_ssl_conf_min_tls_version(&conf, MBEDTLS_SSL_VERSION_TLS1_2);
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
  mbedtls_ssl_conf_max_tls_version(&conf, host ? MBEDTLS_SSL_VERSION_TLS1_3 : MBEDTLS_SSL_VERSION_TLS1_2);
#else
  mbedtls_ssl_conf_max_tls_version(&conf, MBEDTLS_SSL_VERSION_TLS1_2);
#endif
  mbedtls_ssl_conf_ciphersuites(&conf, host ? host_ciphersuites : device_ciphersuites);
  mbedtls_ssl_conf_groups(&conf, host ? host_groups : device_groups);
  mbedtls_ssl_conf_sig_algs(&conf, host ? host_signature_algorithms : device_signature_algorithms);
  mbedtls_ssl_conf_rng(&conf, params.random, params.random_state);
  mbedtls_ssl_conf_ca_chain(&conf, params.trust_anchors, nullptr);
  mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  if ((params.own_certificate == nullptr) != (params.own_key == nullptr))
    return fail(Errc::invalid_argument, "a client certificate needs its private key (and the other way round)");
  if (params.own_certificate != nullptr &&
      mbedtls_ssl_conf_own_cert(&conf, params.own_certificate, params.own_key) != 0)
    return fail(Errc::tls_failure, "cannot set the client certificate");
  return {};
}

}  // namespace picohub::tls
