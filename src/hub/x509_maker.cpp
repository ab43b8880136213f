#include "hub/x509_maker.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <psa/crypto.h>

#include <array>
#include <ctime>

namespace picohub::hub {
namespace {

struct Random {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  Random() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
  }
  ~Random() {
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
  Random(const Random&) = delete;
  Random& operator=(const Random&) = delete;
  bool seed() { return mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0) == 0; }
};

struct Key {
  mbedtls_pk_context pk;
  Key() { mbedtls_pk_init(&pk); }
  ~Key() { mbedtls_pk_free(&pk); }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
};

struct Writer {
  mbedtls_x509write_cert crt;
  Writer() { mbedtls_x509write_crt_init(&crt); }
  ~Writer() { mbedtls_x509write_crt_free(&crt); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
};

// mbedTLS's validity format, YYYYMMDDhhmmss in UTC.
std::string validity_text(std::int64_t unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return buf;
}

bool generate_p256(Key& key, Random& random) {
  return mbedtls_pk_setup(&key.pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0 &&
         mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key.pk), mbedtls_ctr_drbg_random, &random.drbg) ==
             0;
}

// The issuer's key and subject name (as text mbedtls_x509write_crt_set_issuer_name reads back).
bool load_issuer(const KeyAndCertificate& issuer, Key& key, std::string& name, Random& random) {
  const auto* k = reinterpret_cast<const unsigned char*>(issuer.key_pem.c_str());
  if (mbedtls_pk_parse_key(&key.pk, k, issuer.key_pem.size() + 1, nullptr, 0, mbedtls_ctr_drbg_random, &random.drbg) !=
      0) {
    return false;
  }
  mbedtls_x509_crt crt;
  mbedtls_x509_crt_init(&crt);
  const auto* c = reinterpret_cast<const unsigned char*>(issuer.certificate_pem.c_str());
  bool ok = mbedtls_x509_crt_parse(&crt, c, issuer.certificate_pem.size() + 1) == 0;
  char buf[512];
  ok = ok && mbedtls_x509_dn_gets(buf, sizeof buf, &crt.subject) > 0;
  if (ok) name = buf;
  mbedtls_x509_crt_free(&crt);
  return ok;
}

}  // namespace

CertificateSerial der_serial(CertificateSerial random_bytes) {
  random_bytes[0] = static_cast<unsigned char>(0x40 | (random_bytes[0] & 0x3F));
  return random_bytes;
}

std::optional<KeyAndCertificate> make_certificate(const CertificateSpec& spec, const KeyAndCertificate* issuer,
                                                  std::string& error) {
  Random random;
  Key key, issuer_key;
  Writer w;
  if (psa_crypto_init() != PSA_SUCCESS || !random.seed())
    return error = "cannot seed the random generator", std::nullopt;
  if (!generate_p256(key, random)) return error = "cannot generate a P-256 key", std::nullopt;
  const std::string subject = "CN=" + spec.common_name;
  std::string issuer_name = subject;
  mbedtls_pk_context* signer = &key.pk;
  if (issuer != nullptr) {
    if (!load_issuer(*issuer, issuer_key, issuer_name, random)) {
      return error = "the CA's key or certificate does not parse (PEM expected)", std::nullopt;
    }
    signer = &issuer_key.pk;
  }
  CertificateSerial serial{};
  mbedtls_ctr_drbg_random(&random.drbg, serial.data(), serial.size());
  serial = der_serial(serial);
  mbedtls_x509write_crt_set_version(&w.crt, MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg(&w.crt, MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key(&w.crt, &key.pk);
  mbedtls_x509write_crt_set_issuer_key(&w.crt, signer);
  const std::string from = validity_text(spec.not_before_s), to = validity_text(spec.not_after_s);
  const unsigned usage = spec.is_ca ? MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN
                                    : MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
  if (mbedtls_x509write_crt_set_subject_name(&w.crt, subject.c_str()) != 0 ||
      mbedtls_x509write_crt_set_issuer_name(&w.crt, issuer_name.c_str()) != 0 ||
      mbedtls_x509write_crt_set_serial_raw(&w.crt, serial.data(), serial.size()) != 0 ||
      mbedtls_x509write_crt_set_validity(&w.crt, from.c_str(), to.c_str()) != 0 ||
      mbedtls_x509write_crt_set_basic_constraints(&w.crt, spec.is_ca ? 1 : 0, -1) != 0 ||
      mbedtls_x509write_crt_set_subject_key_identifier(&w.crt) != 0 ||
      mbedtls_x509write_crt_set_authority_key_identifier(&w.crt) != 0 ||
      mbedtls_x509write_crt_set_key_usage(&w.crt, usage) != 0) {
    return error = "cannot fill in the certificate (is the common name valid?)", std::nullopt;
  }
  std::array<unsigned char, 4096> buf{};
  KeyAndCertificate out;
  if (mbedtls_x509write_crt_pem(&w.crt, buf.data(), buf.size(), mbedtls_ctr_drbg_random, &random.drbg) != 0) {
    return error = "cannot sign the certificate", std::nullopt;
  }
  out.certificate_pem = reinterpret_cast<const char*>(buf.data());
  buf.fill(0);
  if (mbedtls_pk_write_key_pem(&key.pk, buf.data(), buf.size()) != 0) {
    return error = "cannot write the private key", std::nullopt;
  }
  out.key_pem = reinterpret_cast<const char*>(buf.data());
  return out;
}

}  // namespace picohub::hub
