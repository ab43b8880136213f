#include "tls/trust_anchors.hpp"

#include <mbedtls/platform.h>

#include <string_view>

#include "iothub/base64.hpp"

namespace picohub::tls {
namespace {

constexpr const char* kBadCa = "the provisioned CA does not parse (PEM needs its terminating NUL): re-provision it";

bool looks_like_pem(std::span<const std::uint8_t> data) noexcept {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  return text.find("-----BEGIN") != std::string_view::npos;
}

// One PEM certificate body, base64 lines between the markers, into DER in mbedTLS's allocator (the arena on the
// board), then parsed. Our own base64, so the board's mbedTLS needs no PEM reader (MBEDTLS_PEM_PARSE_C off):
// PEM lines are whole base64 quanta, so each line decodes on its own.
int parse_pem_body(mbedtls_x509_crt& chain, std::string_view body) noexcept {
  const std::size_t capacity = body.size() / 4 * 3 + 3;
  auto* der = static_cast<std::uint8_t*>(mbedtls_calloc(1, capacity));
  if (der == nullptr) return MBEDTLS_ERR_X509_ALLOC_FAILED;
  std::size_t size = 0;
  int rc = 0;
  while (!body.empty() && rc == 0) {
    const std::size_t eol = body.find('\n');
    std::string_view line = body.substr(0, eol);
    body = eol == std::string_view::npos ? std::string_view{} : body.substr(eol + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    const auto n = iothub::base64_decode(line, {der + size, capacity - size});
    if (n) size += *n;
    else rc = MBEDTLS_ERR_X509_INVALID_FORMAT;
  }
  if (rc == 0) rc = mbedtls_x509_crt_parse_der(&chain, der, size);
  mbedtls_free(der);
  return rc;
}

// Every CERTIFICATE block of a PEM text (a bundle may hold several); 0 when at least one parsed and none failed.
int parse_pem(mbedtls_x509_crt& chain, std::string_view text) noexcept {
  constexpr std::string_view begin = "-----BEGIN CERTIFICATE-----";
  constexpr std::string_view end = "-----END CERTIFICATE-----";
  int parsed = 0;
  for (std::size_t at = text.find(begin); at != std::string_view::npos; at = text.find(begin, at)) {
    const std::size_t body = at + begin.size();
    const std::size_t stop = text.find(end, body);
    if (stop == std::string_view::npos) return MBEDTLS_ERR_X509_INVALID_FORMAT;
    if (const int rc = parse_pem_body(chain, text.substr(body, stop - body)); rc != 0) return rc;
    ++parsed;
    at = stop + end.size();
  }
  return parsed > 0 ? 0 : MBEDTLS_ERR_X509_INVALID_FORMAT;
}

}  // namespace

Result<void> load_trust_anchors(mbedtls_x509_crt& chain, std::span<const net::TrustedRootDer> builtin,
                                std::span<const std::uint8_t> provisioned_ca) noexcept {
  for (const net::TrustedRootDer& root : builtin) {
    const int rc = mbedtls_x509_crt_parse_der(&chain, root.der.data(), root.der.size());
    if (rc != 0) return fail(Errc::certificate_invalid, "a built-in root certificate does not parse");
  }
  if (provisioned_ca.empty()) return {};
  if (looks_like_pem(provisioned_ca) && provisioned_ca.back() != 0) return fail(Errc::certificate_invalid, kBadCa);
  const std::string_view text(reinterpret_cast<const char*>(provisioned_ca.data()), provisioned_ca.size());
  const int rc = looks_like_pem(provisioned_ca)
                     ? parse_pem(chain, text)
                     : mbedtls_x509_crt_parse_der(&chain, provisioned_ca.data(), provisioned_ca.size());
  if (rc != 0) return fail(Errc::certificate_invalid, kBadCa);
  return {};
}

}  // namespace picohub::tls
