#include "net/tls_transport.hpp"

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>  // MBEDTLS_ERR_NET_* codes only; the bio is ours
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <limits>

namespace picohub::net {

struct TlsTransport::Session {
  mbedtls_ssl_context ssl;
  Session() { mbedtls_ssl_init(&ssl); }
  ~Session() { mbedtls_ssl_free(&ssl); }
};

namespace {

// The most useful single sentence for a set of X.509 verification flags, most fundamental problem first.
const char* verify_message(std::uint32_t flags) {
  if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
    return "server certificate is not trusted (not signed by a CA in the trust store): pass --ca FILE with the "
           "hub's CA";
  if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
    return "server certificate has expired (or this machine's clock is wrong): renew the certificate or fix the clock";
  if (flags & MBEDTLS_X509_BADCERT_FUTURE)
    return "server certificate is not valid yet (or this machine's clock is wrong): fix the clock";
  if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
    return "server certificate does not match the host name: connect with a name listed in the certificate "
           "(CN/subjectAltName)";
  if (flags & MBEDTLS_X509_BADCERT_REVOKED) return "server certificate has been revoked";
  if (flags & (MBEDTLS_X509_BADCERT_BAD_KEY | MBEDTLS_X509_BADCERT_BAD_MD | MBEDTLS_X509_BADCERT_BAD_PK))
    return "server certificate uses a key or signature algorithm that is not accepted";
  return "server certificate did not verify";
}

}  // namespace

TlsTransport::TlsTransport(TlsContext& context, Transport& inner, std::string server_name)
    : context_(context), inner_(&inner), server_name_(std::move(server_name)) {}

TlsTransport::TlsTransport(TlsContext& context, std::unique_ptr<Transport> inner, std::string server_name)
    : context_(context), owned_(std::move(inner)), inner_(owned_.get()), server_name_(std::move(server_name)) {}

TlsTransport::~TlsTransport() { close(); }

int TlsTransport::bio_send(void* p, const unsigned char* buf, std::size_t len) {
  auto* self = static_cast<TlsTransport*>(p);
  const auto capped = std::min<std::size_t>(len, static_cast<std::size_t>(std::numeric_limits<int>::max()));
  auto n = self->inner_->write(std::span<const std::uint8_t>(buf, capped));
  if (n) return static_cast<int>(*n);
  if (n.error().code == Errc::would_block) {
    self->wants_ = Wait::writable;
    return MBEDTLS_ERR_SSL_WANT_WRITE;
  }
  self->inner_error_ = n.error();
  self->inner_failed_ = true;
  return n.error().code == Errc::connection_closed ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

int TlsTransport::bio_recv(void* p, unsigned char* buf, std::size_t len) {
  auto* self = static_cast<TlsTransport*>(p);
  const auto capped = std::min<std::size_t>(len, static_cast<std::size_t>(std::numeric_limits<int>::max()));
  auto n = self->inner_->read(std::span<std::uint8_t>(buf, capped));
  if (n) return static_cast<int>(*n);
  if (n.error().code == Errc::would_block) {
    self->wants_ = Wait::readable;
    return MBEDTLS_ERR_SSL_WANT_READ;
  }
  self->inner_error_ = n.error();
  self->inner_failed_ = true;
  if (n.error().code == Errc::connection_closed) return 0;  // EOF: mbedTLS reports MBEDTLS_ERR_SSL_CONN_EOF
  return MBEDTLS_ERR_NET_RECV_FAILED;
}

Result<void> TlsTransport::setup() {
  mbedtls_ssl_config* conf = context_.config();
  if (conf == nullptr) return fail(Errc::invalid_argument, "TLS context not initialised: call TlsContext::init()");
  session_ = std::make_unique<Session>();
  int rc = mbedtls_ssl_setup(&session_->ssl, conf);
  if (rc == 0) rc = mbedtls_ssl_set_hostname(&session_->ssl, server_name_.empty() ? nullptr : server_name_.c_str());
  if (rc != 0) {
    detail_ = "mbedtls_ssl_setup: " + mbedtls_error_text(rc);
    return fail(Errc::tls_failure, "cannot set up the TLS session");
  }
  mbedtls_ssl_set_bio(&session_->ssl, this, &TlsTransport::bio_send, &TlsTransport::bio_recv, nullptr);
  return {};
}

Result<bool> TlsTransport::poll_connect() {
  switch (state_) {
    case State::open: return true;
    case State::failed: return tl::unexpected(error_);
    case State::closed: return fail(Errc::not_connected, "TLS connection closed");
    case State::tcp: {
      auto ready = inner_->poll_connect();
      if (!ready) {
        detail_ = std::string(inner_->last_error_detail());
        error_ = ready.error();
        state_ = State::failed;
        return tl::unexpected(error_);
      }
      if (!*ready) {
        wants_ = inner_->wants();
        return false;
      }
      if (server_name_.empty() && !context_.insecure_skip_verify()) {
        state_ = State::failed;
        error_ = Error{Errc::invalid_argument, "TLS needs the server's host name to verify its certificate"};
        return tl::unexpected(error_);
      }
      if (auto ok = setup(); !ok) {
        state_ = State::failed;
        error_ = ok.error();
        return tl::unexpected(error_);
      }
      state_ = State::handshake;
      wants_ = Wait::none;
      return false;
    }
    case State::handshake: break;
  }
  // One step per call; a step that completes without I/O asks to be called again right away.
  wants_ = Wait::none;
  const int rc = mbedtls_ssl_handshake_step(&session_->ssl);
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return false;
  if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) return false;
  if (rc != 0) return fail_handshake(rc);
  if (!mbedtls_ssl_is_handshake_over(&session_->ssl)) return false;
  state_ = State::open;
  wants_ = Wait::readable;
  return true;
}

Result<bool> TlsTransport::fail_handshake(int rc) {
  state_ = State::failed;
  wants_ = Wait::none;
  const std::string lib = mbedtls_error_text(rc);
  if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
    const std::uint32_t flags = mbedtls_ssl_get_verify_result(&session_->ssl);
    char info[512] = "";
    mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
    std::string words(info);
    for (char& c : words)
      if (c == '\n') c = ';';
    while (!words.empty() && (words.back() == ';' || words.back() == ' ')) words.pop_back();
    detail_ = verify_message(flags);
    if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) detail_ += "; the certificate does not cover host name " + server_name_;
    detail_ += " (mbedTLS: " + words + ")";
    error_ = Error{Errc::certificate_invalid, verify_message(flags)};
    return tl::unexpected(error_);
  }
  if (inner_failed_ || rc == MBEDTLS_ERR_SSL_CONN_EOF) {
    const std::string inner_words = inner_failed_ ? std::string(inner_error_.what) : "end of stream";
    detail_ = "the server closed the connection during the TLS handshake (" + inner_words + "; " + lib + ")";
    error_ = Error{Errc::tls_failure,
                   "the server closed the connection during the TLS handshake: is this a TLS port (8883, not "
                   "1883) and does the server accept TLS 1.2 with ECDHE-RSA suites?"};
    return tl::unexpected(error_);
  }
  detail_ = "TLS handshake with " + server_name_ + " failed: " + lib;
  switch (rc) {
    case MBEDTLS_ERR_SSL_INVALID_RECORD:
    case MBEDTLS_ERR_SSL_DECODE_ERROR:
    case MBEDTLS_ERR_SSL_UNEXPECTED_MESSAGE:
    case MBEDTLS_ERR_SSL_UNEXPECTED_RECORD:
      error_ = Error{Errc::tls_failure,
                     "the server did not answer in TLS: is this the TLS port (8883) and not plain MQTT (1883)?"};
      break;
    case MBEDTLS_ERR_SSL_HANDSHAKE_FAILURE:
    case MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION:
      error_ = Error{Errc::tls_failure,
                     "no common TLS version or cipher suite with the server (we offer TLS 1.2+ with ECDHE-RSA "
                     "AES-GCM/CBC)"};
      break;
    case MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE:
      error_ = Error{Errc::tls_failure, "the server aborted the TLS handshake with a fatal alert (see details)"};
      break;
    default:
      error_ = Error{Errc::tls_failure, "TLS handshake failed (see details for the mbedTLS error)"};
      break;
  }
  return tl::unexpected(error_);
}

tl::unexpected<Error> TlsTransport::fail_record(int rc) {
  if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF || rc == 0 ||
      (inner_failed_ && inner_error_.code == Errc::connection_closed)) {
    wants_ = Wait::none;
    return fail(Errc::connection_closed, "the server closed the TLS connection");
  }
  detail_ = "TLS record error: " + mbedtls_error_text(rc);
  state_ = State::failed;
  error_ = inner_failed_ ? inner_error_ : Error{Errc::tls_failure, "TLS record error (see details)"};
  return tl::unexpected(error_);
}

Result<std::size_t> TlsTransport::read(std::span<std::uint8_t> out) {
  if (state_ != State::open) {
    if (state_ == State::failed) return tl::unexpected(error_);
    return fail(Errc::not_connected, "read on a TLS connection that is not open");
  }
  if (out.empty()) return std::size_t{0};
  for (;;) {
    const int rc = mbedtls_ssl_read(&session_->ssl, out.data(), out.size());
    if (rc > 0) return static_cast<std::size_t>(rc);
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
      wants_ = rc == MBEDTLS_ERR_SSL_WANT_READ ? Wait::readable : Wait::writable;
      return fail(Errc::would_block, "no data yet");
    }
    // TLS 1.3 post-handshake messages: nothing for the application, keep reading.
    if (rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) continue;
    return fail_record(rc);
  }
}

Result<std::size_t> TlsTransport::write(std::span<const std::uint8_t> data) {
  if (state_ != State::open) {
    if (state_ == State::failed) return tl::unexpected(error_);
    return fail(Errc::not_connected, "write on a TLS connection that is not open");
  }
  if (data.empty()) return std::size_t{0};
  const int rc = mbedtls_ssl_write(&session_->ssl, data.data(), data.size());
  if (rc >= 0) return static_cast<std::size_t>(rc);
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
    wants_ = rc == MBEDTLS_ERR_SSL_WANT_READ ? Wait::readable : Wait::writable;
    return fail(Errc::would_block, "TLS output pending");
  }
  return fail_record(rc);
}

void TlsTransport::close() {
  if (state_ == State::closed) return;
  if (state_ == State::open && session_) (void)mbedtls_ssl_close_notify(&session_->ssl);  // best effort
  inner_->close();
  session_.reset();
  state_ = State::closed;
  wants_ = Wait::none;
}

Wait TlsTransport::wants() const { return state_ == State::tcp ? inner_->wants() : wants_; }

bool TlsTransport::has_pending() const {
  return state_ == State::open && session_ &&
         (mbedtls_ssl_get_bytes_avail(&session_->ssl) > 0 || mbedtls_ssl_check_pending(&session_->ssl) != 0);
}

std::string TlsTransport::protocol_version() const {
  return session_ ? mbedtls_ssl_get_version(&session_->ssl) : "";
}

std::string TlsTransport::ciphersuite() const {
  return session_ ? mbedtls_ssl_get_ciphersuite(&session_->ssl) : "";
}

}  // namespace picohub::net
