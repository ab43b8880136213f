// The device's own X.509 identity for x509=true connection strings: its certificate, parsed in place from the
// config block in flash (no copy), and its P-256 private key, loaded from the raw scalar config record 15 holds
// (no PEM or PKCS#8 parser on the board). The key's context comes from the mbedTLS arena, so load() runs after
// the arena is installed. Both stay alive as long as the TLS configuration that presents them.
#pragma once

#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "common/error.hpp"
#include "provisioning/config_block.hpp"

namespace picohub::firmware {

class DeviceCertificate {
 public:
  DeviceCertificate() noexcept;
  ~DeviceCertificate();
  DeviceCertificate(const DeviceCertificate&) = delete;
  DeviceCertificate& operator=(const DeviceCertificate&) = delete;

  // `identity` must outlive this object (it views the flash).
  Result<void> load(const provisioning::X509Identity& identity) noexcept;

  mbedtls_x509_crt* certificate() noexcept { return &certificate_; }
  mbedtls_pk_context* key() noexcept { return &key_; }

 private:
  mbedtls_x509_crt certificate_;
  mbedtls_pk_context key_;
};

}  // namespace picohub::firmware
