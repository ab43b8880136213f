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
// With a ChainCache (SessionOptions::use_chain_cache), a reconnect to the same host that presents the same certificate
// chain as the last fully verified one skips the chain's signature checks (dates and the host are still checked;
// chain_cache.hpp says why this is safe and when it verifies in full again).
//
// One Session per connection: after close() or a failure, construct a new one on the same storage.
#pragma once

#include <mbedtls/ssl.h>

#include <cstdint>

#include "net/transport.hpp"
#include "tls/chain_cache.hpp"

namespace picohub::tls {

struct SessionStorage {
  mbedtls_ssl_context ssl;
  // The shared configuration with mbedTLS's own chain verification off, for a handshake whose chain the
  // session checks against its ChainCache instead (filled per handshake; never freed: it owns nothing).
  mbedtls_ssl_config cached_chain_config;
  // The last fully verified server chain, for sessions with SessionOptions::use_chain_cache (it lives as long as
  // this storage: static on the board, so until a reboot).
  ChainCache chain_cache;
};

enum class FailureStage : std::uint8_t { connect, setup, handshake, record };

// What went wrong, raw, for a detail hook.
struct FailureInfo {
  FailureStage stage;
  int mbedtls_code;            // 0 when mbedTLS was not involved (e.g. the inner connect failed)
  std::uint32_t verify_flags;  // MBEDTLS_X509_BADCERT_* when the certificate did not verify
  bool inner_failed;           // the inner transport reported a hard error (inner_error) inside the handshake/record
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
  // Use and fill SessionStorage::chain_cache; false: every handshake verifies the chain in full.
  bool use_chain_cache = false;
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
  // Writes as much of `data` as one TLS record holds (all of it up to the record limit) in one inner write.
  // After would_block, call again with at least the same bytes at the same start (more may follow them): the
  // record already built is sent and exactly its length is reported.
  Result<std::size_t> write(std::span<const std::uint8_t> data) override;
  void close() override;
  net::Wait wants() const override;
  bool has_pending() const override;
  int poll_fd() const override { return inner_.poll_fd(); }
  std::string_view last_error_detail() const override;

  // After the handshake: e.g. "TLSv1.2" and "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256"; "" before.
  const char* protocol_version() const noexcept;
  const char* ciphersuite() const noexcept;
  // True when this handshake took the server chain on its ChainCache entry instead of verifying its signatures.
  bool chain_from_cache() const noexcept { return chain_check_ == ChainCheck::cached; }

 private:
  // How this handshake checks the server's chain: mbedTLS in full, or against the cache (falling back to a full
  // verification of our own when the chain differs).
  enum class ChainCheck : std::uint8_t { mbedtls, cache_pending, cached, verified_here };

  enum class State : std::uint8_t { inner_connect, handshake, open, failed, closed };

  static int bio_send(void* self, const unsigned char* buf, std::size_t len);
  static int bio_recv(void* self, unsigned char* buf, std::size_t len);
  Result<bool> start_handshake();
  Result<bool> fail_handshake(int rc);
  Result<bool> after_certificate();
  Result<bool> check_chain_against_cache(std::span<const std::uint8_t> certificate_list);
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
  ChainCheck chain_check_ = ChainCheck::mbedtls;
  bool chain_to_remember_ = false;  // a chain was verified in full: remember it once the handshake completes
  ChainDigest chain_digest_{};
  std::size_t unsent_record_length_ = 0;  // write() length of a record mbedTLS holds after WANT_WRITE; 0: none
};

}  // namespace picohub::tls
