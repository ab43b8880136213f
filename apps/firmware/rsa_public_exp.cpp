// X = A^E mod N for a PUBLIC exponent: the RSA signature checks of the hub's chain and ServerKeyExchange.
// mbedTLS 3.6's mbedtls_mpi_exp_mod_unsafe (called by rsa.c's mbedtls_rsa_public) takes a 1-bit window for
// short exponents and multiplies after EVERY squaring, by 1 when the bit is 0: for E = 65537 that is 17
// squarings + 17 multiplications where 16 + 1 do, ~half the Montgomery products of each verification (the
// RSA-4096 one of the Azure chain dominates the first handshake on the M0+). The firmware links with
// -Wl,--wrap=mbedtls_mpi_exp_mod_unsafe (apps/firmware/CMakeLists.txt): rsa.c's call lands here, in a plain
// left-to-right square-and-multiply on mbedTLS's own Montgomery core that multiplies for 1 bits only. Its time
// depends on E, which is public.
// The constant-time mbedtls_mpi_exp_mod is wrapped to it as well: on the board no secret exponent reaches it (no
// RSA private key, its code is wrapped out by rsa_verify_only.cpp; no DHM). Its only caller left is ECP's point
// decompression, with the public exponent (p + 1) / 4; its window tables and constant-time table walk (~1.3 KB
// of flash) leave the image.
// The limbs (p, n) are the point of this file: mbedTLS's own opt-in to its structures' private fields.
#define MBEDTLS_ALLOW_PRIVATE_ACCESS
#include <mbedtls/bignum.h>
#include <mbedtls/platform.h>

#include <cstddef>
#include <cstring>

extern "C" {
// mbedTLS's Montgomery core (library/bignum_core.h, not installed): its declarations, as the library exports them.
mbedtls_mpi_uint mbedtls_mpi_core_montmul_init(const mbedtls_mpi_uint* N);
void mbedtls_mpi_core_montmul(mbedtls_mpi_uint* X, const mbedtls_mpi_uint* A, const mbedtls_mpi_uint* B,
                              std::size_t B_limbs, const mbedtls_mpi_uint* N, std::size_t AN_limbs, mbedtls_mpi_uint mm,
                              mbedtls_mpi_uint* T);
int mbedtls_mpi_core_get_mont_r2_unsafe(mbedtls_mpi* X, const mbedtls_mpi* N);
void mbedtls_mpi_core_to_mont_rep(mbedtls_mpi_uint* X, const mbedtls_mpi_uint* A, const mbedtls_mpi_uint* N,
                                  std::size_t AN_limbs, mbedtls_mpi_uint mm, const mbedtls_mpi_uint* rr,
                                  mbedtls_mpi_uint* T);
void mbedtls_mpi_core_from_mont_rep(mbedtls_mpi_uint* X, const mbedtls_mpi_uint* A, const mbedtls_mpi_uint* N,
                                    std::size_t AN_limbs, mbedtls_mpi_uint mm, mbedtls_mpi_uint* T);

// NOLINTBEGIN(bugprone-reserved-identifier): the names --wrap gives the replacements
int __wrap_mbedtls_mpi_exp_mod_unsafe(mbedtls_mpi* X, const mbedtls_mpi* A, const mbedtls_mpi* E, const mbedtls_mpi* N,
                                      mbedtls_mpi* prec_RR);
int __wrap_mbedtls_mpi_exp_mod(mbedtls_mpi* X, const mbedtls_mpi* A, const mbedtls_mpi* E, const mbedtls_mpi* N,
                               mbedtls_mpi* prec_RR);
// NOLINTEND(bugprone-reserved-identifier)
}

namespace {

bool valid_input(const mbedtls_mpi* A, const mbedtls_mpi* E, const mbedtls_mpi* N) {
  return mbedtls_mpi_cmp_int(N, 0) > 0 && (N->p[0] & 1) != 0 && mbedtls_mpi_cmp_int(E, 0) >= 0 &&
         mbedtls_mpi_cmp_int(A, 0) >= 0 && mbedtls_mpi_bitlen(E) <= MBEDTLS_MPI_MAX_BITS &&
         mbedtls_mpi_bitlen(N) <= MBEDTLS_MPI_MAX_BITS;
}

// R^2 mod N, from the caller's cache when it has one (mbedtls_rsa_context::RN), else computed (and cached).
int r_squared(const mbedtls_mpi* N, mbedtls_mpi* prec_RR, mbedtls_mpi* RR) {
  if (prec_RR != nullptr && prec_RR->p != nullptr) {
    const int ret = mbedtls_mpi_grow(prec_RR, N->n);
    *RR = *prec_RR;
    return ret;
  }
  const int ret = mbedtls_mpi_core_get_mont_r2_unsafe(RR, N);
  if (ret == 0 && prec_RR != nullptr) *prec_RR = *RR;
  return ret;
}

// X (< N, N->n limbs) := X^E mod N; T: 3 * N->n + 1 limbs of scratch.
void square_and_multiply(mbedtls_mpi* X, const mbedtls_mpi* E, const mbedtls_mpi* N, const mbedtls_mpi* RR,
                         mbedtls_mpi_uint* T) {
  const std::size_t n = N->n;
  mbedtls_mpi_uint* base = T;
  mbedtls_mpi_uint* temp = T + n;
  const mbedtls_mpi_uint mm = mbedtls_mpi_core_montmul_init(N->p);
  mbedtls_mpi_core_to_mont_rep(base, X->p, N->p, n, mm, RR->p, temp);
  std::memcpy(X->p, base, n * sizeof(mbedtls_mpi_uint));  // E's top bit
  for (std::size_t bit = mbedtls_mpi_bitlen(E) - 1; bit-- > 0;) {
    mbedtls_mpi_core_montmul(X->p, X->p, X->p, n, N->p, n, mm, temp);
    if (mbedtls_mpi_get_bit(E, bit) != 0) mbedtls_mpi_core_montmul(X->p, X->p, base, n, N->p, n, mm, temp);
  }
  mbedtls_mpi_core_from_mont_rep(X->p, X->p, N->p, n, mm, temp);
}

}  // namespace

// NOLINTNEXTLINE(bugprone-reserved-identifier): the name --wrap gives the replacement
int __wrap_mbedtls_mpi_exp_mod_unsafe(mbedtls_mpi* X, const mbedtls_mpi* A, const mbedtls_mpi* E, const mbedtls_mpi* N,
                                      mbedtls_mpi* prec_RR) {
  if (!valid_input(A, E, N)) return MBEDTLS_ERR_MPI_BAD_INPUT_DATA;
  if (mbedtls_mpi_bitlen(E) == 0) return mbedtls_mpi_lset(X, 1);
  mbedtls_mpi RR;
  mbedtls_mpi_init(&RR);
  int ret = r_squared(N, prec_RR, &RR);
  const bool own_rr = prec_RR == nullptr || prec_RR->p != RR.p;
  auto* T = static_cast<mbedtls_mpi_uint*>(mbedtls_calloc(3 * N->n + 1, sizeof(mbedtls_mpi_uint)));
  if (ret == 0 && T == nullptr) ret = MBEDTLS_ERR_MPI_ALLOC_FAILED;
  if (ret == 0) ret = mbedtls_mpi_copy(X, A);
  if (ret == 0 && mbedtls_mpi_cmp_mpi(X, N) >= 0) ret = mbedtls_mpi_mod_mpi(X, X, N);
  if (ret == 0) ret = mbedtls_mpi_grow(X, N->n);
  if (ret == 0) square_and_multiply(X, E, N, &RR, T);
  mbedtls_free(T);
  if (own_rr) mbedtls_mpi_free(&RR);
  return ret;
}

// NOLINTNEXTLINE(bugprone-reserved-identifier): see the top of the file for why a public exponent is safe here
int __wrap_mbedtls_mpi_exp_mod(mbedtls_mpi* X, const mbedtls_mpi* A, const mbedtls_mpi* E, const mbedtls_mpi* N,
                               mbedtls_mpi* prec_RR) {
  return __wrap_mbedtls_mpi_exp_mod_unsafe(X, A, E, N, prec_RR);
}
