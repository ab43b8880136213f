#include <gtest/gtest.h>
#define MBEDTLS_ALLOW_PRIVATE_ACCESS  // the R^2 cache's limbs
#include <mbedtls/bignum.h>

#include <cstddef>
#include <cstdint>

// NOLINTNEXTLINE(bugprone-reserved-identifier): the firmware's --wrap replacement, tested on the host
extern "C" int __wrap_mbedtls_mpi_exp_mod_unsafe(mbedtls_mpi* X, const mbedtls_mpi* A, const mbedtls_mpi* E,
                                                 const mbedtls_mpi* N, mbedtls_mpi* prec_RR);
// NOLINTNEXTLINE(bugprone-reserved-identifier): the same for mbedtls_mpi_exp_mod (ECP's public (p + 1) / 4)
extern "C" int __wrap_mbedtls_mpi_exp_mod(mbedtls_mpi* X, const mbedtls_mpi* A, const mbedtls_mpi* E,
                                          const mbedtls_mpi* N, mbedtls_mpi* prec_RR);

namespace {

// A repeatable byte stream (xorshift32) for mbedtls_mpi_fill_random: the same numbers on every run.
int test_random(void* state, unsigned char* out, std::size_t len) {
  auto& x = *static_cast<std::uint32_t*>(state);
  for (std::size_t i = 0; i < len; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out[i] = static_cast<unsigned char>(x);
  }
  return 0;
}

class Mpi {
 public:
  Mpi() { mbedtls_mpi_init(&value_); }
  ~Mpi() { mbedtls_mpi_free(&value_); }
  Mpi(const Mpi&) = delete;
  Mpi& operator=(const Mpi&) = delete;
  mbedtls_mpi* get() { return &value_; }

 private:
  mbedtls_mpi value_;
};

// An odd modulus of exactly `bits` bits and a base below it, from the seeded stream.
void make_modulus_and_base(std::uint32_t& seed, std::size_t bits, Mpi& N, Mpi& A) {
  ASSERT_EQ(mbedtls_mpi_fill_random(N.get(), bits / 8, test_random, &seed), 0);
  ASSERT_EQ(mbedtls_mpi_set_bit(N.get(), bits - 1, 1), 0);
  ASSERT_EQ(mbedtls_mpi_set_bit(N.get(), 0, 1), 0);
  ASSERT_EQ(mbedtls_mpi_fill_random(A.get(), bits / 8 - 1, test_random, &seed), 0);
}

// Both wraps and mbedTLS's constant-time exponentiation give the same X = A^E mod N.
void expect_like_mbedtls(Mpi& A, Mpi& E, Mpi& N) {
  Mpi want;
  Mpi got;
  Mpi got_safe_name;
  ASSERT_EQ(mbedtls_mpi_exp_mod(want.get(), A.get(), E.get(), N.get(), nullptr), 0);
  ASSERT_EQ(__wrap_mbedtls_mpi_exp_mod_unsafe(got.get(), A.get(), E.get(), N.get(), nullptr), 0);
  ASSERT_EQ(__wrap_mbedtls_mpi_exp_mod(got_safe_name.get(), A.get(), E.get(), N.get(), nullptr), 0);
  EXPECT_EQ(mbedtls_mpi_cmp_mpi(got.get(), want.get()), 0) << "E of " << mbedtls_mpi_bitlen(E.get()) << " bits";
  EXPECT_EQ(mbedtls_mpi_cmp_mpi(got_safe_name.get(), want.get()), 0);
}

TEST(RsaPublicExp, AgreesWithMbedtlsForRsaSizesAndExponents) {
  std::uint32_t seed = 0x5eed1234;
  for (const std::size_t bits : {512U, 2048U, 4096U}) {
    Mpi N;
    Mpi A;
    make_modulus_and_base(seed, bits, N, A);
    for (const mbedtls_mpi_sint e : {65537, 3, 1, 2, 0x7fffffff}) {
      Mpi E;
      ASSERT_EQ(mbedtls_mpi_lset(E.get(), e), 0);
      expect_like_mbedtls(A, E, N);
    }
  }
}

TEST(RsaPublicExp, AgreesWithMbedtlsForLongRandomExponents) {
  std::uint32_t seed = 42;
  for (int round = 0; round < 4; ++round) {
    Mpi N;
    Mpi A;
    Mpi E;
    make_modulus_and_base(seed, 1024, N, A);
    ASSERT_EQ(mbedtls_mpi_fill_random(E.get(), 40, test_random, &seed), 0);  // 320 bits: many 0 and 1 bits
    expect_like_mbedtls(A, E, N);
  }
}

TEST(RsaPublicExp, ReducesABaseAboveTheModulusAndHandlesZero) {
  std::uint32_t seed = 7;
  Mpi N;
  Mpi A;
  Mpi E;
  make_modulus_and_base(seed, 1024, N, A);
  ASSERT_EQ(mbedtls_mpi_lset(E.get(), 65537), 0);
  ASSERT_EQ(mbedtls_mpi_add_mpi(A.get(), A.get(), N.get()), 0);  // A + N: the same result as A
  expect_like_mbedtls(A, E, N);
  ASSERT_EQ(mbedtls_mpi_lset(A.get(), 0), 0);
  expect_like_mbedtls(A, E, N);
  ASSERT_EQ(mbedtls_mpi_lset(E.get(), 0), 0);  // A^0 = 1
  Mpi X;
  ASSERT_EQ(__wrap_mbedtls_mpi_exp_mod_unsafe(X.get(), A.get(), E.get(), N.get(), nullptr), 0);
  EXPECT_EQ(mbedtls_mpi_cmp_int(X.get(), 1), 0);
}

// rsa.c calls it in place (X == A) with the context's R^2 cache: filled on the first call, used on the next.
TEST(RsaPublicExp, WorksInPlaceAndFillsThenUsesTheRSquaredCache) {
  std::uint32_t seed = 99;
  Mpi N;
  Mpi A;
  Mpi E;
  Mpi want;
  Mpi RR;
  make_modulus_and_base(seed, 2048, N, A);
  ASSERT_EQ(mbedtls_mpi_lset(E.get(), 65537), 0);
  ASSERT_EQ(mbedtls_mpi_exp_mod(want.get(), A.get(), E.get(), N.get(), nullptr), 0);
  for (int call = 0; call < 2; ++call) {
    Mpi X;
    ASSERT_EQ(mbedtls_mpi_copy(X.get(), A.get()), 0);
    ASSERT_EQ(__wrap_mbedtls_mpi_exp_mod_unsafe(X.get(), X.get(), E.get(), N.get(), RR.get()), 0);
    EXPECT_EQ(mbedtls_mpi_cmp_mpi(X.get(), want.get()), 0) << "call " << call;
    EXPECT_NE(RR.get()->p, nullptr) << "call " << call;
  }
}

TEST(RsaPublicExp, RefusesAnEvenModulusAndNegativeNumbers) {
  Mpi X;
  Mpi A;
  Mpi E;
  Mpi N;
  ASSERT_EQ(mbedtls_mpi_lset(A.get(), 5), 0);
  ASSERT_EQ(mbedtls_mpi_lset(E.get(), 65537), 0);
  ASSERT_EQ(mbedtls_mpi_lset(N.get(), 1000), 0);
  EXPECT_EQ(__wrap_mbedtls_mpi_exp_mod_unsafe(X.get(), A.get(), E.get(), N.get(), nullptr),
            MBEDTLS_ERR_MPI_BAD_INPUT_DATA);
  ASSERT_EQ(mbedtls_mpi_lset(N.get(), 1001), 0);
  ASSERT_EQ(mbedtls_mpi_lset(E.get(), -3), 0);
  EXPECT_EQ(__wrap_mbedtls_mpi_exp_mod_unsafe(X.get(), A.get(), E.get(), N.get(), nullptr),
            MBEDTLS_ERR_MPI_BAD_INPUT_DATA);
  ASSERT_EQ(mbedtls_mpi_lset(E.get(), 3), 0);
  ASSERT_EQ(mbedtls_mpi_lset(A.get(), -5), 0);
  EXPECT_EQ(__wrap_mbedtls_mpi_exp_mod_unsafe(X.get(), A.get(), E.get(), N.get(), nullptr),
            MBEDTLS_ERR_MPI_BAD_INPUT_DATA);
}

}  // namespace
