#include "net/tls_context.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <mbedtls/pk.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>

#include "net/trust_store.hpp"
#include "tls/client_config.hpp"

namespace picohub::net {

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
  mbedtls_x509_crt own_cert;
  mbedtls_pk_context own_key;
  mbedtls_ssl_config conf;
  bool ready = false;
  bool insecure = false;
  std::string detail;

  Impl() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_x509_crt_init(&ca);
    mbedtls_x509_crt_init(&own_cert);
    mbedtls_pk_init(&own_key);
    mbedtls_ssl_config_init(&conf);
  }
  ~Impl() {
    mbedtls_ssl_config_free(&conf);
    mbedtls_pk_free(&own_key);
    mbedtls_x509_crt_free(&own_cert);
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
  tls::ClientConfigParams params;
  params.random = &mbedtls_ctr_drbg_random;
  params.random_state = &s.drbg;
  params.trust_anchors = &s.ca;
  params.profile = tls::Profile::host;
  if (auto ok = tls::setup_client_config(s.conf, params); !ok) {
    s.detail = ok.error().what;
    return tl::unexpected(ok.error());
  }
  if (!options.allow_tls13) mbedtls_ssl_conf_max_tls_version(&s.conf, MBEDTLS_SSL_VERSION_TLS1_2);
  s.insecure = options.insecure_skip_verify;
  if (s.insecure) mbedtls_ssl_conf_authmode(&s.conf, MBEDTLS_SSL_VERIFY_NONE);
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

namespace {
std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
}  // namespace

Result<void> TlsContext::set_client_certificate_pem(std::string_view cert_pem, std::string_view key_pem) {
  Impl& s = *impl_;
  if (!s.ready) return fail(Errc::invalid_argument, "TLS context not initialised");
  if (s.own_cert.raw.len != 0) return fail(Errc::invalid_argument, "a client certificate is already set");
  const std::string cert(cert_pem), key(key_pem);  // mbedTLS wants the NUL inside the length for PEM
  int rc = cert.find("-----BEGIN CERTIFICATE-----") == std::string::npos
               ? MBEDTLS_ERR_X509_INVALID_FORMAT
               : mbedtls_x509_crt_parse(&s.own_cert, reinterpret_cast<const unsigned char*>(cert.c_str()),
                                        cert.size() + 1);
  if (rc != 0) {
    s.detail = rc > 0 ? std::to_string(rc) + " certificate(s) did not parse" : mbedtls_error_text(rc);
    return fail(Errc::certificate_invalid, "the client certificate is not a PEM certificate");
  }
  rc = mbedtls_pk_parse_key(&s.own_key, reinterpret_cast<const unsigned char*>(key.c_str()), key.size() + 1, nullptr, 0,
                            mbedtls_ctr_drbg_random, &s.drbg);
  if (rc != 0) {
    s.detail = mbedtls_error_text(rc);
    return fail(Errc::malformed, "the private key does not parse (PEM, unencrypted, expected)");
  }
  rc = mbedtls_pk_check_pair(&s.own_cert.pk, &s.own_key, mbedtls_ctr_drbg_random, &s.drbg);
  if (rc != 0) {
    s.detail = mbedtls_error_text(rc);
    return fail(Errc::invalid_argument, "the private key does not belong to the client certificate");
  }
  rc = mbedtls_ssl_conf_own_cert(&s.conf, &s.own_cert, &s.own_key);
  if (rc != 0) {
    s.detail = mbedtls_error_text(rc);
    return fail(Errc::tls_failure, "cannot set the client certificate");
  }
  return {};
}

Result<void> TlsContext::set_client_certificate_files(const std::string& cert_path, const std::string& key_path) {
  const auto cert = read_file(cert_path);
  const auto key = read_file(key_path);
  if (!cert || !key) {
    impl_->detail = "cannot open " + (cert ? key_path : cert_path);
    return fail(Errc::invalid_argument, cert ? "cannot read the private key file" : "cannot read the certificate file");
  }
  auto set = set_client_certificate_pem(*cert, *key);
  if (!set) impl_->detail = cert_path + " / " + key_path + ": " + impl_->detail;
  return set;
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
