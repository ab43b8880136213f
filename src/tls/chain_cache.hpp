// ChainCache: lets a reconnect skip the server certificate chain's signature checks when the server presents
// exactly the chain that passed a full verification for the same host name a short while ago.
//
// Why: against an Azure-shaped chain (root RSA-2048 -> intermediate RSA-4096 -> leaf RSA-2048) the two chain
// signatures are a large share of a board's TLS 1.2 handshake, and IoT Hub does not resume TLS sessions, so
// every reconnect would pay them again for a chain it has already checked.
//
// Why it is safe: signature verification is a deterministic function of the certificate bytes and the trust
// anchors. The cache holds the SHA-256 of the whole certificate_list the server sent (every certificate, in
// order) after mbedTLS verified it in full against the same trust anchors (they live until a reboot) and the
// same host name. Identical bytes (SHA-256 collision resistance) would verify identically, so re-running the
// signatures proves nothing new. What CAN change is re-checked on every handshake: the validity dates of every
// certificate against the current time, and the host name (it is part of the key: the chain was verified for
// it). Possession of the leaf's private key is still proved on every handshake: the ServerKeyExchange signature
// is verified with the leaf's public key from these bytes, so replaying a chain without the key fails.
// Not covered (nor by a full verification here): revocation; the board carries no CRLs and no OCSP.
//
// When it verifies in full again: the chain's bytes differ in any way (rotation, another server), another host
// name, a reboot (the cache is RAM), the entry is older than max_age_s or the clock went backwards, and after
// any failed check (the entry is dropped).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace picohub::tls {

using ChainDigest = std::array<std::uint8_t, 32>;

// SHA-256 of a TLS 1.2 Certificate message's certificate_list (the bytes after its 3-byte length).
ChainDigest chain_digest(std::span<const std::uint8_t> certificate_list) noexcept;

class ChainCache {
 public:
  // A day: a skipped check is never more than a day behind a full one (e.g. a trust anchor that expired).
  static constexpr std::int64_t max_age_s = 24 * 60 * 60;
  static constexpr std::size_t max_host_length = 127;

  // Whether a handshake to `host` at `now_unix` may take the short path (then the chain's digest decides).
  bool holds(std::string_view host, std::int64_t now_unix) const noexcept;
  // Whether `digest` is the chain last verified in full for `host`, and that verification is recent enough.
  bool matches(std::string_view host, const ChainDigest& digest, std::int64_t now_unix) const noexcept;
  // After a full verification of the chain with this digest for `host` succeeded (and the handshake finished).
  void remember(std::string_view host, const ChainDigest& digest, std::int64_t now_unix) noexcept;
  void forget() noexcept { valid_ = false; }

 private:
  bool valid_ = false;
  std::array<char, max_host_length> host_{};
  std::size_t host_length_ = 0;
  ChainDigest digest_{};
  std::int64_t verified_unix_ = 0;
};

}  // namespace picohub::tls
