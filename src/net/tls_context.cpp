#include "net/tls_context.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/x509_crt.h>
#if defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif

#include <cstdio>
#include <fstream>
#include <iterator>

#include "net/trust_store.hpp"

namespace picohub::net {
namespace {

// IoT Hub enforces ECDHE-RSA with AES-GCM or AES-CBC-SHA256/384 on TLS 1.2. TLS 1.3 suites come first
// so a host peer that speaks 1.3 (mosquitto with OpenSSL 3) gets it.
const int ciphersuites[] = {
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
    MBEDTLS_TLS1_3_AES_256_GCM_SHA384,
    MBEDTLS_TLS1_3_AES_128_GCM_SHA256,
#endif
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    0,
};

const std::uint16_t groups[] = {
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP256R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_SECP384R1,
    MBEDTLS_SSL_IANA_TLS_GROUP_NONE,
};

// Signature algorithms, PKCS#1 v1.5 ahead of RSA-PSS. mbedTLS 3.6 offers RSA-PSS in a 1.2+1.3 ClientHello (TLS
// 1.3 needs it) but cannot verify a PSS ServerKeyExchange in TLS 1.2 and aborts with illegal_parameter, which is
// what happens when an OpenSSL server that only speaks 1.2 honours a PSS-first list. Servers pick by the client's
// order, so this order keeps 1.2 peers on PKCS#1 and 1.3 peers (where PKCS#1 is not allowed) on PSS.
const std::uint16_t signature_algorithms[] = {
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

std::string mbedtls_error_text(int code) {
  char buf[200];
  mbedtls_strerror(code, buf, sizeof buf);
  return std::string(buf) + " (-0x" + [code] {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%04X", static_cast<unsigned>(-code));
    return std::string(hex);
  }() + ")";
}

struct TlsContext::Impl {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_x509_crt ca;
  mbedtls_ssl_config conf;
  bool ready = false;
  bool insecure = false;
  std::string detail;

  Impl() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_x509_crt_init(&ca);
    mbedtls_ssl_config_init(&conf);
  }
  ~Impl() {
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&ca);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
};

TlsContext::TlsContext() : impl_(std::make_unique<Impl>()) {}
TlsContext::~TlsContext() = default;

Result<void> TlsContext::init(const TlsOptions& options) {
  Impl& s = *impl_;
  if (s.ready) return fail(Errc::invalid_argument, "TLS context already initialised");
#if defined(MBEDTLS_PSA_CRYPTO_C)
  // mbedTLS 3.6 runs TLS 1.3 (and parts of 1.2) on PSA crypto, which must be initialised once per process.
  if (psa_crypto_init() != PSA_SUCCESS) return fail(Errc::crypto_failure, "cannot initialise PSA crypto");
#endif
  static const char personalisation[] = "picohub tls client";
  int rc = mbedtls_ctr_drbg_seed(&s.drbg, mbedtls_entropy_func, &s.entropy,
                                 reinterpret_cast<const unsigned char*>(personalisation), sizeof personalisation - 1);
  if (rc != 0) {
    s.detail = "seeding the random generator: " + mbedtls_error_text(rc);
    return fail(Errc::crypto_failure, "cannot seed the random generator (no entropy source?)");
  }
  if (options.use_builtin_roots) {
    for (const TrustedRoot& root : builtin_roots()) {
      rc = mbedtls_x509_crt_parse(&s.ca, reinterpret_cast<const unsigned char*>(root.pem),
                                  std::char_traits<char>::length(root.pem) + 1);
      if (rc != 0) {
        s.detail = std::string("built-in root ") + root.name + ": " + mbedtls_error_text(rc);
        return fail(Errc::certificate_invalid, "a built-in root certificate does not parse (rebuild picohub)");
      }
    }
  }
  rc = mbedtls_ssl_config_defaults(&s.conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                   MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) {
    s.detail = "mbedtls_ssl_config_defaults: " + mbedtls_error_text(rc);
    return fail(Errc::tls_failure, "cannot set up the TLS configuration");
  }
  mbedtls_ssl_conf_min_tls_version(&s.conf, MBEDTLS_SSL_VERSION_TLS1_2);
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
  mbedtls_ssl_conf_max_tls_version(&s.conf, options.allow_tls13 ? MBEDTLS_SSL_VERSION_TLS1_3 : MBEDTLS_SSL_VERSION_TLS1_2);
#else
  mbedtls_ssl_conf_max_tls_version(&s.conf, MBEDTLS_SSL_VERSION_TLS1_2);
#endif
  mbedtls_ssl_conf_ciphersuites(&s.conf, ciphersuites);
  mbedtls_ssl_conf_groups(&s.conf, groups);
  mbedtls_ssl_conf_sig_algs(&s.conf, signature_algorithms);
  mbedtls_ssl_conf_rng(&s.conf, mbedtls_ctr_drbg_random, &s.drbg);
  mbedtls_ssl_conf_ca_chain(&s.conf, &s.ca, nullptr);
  s.insecure = options.insecure_skip_verify;
  mbedtls_ssl_conf_authmode(&s.conf, s.insecure ? MBEDTLS_SSL_VERIFY_NONE : MBEDTLS_SSL_VERIFY_REQUIRED);
  s.ready = true;
  return {};
}

Result<void> TlsContext::add_ca_pem(std::string_view pem) {
  Impl& s = *impl_;
  if (pem.find("-----BEGIN CERTIFICATE-----") == std::string_view::npos) {
    s.detail = "no \"-----BEGIN CERTIFICATE-----\" block found";
    return fail(Errc::malformed, "the CA is not a PEM certificate: pass the CA certificate (PEM), not a key or DER");
  }
  const std::string text(pem);  // mbedTLS wants the NUL inside the length for PEM
  const int rc = mbedtls_x509_crt_parse(&s.ca, reinterpret_cast<const unsigned char*>(text.c_str()), text.size() + 1);
  if (rc != 0) {
    s.detail = rc > 0 ? std::to_string(rc) + " certificate(s) in the PEM did not parse" : mbedtls_error_text(rc);
    return fail(Errc::malformed, "the CA certificate does not parse: check it is a complete PEM certificate");
  }
  return {};
}

Result<void> TlsContext::add_ca_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    impl_->detail = "cannot open " + path;
    return fail(Errc::invalid_argument, "cannot read the CA file: check the path given to --ca");
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto added = add_ca_pem(text);
  if (!added) impl_->detail = path + ": " + impl_->detail;
  return added;
}

std::vector<std::string> TlsContext::trusted_subjects() const {
  std::vector<std::string> out;
  for (const mbedtls_x509_crt* c = &impl_->ca; c != nullptr && c->raw.len != 0; c = c->next) {
    char buf[512];
    if (mbedtls_x509_dn_gets(buf, sizeof buf, &c->subject) > 0) out.emplace_back(buf);
  }
  return out;
}

bool TlsContext::insecure_skip_verify() const { return impl_->insecure; }
const std::string& TlsContext::last_error_detail() const { return impl_->detail; }
mbedtls_ssl_config* TlsContext::config() { return impl_->ready ? &impl_->conf : nullptr; }

}  // namespace picohub::net
