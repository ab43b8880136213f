#include "board_x509.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include <fstream>
#include <optional>
#include <iterator>

#include "hub/x509_identity.hpp"
#include "provisioning/config_block.hpp"

namespace picohub::cli {
namespace {

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// mbedTLS's key and random generator, freed on every path.
struct KeyParse {
  mbedtls_pk_context key;
  mbedtls_x509_crt cert;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  KeyParse() {
    mbedtls_pk_init(&key);
    mbedtls_x509_crt_init(&cert);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
  }
  ~KeyParse() {
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    mbedtls_x509_crt_free(&cert);
    mbedtls_pk_free(&key);
  }
  KeyParse(const KeyParse&) = delete;
  KeyParse& operator=(const KeyParse&) = delete;
};

// The key's scalar, once it is known to be the certificate's P-256 key.
tl::expected<std::vector<std::uint8_t>, std::string> p256_scalar(KeyParse& k, const std::string& key_pem,
                                                                 const std::string& key_path) {
  if (mbedtls_ctr_drbg_seed(&k.drbg, mbedtls_entropy_func, &k.entropy, nullptr, 0) != 0)
    return tl::unexpected(std::string("cannot seed the random generator"));
  if (mbedtls_pk_parse_key(&k.key, reinterpret_cast<const unsigned char*>(key_pem.c_str()), key_pem.size() + 1, nullptr,
                           0, mbedtls_ctr_drbg_random, &k.drbg) != 0)
    return tl::unexpected("--cert-key " + key_path + " is not a private key (PEM, unencrypted, expected)");
  if (mbedtls_pk_get_type(&k.key) != MBEDTLS_PK_ECKEY ||
      mbedtls_pk_ec(k.key)->MBEDTLS_PRIVATE(grp).id != MBEDTLS_ECP_DP_SECP256R1)
    return tl::unexpected("--cert-key " + key_path +
                          " is not a P-256 key: the board signs with P-256 only (an RSA signature takes seconds "
                          "on its M0+); picohub device cert makes one");
  if (mbedtls_pk_check_pair(&k.cert.pk, &k.key, mbedtls_ctr_drbg_random, &k.drbg) != 0)
    return tl::unexpected("--cert-key " + key_path + " is not the private key of the --cert certificate");
  std::vector<std::uint8_t> scalar(provisioning::p256_private_key_bytes);
  std::size_t length = 0;
  if (mbedtls_ecp_write_key_ext(mbedtls_pk_ec(k.key), &length, scalar.data(), scalar.size()) != 0 ||
      length != scalar.size())
    return tl::unexpected("cannot export the P-256 key from " + key_path);
  return scalar;
}

}  // namespace

tl::expected<BoardCertificate, std::string> load_board_certificate(const std::string& cert_path,
                                                                   const std::string& key_path) {
  const auto cert_pem = read_text(cert_path);
  if (!cert_pem) return tl::unexpected("cannot read --cert " + cert_path);
  const auto key_pem = read_text(key_path);
  if (!key_pem) return tl::unexpected("cannot read --cert-key " + key_path);
  std::string error;
  const auto der = hub::pem_certificate_to_der(*cert_pem, error);
  if (!der) return tl::unexpected("--cert " + cert_path + " is not a PEM certificate: " + error);
  if (der->size() > provisioning::max_certificate_bytes)
    return tl::unexpected("--cert " + cert_path + " is " + std::to_string(der->size()) +
                          " bytes as DER; the board takes " + std::to_string(provisioning::max_certificate_bytes));
  const auto info = hub::inspect_certificate(*der, error);
  if (!info) return tl::unexpected("--cert " + cert_path + " does not parse: " + error);
  KeyParse k;
  if (mbedtls_x509_crt_parse_der(&k.cert, reinterpret_cast<const unsigned char*>(der->data()), der->size()) != 0)
    return tl::unexpected("--cert " + cert_path + " does not parse");
  auto scalar = p256_scalar(k, *key_pem, key_path);
  if (!scalar) return tl::unexpected(scalar.error());
  BoardCertificate out;
  out.der.assign(der->begin(), der->end());
  out.scalar = std::move(*scalar);
  out.subject = info->subject;
  out.sha1_thumbprint = info->sha1_thumbprint;
  return out;
}

}  // namespace picohub::cli
