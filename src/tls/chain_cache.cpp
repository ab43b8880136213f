#include "tls/chain_cache.hpp"

#include <mbedtls/sha256.h>

#include <algorithm>

namespace picohub::tls {

ChainDigest chain_digest(std::span<const std::uint8_t> certificate_list) noexcept {
  ChainDigest out{};
  (void)mbedtls_sha256(certificate_list.data(), certificate_list.size(), out.data(), 0);
  return out;
}

bool ChainCache::holds(std::string_view host, std::int64_t now_unix) const noexcept {
  if (!valid_ || host != std::string_view(host_.data(), host_length_)) return false;
  // A clock that went backwards (a resync) or an old entry: verify in full.
  return now_unix >= verified_unix_ && now_unix - verified_unix_ <= max_age_s;
}

bool ChainCache::matches(std::string_view host, const ChainDigest& digest, std::int64_t now_unix) const noexcept {
  return holds(host, now_unix) && digest == digest_;
}

void ChainCache::remember(std::string_view host, const ChainDigest& digest, std::int64_t now_unix) noexcept {
  if (host.empty() || host.size() > max_host_length) {
    valid_ = false;
    return;
  }
  std::copy(host.begin(), host.end(), host_.begin());
  host_length_ = host.size();
  digest_ = digest;
  verified_unix_ = now_unix;
  valid_ = true;
}

}  // namespace picohub::tls
