#include "net/tls_transport.hpp"

#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

namespace picohub::net {
namespace {

// mbedTLS's multi-line verification report as one line: "a; b; c".
std::string verify_info_line(std::uint32_t flags) {
  char info[512] = "";
  mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
  std::string words(info);
  for (char& c : words)
    if (c == '\n') c = ';';
  while (!words.empty() && (words.back() == ';' || words.back() == ' ')) words.pop_back();
  return words;
}

}  // namespace

TlsTransport::TlsTransport(TlsContext& context, Transport& inner, std::string server_name)
    : inner_(&inner),
      server_name_(std::move(server_name)),
      storage_(std::make_unique<tls::SessionStorage>()),
      session_(*storage_, context.config(), *inner_, session_options(context)) {}

TlsTransport::TlsTransport(TlsContext& context, std::unique_ptr<Transport> inner, std::string server_name)
    : owned_(std::move(inner)),
      inner_(owned_.get()),
      server_name_(std::move(server_name)),
      storage_(std::make_unique<tls::SessionStorage>()),
      session_(*storage_, context.config(), *inner_, session_options(context)) {}

TlsTransport::~TlsTransport() { session_.close(); }

tls::SessionOptions TlsTransport::session_options(const TlsContext& context) {
  tls::SessionOptions options;
  options.server_name = server_name_.c_str();
  options.allow_missing_server_name = context.insecure_skip_verify();
  options.detail_hook = &TlsTransport::on_failure;
  options.detail_context = this;
  return options;
}

void TlsTransport::on_failure(void* p, const tls::FailureInfo& f) {
  auto* self = static_cast<TlsTransport*>(p);
  std::string& d = self->detail_;
  switch (f.stage) {
    case tls::FailureStage::connect: d = std::string(self->inner_->last_error_detail()); return;
    case tls::FailureStage::setup:
      d = f.mbedtls_code != 0 ? "mbedtls_ssl_setup: " + mbedtls_error_text(f.mbedtls_code) : std::string();
      return;
    case tls::FailureStage::record: d = "TLS record error: " + mbedtls_error_text(f.mbedtls_code); return;
    case tls::FailureStage::handshake: break;
  }
  const std::string lib = mbedtls_error_text(f.mbedtls_code);
  if (f.mbedtls_code == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
    d = tls::verify_failure_message(f.verify_flags);
    if (f.verify_flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
      d += "; the certificate does not cover host name " + self->server_name_;
    d += " (mbedTLS: " + verify_info_line(f.verify_flags) + ")";
  } else if (f.inner_failed || f.mbedtls_code == MBEDTLS_ERR_SSL_CONN_EOF) {
    const std::string inner_words = f.inner_failed ? std::string(f.inner_error.what) : "end of stream";
    d = "the server closed the connection during the TLS handshake (" + inner_words + "; " + lib + ")";
  } else {
    d = "TLS handshake with " + self->server_name_ + " failed: " + lib;
  }
}

}  // namespace picohub::net
