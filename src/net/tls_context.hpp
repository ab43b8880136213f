// TlsContext: what every TLS client connection of a process shares — the mbedTLS configuration (TLS 1.2 minimum,
// IoT Hub's cipher suites and curves, verification REQUIRED), the trust store and the random generator.
// One context serves any number of TlsTransports; it must outlive them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

using mbedtls_ssl_config = struct mbedtls_ssl_config;

namespace picohub::net {

struct TlsOptions {
  // Trust the built-in roots (DigiCert Global Root G2, Microsoft RSA Root CA 2017) that Azure IoT Hub uses.
  bool use_builtin_roots = true;
  // Host default: negotiate TLS 1.2 or 1.3 (mosquitto/OpenSSL peers prefer 1.3). false pins TLS 1.2, which is
  // what the board speaks.
  bool allow_tls13 = true;
  // DANGER: accepts ANY server certificate for ANY name, so anyone on the path can read and forge the traffic.
  // Only for throwaway experiments; picohub's own tools never set it.
  bool insecure_skip_verify = false;
};

class TlsContext {
 public:
  TlsContext();
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Seeds the random generator, loads the built-in roots, sets up the client configuration.
  Result<void> init(const TlsOptions& options = {});

  // Adds private CAs (e.g. the local hub's CA: `--ca FILE`). Every certificate in the PEM must parse.
  Result<void> add_ca_file(const std::string& path);
  Result<void> add_ca_pem(std::string_view pem);

  // X.509 client authentication: the certificate (PEM, the first one is the device's; more = its chain) and the
  // unencrypted private key (PEM) that belongs to it. Checked here, before any connection: unreadable files,
  // a key that does not parse, or a key that is not the certificate's are refused with a clear message.
  Result<void> set_client_certificate_files(const std::string& cert_path, const std::string& key_path);
  Result<void> set_client_certificate_pem(std::string_view cert_pem, std::string_view key_pem);

  // Subjects of the trusted certificates, e.g. "C=US, O=DigiCert Inc, OU=www.digicert.com, CN=...".
  std::vector<std::string> trusted_subjects() const;
  bool insecure_skip_verify() const;

  const std::string& last_error_detail() const;

  // For TlsTransport.
  mbedtls_ssl_config* config();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// mbedTLS's text for an error code ("X509 - Certificate verification failed ..."), for details.
std::string mbedtls_error_text(int code);

}  // namespace picohub::net
