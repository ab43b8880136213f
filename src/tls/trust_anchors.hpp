// The trust anchors a device verifies the hub against: the built-in roots (DigiCert Global Root G2 and Microsoft
// RSA Root CA 2017, generated into net/trust_store.cpp) plus, optionally, one CA provisioned at run time (the
// local hub's CA, from the firmware's config block). Parsed certificates live in mbedTLS's allocator — the static
// arena on the board — for as long as `chain` is kept.
#pragma once

#include <mbedtls/x509_crt.h>

#include <cstdint>
#include <span>

#include "common/error.hpp"
#include "net/trust_store.hpp"

namespace picohub::tls {

// `provisioned_ca`: empty, DER, or PEM including its terminating NUL (mbedTLS tells PEM from DER by that NUL).
// Errc::certificate_invalid names which one did not parse.
Result<void> load_trust_anchors(mbedtls_x509_crt& chain, std::span<const net::TrustedRootDer> builtin,
                                std::span<const std::uint8_t> provisioned_ca) noexcept;

}  // namespace picohub::tls
