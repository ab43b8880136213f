// The chain cache reads what the handshake just received (ssl.in_msg) and which anchors the configuration trusts:
// mbedTLS 3.6 marks those fields private and offers no getter, so they are named through MBEDTLS_PRIVATE()
// (not MBEDTLS_ALLOW_PRIVATE_ACCESS, which would give the structs other member names here than elsewhere).
#include "tls/session.hpp"

#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509.h>

#include <algorithm>
#include <limits>

#include "tls/unix_time.hpp"

namespace picohub::tls {
namespace {

// Shared sentences: a caller's mistake (no host name, no configuration, a shortened retry) and two states.
constexpr const char* kSetupError = "TLS session misused (no server name, no configuration or a shortened retry)";
constexpr const char* kUnchecked = "the server's certificate chain could not be checked";
constexpr const char* kNotOpen = "TLS connection is not open";

// mbedTLS's network error codes (net_sockets.h, which the board build does not have): our bio reports with them.
constexpr int err_net_send_failed = -0x004E;
constexpr int err_net_recv_failed = -0x004C;
constexpr int err_net_conn_reset = -0x0050;

constexpr std::size_t max_io = static_cast<std::size_t>(std::numeric_limits<int>::max());

const char* handshake_message(int rc) noexcept {
  switch (rc) {
    case MBEDTLS_ERR_SSL_INVALID_RECORD:
    case MBEDTLS_ERR_SSL_DECODE_ERROR:
    case MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE:
    case MBEDTLS_ERR_SSL_UNEXPECTED_RECORD:
      return "the server did not answer in TLS: is this a TLS port (8883, not 1883)?";
    case MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE:
    case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
      return "no TLS version or cipher suite in common with the server (the board offers TLS 1.2 ECDHE-RSA "
             "AES-GCM)";
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE: return "the server aborted the TLS handshake with a fatal alert";
    case MBEDTLS_ERR_SSL_ALLOC_FAILED: return "out of TLS memory (the arena is too small)";
    default: return "TLS handshake failed";
  }
}

}  // namespace

const char* verify_failure_message(std::uint32_t flags) noexcept {
  if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
    return "server certificate is not trusted: pass --ca FILE with the hub's CA";
  if (flags & MBEDTLS_X509_BADCERT_EXPIRED) return "server certificate has expired (or the clock is wrong)";
  if (flags & MBEDTLS_X509_BADCERT_FUTURE) return "server certificate is not valid yet (or the clock is wrong)";
  if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
    return "server certificate does not match the host name (CN/subjectAltName)";
  if (flags & MBEDTLS_X509_BADCERT_REVOKED) return "server certificate has been revoked";
  if (flags & (MBEDTLS_X509_BADCERT_BAD_KEY | MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK))
    return "server certificate uses a key or signature algorithm not accepted";
  return "server certificate did not verify";
}

Session::Session(SessionStorage& storage, const mbedtls_ssl_config* config, net::Transport& inner,
                 const SessionOptions& options) noexcept
    : storage_(storage), config_(config), inner_(inner), options_(options) {}

Session::~Session() { close(); }

int Session::bio_send(void* p, const unsigned char* buf, std::size_t len) {
  auto* self = static_cast<Session*>(p);
  auto n = self->inner_.write(std::span<const std::uint8_t>(buf, std::min(len, max_io)));
  if (n) return static_cast<int>(*n);
  if (n.error().code == Errc::would_block) {
    self->wants_ = net::Wait::writable;
    return MBEDTLS_ERR_SSL_WANT_WRITE;
  }
  self->inner_error_ = n.error();
  self->inner_failed_ = true;
  return n.error().code == Errc::connection_closed ? err_net_conn_reset : err_net_send_failed;
}

int Session::bio_recv(void* p, unsigned char* buf, std::size_t len) {
  auto* self = static_cast<Session*>(p);
  auto n = self->inner_.read(std::span<std::uint8_t>(buf, std::min(len, max_io)));
  if (n) return static_cast<int>(*n);
  if (n.error().code == Errc::would_block) {
    self->wants_ = net::Wait::readable;
    return MBEDTLS_ERR_SSL_WANT_READ;
  }
  self->inner_error_ = n.error();
  self->inner_failed_ = true;
  if (n.error().code == Errc::connection_closed) return 0;  // EOF: mbedTLS reports MBEDTLS_ERR_SSL_CONN_EOF
  return err_net_recv_failed;
}

tl::unexpected<Error> Session::fail_with(FailureStage stage, int rc, std::uint32_t flags, Error error) {
  state_ = State::failed;
  wants_ = net::Wait::none;
  error_ = error;
  if (options_.detail_hook != nullptr) {
    const FailureInfo info{stage, rc, flags, inner_failed_, inner_error_, options_.server_name};
    options_.detail_hook(options_.detail_context, info);
  }
  return tl::unexpected(error_);
}

Result<bool> Session::start_handshake() {
  const bool has_name = options_.server_name != nullptr && options_.server_name[0] != '\0';
  if (!has_name && !options_.allow_missing_server_name)
    return fail_with(FailureStage::setup, 0, 0, Error{Errc::invalid_argument, kSetupError});
  if (config_ == nullptr) return fail_with(FailureStage::setup, 0, 0, Error{Errc::invalid_argument, kSetupError});
  if (!unix_time_known())
    return fail_with(FailureStage::setup, 0, 0,
                     Error{Errc::tls_failure,
                           "the time is not known yet (no SNTP answer): TLS needs it to check certificate dates"});
  // A chain remembered for this host: mbedTLS parses it but leaves the checks to after_certificate().
  std::int64_t now = 0;
  const bool verifying_config = config_->MBEDTLS_PRIVATE(authmode) == MBEDTLS_SSL_VERIFY_REQUIRED;
  const mbedtls_ssl_config* config = config_;
  chain_check_ = ChainCheck::mbedtls;
  if (options_.use_chain_cache && verifying_config && has_name && current_unix_time(now) &&
      storage_.chain_cache.holds(options_.server_name, now)) {
    storage_.cached_chain_config = *config_;
    mbedtls_ssl_conf_authmode(&storage_.cached_chain_config, MBEDTLS_SSL_VERIFY_NONE);
    config = &storage_.cached_chain_config;
    chain_check_ = ChainCheck::cache_pending;
  }
  mbedtls_ssl_init(&storage_.ssl);
  ssl_live_ = true;
  int rc = mbedtls_ssl_setup(&storage_.ssl, config);
  if (rc == 0) rc = mbedtls_ssl_set_hostname(&storage_.ssl, has_name ? options_.server_name : nullptr);
  if (rc != 0)
    return fail_with(
        FailureStage::setup, rc, 0,
        Error{Errc::tls_failure,
              rc == MBEDTLS_ERR_SSL_ALLOC_FAILED ? "out of TLS memory (the arena is too small)" : kSetupError});
  mbedtls_ssl_set_bio(&storage_.ssl, this, &Session::bio_send, &Session::bio_recv, nullptr);
  state_ = State::handshake;
  wants_ = net::Wait::none;
  return false;
}

Result<bool> Session::poll_connect() {
  switch (state_) {
    case State::open: return true;
    case State::failed: return tl::unexpected(error_);
    case State::closed: return fail(Errc::not_connected, kNotOpen);
    case State::inner_connect: {
      auto ready = inner_.poll_connect();
      if (!ready) {
        inner_connect_failed_ = true;
        return fail_with(FailureStage::connect, 0, 0, ready.error());
      }
      if (!*ready) return false;
      return start_handshake();
    }
    case State::handshake: break;
  }
  // One step per call; a step that completes without I/O asks to be called again right away.
  wants_ = net::Wait::none;
  const int state_before = storage_.ssl.MBEDTLS_PRIVATE(state);
  const int rc = mbedtls_ssl_handshake_step(&storage_.ssl);
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return false;
  if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) return false;
  if (rc != 0) return fail_handshake(rc);
  if (options_.use_chain_cache && state_before == MBEDTLS_SSL_SERVER_CERTIFICATE &&
      storage_.ssl.MBEDTLS_PRIVATE(state) != state_before) {
    if (auto checked = after_certificate(); !checked) return checked;
  }
  if (!mbedtls_ssl_is_handshake_over(&storage_.ssl)) return false;
  // Fail closed: with mbedTLS's verification off, a handshake whose chain this session never checked is refused.
  if (chain_check_ == ChainCheck::cache_pending) {
    storage_.chain_cache.forget();
    return fail_with(FailureStage::handshake, 0, 0, Error{Errc::certificate_invalid, kUnchecked});
  }
  // The server proved it holds the leaf's key (ServerKeyExchange) and the handshake is done: a chain verified
  // in full in it may now shorten the next one.
  std::int64_t now = 0;
  if (chain_to_remember_ && current_unix_time(now)) {
    storage_.chain_cache.remember(options_.server_name, chain_digest_, now);
  }
  chain_to_remember_ = false;
  state_ = State::open;
  wants_ = net::Wait::readable;
  return true;
}

namespace {

// Parses a Certificate message's certificate_list (3-byte length, DER, ...) into `chain` without copying.
bool parse_certificate_list(std::span<const std::uint8_t> list, mbedtls_x509_crt& chain) noexcept {
  if (list.empty()) return false;
  while (!list.empty()) {
    if (list.size() < 3) return false;
    const std::size_t n = std::size_t{list[0]} << 16 | std::size_t{list[1]} << 8 | list[2];
    if (n == 0 || n > list.size() - 3) return false;
    if (mbedtls_x509_crt_parse_der_nocopy(&chain, list.data() + 3, n) != 0) return false;
    list = list.subspan(3 + n);
  }
  return true;
}

std::int64_t unix_of(const mbedtls_x509_time& t) noexcept {
  return unix_from_utc(t.year, t.mon, t.day, t.hour, t.min, t.sec);
}

// MBEDTLS_X509_BADCERT_* for every certificate of the chain that is not valid at `now`.
std::uint32_t date_flags(const mbedtls_x509_crt& chain, std::int64_t now) noexcept {
  std::uint32_t flags = 0;
  for (const mbedtls_x509_crt* c = &chain; c != nullptr && c->raw.p != nullptr; c = c->next) {
    if (now < unix_of(c->valid_from)) flags |= MBEDTLS_X509_BADCERT_FUTURE;
    if (now > unix_of(c->valid_to)) flags |= MBEDTLS_X509_BADCERT_EXPIRED;
  }
  return flags;
}

}  // namespace

// Right after the step that took the server's Certificate message (still in ssl.in_msg): its digest, and for a
// handshake on the cache, the check mbedTLS was told to skip.
Result<bool> Session::after_certificate() {
  const unsigned char* msg = storage_.ssl.MBEDTLS_PRIVATE(in_msg);
  const std::size_t length = storage_.ssl.MBEDTLS_PRIVATE(in_hslen);
  const bool readable = msg != nullptr && length >= 7 && msg[0] == MBEDTLS_SSL_HS_CERTIFICATE;
  if (!readable) {
    if (chain_check_ == ChainCheck::mbedtls) return false;  // mbedTLS verified it; there is just nothing to remember
    storage_.chain_cache.forget();
    return fail_with(FailureStage::handshake, 0, 0, Error{Errc::certificate_invalid, kUnchecked});
  }
  const std::span<const std::uint8_t> list(msg + 7, length - 7);
  chain_digest_ = chain_digest(list);
  if (chain_check_ == ChainCheck::mbedtls) {
    chain_to_remember_ = true;
    return false;
  }
  return check_chain_against_cache(list);
}

// The chain the cache knows (same host, same bytes, recent): only the dates. Any other chain: a full
// verification, as mbedTLS would have done (trust anchors, signatures, host name, key usage for a TLS server).
Result<bool> Session::check_chain_against_cache(std::span<const std::uint8_t> certificate_list) {
  ChainCache& cache = storage_.chain_cache;
  std::int64_t now = 0;
  mbedtls_x509_crt chain;
  mbedtls_x509_crt_init(&chain);
  std::uint32_t flags = MBEDTLS_X509_BADCERT_OTHER;
  if (current_unix_time(now) && parse_certificate_list(certificate_list, chain)) {
    if (cache.matches(options_.server_name, chain_digest_, now)) {
      flags = date_flags(chain, now);
      if (flags == 0) chain_check_ = ChainCheck::cached;
    } else {
      flags = 0;
      const int rc = mbedtls_x509_crt_verify_with_profile(
          &chain, config_->MBEDTLS_PRIVATE(ca_chain), config_->MBEDTLS_PRIVATE(ca_crl),
          config_->MBEDTLS_PRIVATE(cert_profile), options_.server_name, &flags, nullptr, nullptr);
      if (rc == 0 && (mbedtls_x509_crt_check_key_usage(&chain, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0 ||
                      mbedtls_x509_crt_check_extended_key_usage(&chain, MBEDTLS_OID_SERVER_AUTH,
                                                                MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)) != 0)) {
        flags |= MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE;
      }
      if (rc == 0 && flags == 0) {
        chain_check_ = ChainCheck::verified_here;
        chain_to_remember_ = true;
      } else if (flags == 0) {
        flags = MBEDTLS_X509_BADCERT_OTHER;
      }
    }
  }
  mbedtls_x509_crt_free(&chain);
  if (flags == 0) return false;
  cache.forget();
  (void)mbedtls_ssl_send_alert_message(&storage_.ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL, MBEDTLS_SSL_ALERT_MSG_BAD_CERT);
  return fail_with(FailureStage::handshake, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED, flags,
                   Error{Errc::certificate_invalid, verify_failure_message(flags)});
}

Result<bool> Session::fail_handshake(int rc) {
  if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
    const std::uint32_t flags = mbedtls_ssl_get_verify_result(&storage_.ssl);
    return fail_with(FailureStage::handshake, rc, flags,
                     Error{Errc::certificate_invalid, verify_failure_message(flags)});
  }
  if (inner_failed_ || rc == MBEDTLS_ERR_SSL_CONN_EOF)
    return fail_with(FailureStage::handshake, rc, 0,
                     Error{Errc::tls_failure,
                           "the server closed the connection during the TLS handshake: is this a TLS port (8883, not "
                           "1883) with TLS 1.2 ECDHE-RSA?"});
  return fail_with(FailureStage::handshake, rc, 0, Error{Errc::tls_failure, handshake_message(rc)});
}

tl::unexpected<Error> Session::fail_record(int rc) {
  if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF || rc == 0 ||
      (inner_failed_ && inner_error_.code == Errc::connection_closed)) {
    wants_ = net::Wait::none;
    return fail(Errc::connection_closed, "the server closed the TLS connection");
  }
  return fail_with(
      FailureStage::record, rc, 0,
      inner_failed_ ? inner_error_ : Error{Errc::tls_failure, "TLS record error (corrupt or forged data)"});
}

Result<std::size_t> Session::read(std::span<std::uint8_t> out) {
  if (state_ != State::open) {
    if (state_ == State::failed) return tl::unexpected(error_);
    return fail(Errc::not_connected, kNotOpen);
  }
  if (out.empty()) return std::size_t{0};
  for (;;) {
    const int rc = mbedtls_ssl_read(&storage_.ssl, out.data(), std::min(out.size(), max_io));
    if (rc > 0) return static_cast<std::size_t>(rc);
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
      wants_ = rc == MBEDTLS_ERR_SSL_WANT_READ ? net::Wait::readable : net::Wait::writable;
      return fail(Errc::would_block, "no data yet");
    }
    // TLS 1.3 post-handshake messages: nothing for the application, keep reading.
    if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) continue;
    return fail_record(rc);
  }
}

Result<std::size_t> Session::write(std::span<const std::uint8_t> data) {
  if (state_ != State::open) {
    if (state_ == State::failed) return tl::unexpected(error_);
    return fail(Errc::not_connected, kNotOpen);
  }
  if (data.empty()) return std::size_t{0};
  // Everything offered goes into ONE record (mbedTLS cuts it at the record limit: MBEDTLS_SSL_OUT_CONTENT_LEN,
  // or a negotiated maximum fragment length) and one inner write, so packets a caller queued together (pipelined
  // publishes) share a record. A record mbedTLS has built but could not send yet must be retried with the SAME
  // length: mbedTLS then only flushes it and reports the length it is given, so offering more (the caller queued
  // more meanwhile) would count bytes that were never sent.
  std::size_t length = std::min(data.size(), max_io);
  if (unsent_record_length_ != 0) {
    if (data.size() < unsent_record_length_)
      return fail_with(FailureStage::record, 0, 0, Error{Errc::invalid_argument, kSetupError});
    length = unsent_record_length_;
  }
  const int rc = mbedtls_ssl_write(&storage_.ssl, data.data(), length);
  if (rc >= 0) {
    unsent_record_length_ = 0;
    return static_cast<std::size_t>(rc);
  }
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
    unsent_record_length_ = length;
    wants_ = rc == MBEDTLS_ERR_SSL_WANT_READ ? net::Wait::readable : net::Wait::writable;
    return fail(Errc::would_block, "TLS output pending");
  }
  return fail_record(rc);
}

void Session::close() {
  if (state_ == State::closed) return;
  if (state_ == State::open) (void)mbedtls_ssl_close_notify(&storage_.ssl);  // best effort
  inner_.close();
  if (ssl_live_) mbedtls_ssl_free(&storage_.ssl);  // returns the session's buffers to the arena
  ssl_live_ = false;
  state_ = State::closed;
  wants_ = net::Wait::none;
}

net::Wait Session::wants() const { return state_ == State::inner_connect ? inner_.wants() : wants_; }

bool Session::has_pending() const {
  return state_ == State::open &&
         (mbedtls_ssl_get_bytes_avail(&storage_.ssl) > 0 || mbedtls_ssl_check_pending(&storage_.ssl) != 0);
}

std::string_view Session::last_error_detail() const {
  return inner_connect_failed_ ? inner_.last_error_detail() : std::string_view{};
}

const char* Session::protocol_version() const noexcept {
  return state_ == State::open ? mbedtls_ssl_get_version(&storage_.ssl) : "";
}

const char* Session::ciphersuite() const noexcept {
  return state_ == State::open ? mbedtls_ssl_get_ciphersuite(&storage_.ssl) : "";
}

}  // namespace picohub::tls
