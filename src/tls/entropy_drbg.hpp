// EntropyDrbg: the random generator TLS draws from — mbedTLS's CTR_DRBG seeded (and reseeded) from a
// platform::Entropy source, in storage the caller owns (static on the board, no heap). When the source fails its
// health tests the seed or reseed fails and so does the handshake: never a predictable fallback.
#pragma once

#include <mbedtls/ctr_drbg.h>

#include <cstddef>
#include <string_view>

#include "common/error.hpp"
#include "platform/entropy.hpp"

namespace picohub::tls {

// mbedTLS's random-callback shape (mbedtls_ssl_conf_rng): fill `len` bytes at `out`, 0 on success.
using RandomFn = int (*)(void* state, unsigned char* out, std::size_t len);

class EntropyDrbg {
 public:
  EntropyDrbg() noexcept;
  ~EntropyDrbg();
  EntropyDrbg(const EntropyDrbg&) = delete;
  EntropyDrbg& operator=(const EntropyDrbg&) = delete;

  // `source` must outlive this object (it is used again to reseed). `personalisation` tells generators apart.
  Result<void> seed(platform::Entropy& source, std::string_view personalisation) noexcept;
  bool seeded() const noexcept { return source_ != nullptr; }

  // A RandomFn: pass `&EntropyDrbg::random` with this object as the state.
  static int random(void* self, unsigned char* out, std::size_t len) noexcept;

 private:
  static int pull_entropy(void* self, unsigned char* out, std::size_t len) noexcept;

  mbedtls_ctr_drbg_context drbg_;
  platform::Entropy* source_ = nullptr;
};

}  // namespace picohub::tls
