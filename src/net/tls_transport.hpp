// TlsTransport: the host's owner of a portable tls::Session (src/tls) — it keeps the session storage, the server
// name and (optionally) the inner transport, and turns the session's raw failure codes into detail strings
// (mbedTLS error text, verification flags, host names) for host tools. The TLS work itself — stepped handshake,
// error mapping, record I/O — is the same code the board runs.
#pragma once

#include <memory>
#include <string>

#include "net/tls_context.hpp"
#include "net/transport.hpp"
#include "tls/session.hpp"

namespace picohub::net {

class TlsTransport final : public Transport {
 public:
  // server_name is sent as SNI and is the name the certificate must match. `context` must outlive this.
  TlsTransport(TlsContext& context, Transport& inner, std::string server_name);
  TlsTransport(TlsContext& context, std::unique_ptr<Transport> inner, std::string server_name);
  ~TlsTransport() override;
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  Result<bool> poll_connect() override { return session_.poll_connect(); }
  Result<std::size_t> read(std::span<std::uint8_t> out) override { return session_.read(out); }
  Result<std::size_t> write(std::span<const std::uint8_t> data) override { return session_.write(data); }
  void close() override { session_.close(); }
  Wait wants() const override { return session_.wants(); }
  bool has_pending() const override { return session_.has_pending(); }
  int poll_fd() const override { return session_.poll_fd(); }
  std::string_view last_error_detail() const override { return detail_; }

  // After the handshake: e.g. "TLSv1.2" and "TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384".
  std::string protocol_version() const { return session_.protocol_version(); }
  std::string ciphersuite() const { return session_.ciphersuite(); }

 private:
  static void on_failure(void* self, const tls::FailureInfo& failure);
  tls::SessionOptions session_options(const TlsContext& context);

  std::unique_ptr<Transport> owned_;
  Transport* inner_;
  std::string server_name_;
  std::string detail_;
  std::unique_ptr<tls::SessionStorage> storage_;
  tls::Session session_;
};

}  // namespace picohub::net
