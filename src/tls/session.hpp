// tls::Session: a TLS client over ANY net::Transport (PosixTcp on the host, a W5100S socket on the board), itself
// a net::Transport. Everything it needs is the caller's: the mbedTLS session state (SessionStorage, static on
// the board), the shared configuration (setup_client_config), and the inner transport, which it does not own.
//
// poll_connect() first completes the inner connect, then runs ONE mbedtls_ssl_handshake_step per call, so a main
// loop stays responsive and feeds its watchdog between steps. It refuses to start while the Unix time is
// unknown (certificate dates could not be checked). Failures come back as certificate_invalid / tls_failure
// with static words to act on; a host tool that wants the particulars (library error text, host name) installs a
// detail hook and gets the raw codes.
//
// One Session per connection: after close() or a failure, construct a new one on the same storage.
#pragma once

#include <mbedtls/ssl.h>

#include <cstdint>

#include "net/transport.hpp"

namespace picohub::tls {

struct SessionStorage {
  mbedtls_ssl_context ssl;
};

enum class FailureStage : std::uint8_t { connect, setup, handshake, record };

// What went wrong, raw, for a detail hook.
struct FailureInfo {
  FailureStage stage;
  int mbedtls_code;           // 0 when mbedTLS was not involved (e.g. the inner connect failed)
  std::uint32_t verify_flags; // MBEDTLS_X509_BADCERT_* when the certificate did not verify
  bool inner_failed;          // the inner transport reported a hard error (inner_error) inside the handshake/record
  Error inner_error;
  const char* server_name;
};
using DetailHook = void (*)(void* context, const FailureInfo& failure);

struct SessionOptions {
  // Sent as SNI and the name the certificate must match; must outlive the session.
  const char* server_name = nullptr;
  // Only for a configuration that does not verify (host insecure mode): allow connecting without a name.
  bool allow_missing_server_name = false;
  DetailHook detail_hook = nullptr;
  void* detail_context = nullptr;
};

// The most useful single sentence for a set of X.509 verification flags, most fundamental problem first.
const char* verify_failure_message(std::uint32_t flags) noexcept;

class Session final : public net::Transport {
 public:
  // `config` nullptr is reported as a failure by poll_connect (not initialised).
  Session(SessionStorage& storage, const mbedtls_ssl_config* config, net::Transport& inner,
          const SessionOptions& options) noexcept;
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Result<bool> poll_connect() override;
  Result<std::size_t> read(std::span<std::uint8_t> out) override;
  Result<std::size_t> write(std::span<const std::uint8_t> data) override;
  void close() override;
  net::Wait wants() const override;
  bool has_pending() const override;
  int poll_fd() const override { return inner_.poll_fd(); }
  std::string_view last_error_detail() const override;

  // After the handshake: e.g. "TLSv1.2" and "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256"; "" before.
  const char* protocol_version() const noexcept;
  const char* ciphersuite() const noexcept;

 private:
  enum class State : std::uint8_t { inner_connect, handshake, open, failed, closed };

  static int bio_send(void* self, const unsigned char* buf, std::size_t len);
  static int bio_recv(void* self, unsigned char* buf, std::size_t len);
  Result<bool> start_handshake();
  Result<bool> fail_handshake(int rc);
  tl::unexpected<Error> fail_record(int rc);
  tl::unexpected<Error> fail_with(FailureStage stage, int rc, std::uint32_t flags, Error error);

  SessionStorage& storage_;
  const mbedtls_ssl_config* config_;
  net::Transport& inner_;
  SessionOptions options_;
  State state_ = State::inner_connect;
  bool ssl_live_ = false;  // storage_.ssl holds arena memory that close() must free
  net::Wait wants_ = net::Wait::none;
  Error error_{Errc::not_connected, "not connected"};
  Error inner_error_{Errc::io_failure, ""};
  bool inner_failed_ = false;
  bool inner_connect_failed_ = false;
};

}  // namespace picohub::tls
