// TlsTransport: a TLS client over ANY Transport (PosixTcp on the host, W5100S sockets on the board), driven
// one step at a time: poll_connect() first completes the inner connect, then runs one handshake step per call,
// so a main loop stays responsive. Server certificate and host name are verified (unless the context was made
// with insecure_skip_verify); failures come back as certificate_invalid / tls_failure with words to act on.
#pragma once

#include <memory>
#include <string>

#include "net/tls_context.hpp"
#include "net/transport.hpp"

namespace picohub::net {

class TlsTransport final : public Transport {
 public:
  // server_name is sent as SNI and is the name the certificate must match. `context` must outlive this.
  TlsTransport(TlsContext& context, Transport& inner, std::string server_name);
  TlsTransport(TlsContext& context, std::unique_ptr<Transport> inner, std::string server_name);
  ~TlsTransport() override;
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  Result<bool> poll_connect() override;
  Result<std::size_t> read(std::span<std::uint8_t> out) override;
  Result<std::size_t> write(std::span<const std::uint8_t> data) override;
  void close() override;
  Wait wants() const override;
  bool has_pending() const override;
  int poll_fd() const override { return inner_->poll_fd(); }
  std::string_view last_error_detail() const override { return detail_; }

  // After the handshake: e.g. "TLSv1.2" and "TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384".
  std::string protocol_version() const;
  std::string ciphersuite() const;

 private:
  struct Session;
  enum class State : std::uint8_t { tcp, handshake, open, failed, closed };

  static int bio_send(void* self, const unsigned char* buf, std::size_t len);
  static int bio_recv(void* self, unsigned char* buf, std::size_t len);
  Result<void> setup();
  Result<bool> fail_handshake(int rc);
  tl::unexpected<Error> fail_record(int rc);

  TlsContext& context_;
  std::unique_ptr<Transport> owned_;
  Transport* inner_;
  std::string server_name_;
  std::unique_ptr<Session> session_;
  State state_ = State::tcp;
  Wait wants_ = Wait::none;
  Error error_{Errc::not_connected, "not connected"};
  Error inner_error_{Errc::io_failure, ""};  // the inner transport's last hard error, seen inside the bio
  bool inner_failed_ = false;
  std::string detail_;
};

}  // namespace picohub::net
