#include "device_certificate.hpp"

#include <mbedtls/ecp.h>

namespace picohub::firmware {

DeviceCertificate::DeviceCertificate() noexcept {
  mbedtls_x509_crt_init(&certificate_);
  mbedtls_pk_init(&key_);
}

DeviceCertificate::~DeviceCertificate() {
  mbedtls_pk_free(&key_);
  mbedtls_x509_crt_free(&certificate_);
}

Result<void> DeviceCertificate::load(const provisioning::X509Identity& identity) noexcept {
  if (mbedtls_x509_crt_parse_der_nocopy(&certificate_, identity.certificate_der.data(),
                                        identity.certificate_der.size()) != 0)
    return fail(Errc::certificate_invalid, "the device certificate (config record 14) does not parse");
  // ECDSA signing needs only the scalar and the curve; the public point is the certificate's business.
  if (mbedtls_pk_setup(&key_, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
      mbedtls_ecp_read_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key_), identity.private_key.data(),
                           identity.private_key.size()) != 0)
    return fail(Errc::malformed, "the device key (config record 15) is not a P-256 private key");
  return {};
}

}  // namespace picohub::firmware
