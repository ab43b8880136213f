#include "tls/trust_anchors.hpp"

#include <cstring>
#include <string_view>

namespace picohub::tls {
namespace {

bool looks_like_pem(std::span<const std::uint8_t> data) noexcept {
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  return text.find("-----BEGIN") != std::string_view::npos;
}

}  // namespace

Result<void> load_trust_anchors(mbedtls_x509_crt& chain, std::span<const net::TrustedRoot> builtin,
                                std::span<const std::uint8_t> provisioned_ca) noexcept {
  for (const net::TrustedRoot& root : builtin) {
    const int rc = mbedtls_x509_crt_parse(&chain, reinterpret_cast<const unsigned char*>(root.pem),
                                          std::strlen(root.pem) + 1);
    if (rc != 0)
      return fail(Errc::certificate_invalid, "a built-in root certificate does not parse (or TLS memory ran out)");
  }
  if (provisioned_ca.empty()) return {};
  if (looks_like_pem(provisioned_ca) && provisioned_ca.back() != 0)
    return fail(Errc::certificate_invalid, "the provisioned CA is PEM without its terminating NUL: re-provision it");
  const int rc = mbedtls_x509_crt_parse(&chain, provisioned_ca.data(), provisioned_ca.size());
  if (rc != 0) return fail(Errc::certificate_invalid, "the provisioned CA certificate does not parse: re-provision it");
  return {};
}

}  // namespace picohub::tls
