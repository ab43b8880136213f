// src/tls without a network: the board's gmtime (utc_from_unix) against the C library, EntropyDrbg refusing a
// failing source, the client configuration refusing missing pieces, and the device profile's ClientHello
// (exactly TLS 1.2 ECDHE-RSA AES-GCM, SNI) produced by a Session in caller storage over an in-memory transport.
#include <gtest/gtest.h>
#include <mbedtls/ctr_drbg.h>

#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "tls/client_config.hpp"
#include "tls/entropy_drbg.hpp"
#include "net/trust_store.hpp"
#include "tls/session.hpp"
#include "tls/trust_anchors.hpp"
#include "tls/unix_time.hpp"

namespace picohub::tls {
namespace {

TEST(TlsUnixTime, UtcFromUnixMatchesGmtimeAcrossCenturiesAndLeapDays) {
  std::vector<std::int64_t> samples = {0,
                                       1,
                                       59,
                                       86'399,
                                       86'400,
                                       951'782'400 /* 2000-02-29 */,
                                       1'700'000'000,
                                       4'102'444'799 /* 2099-12-31 23:59:59 */,
                                       4'107'542'400 /* 2100-03-01 */};
  for (std::int64_t t = -86'400LL * 365 * 70; t < 86'400LL * 365 * 400; t += 86'400LL * 13 + 3'607)
    samples.push_back(t);
  for (std::int64_t t : samples) {
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm expected{};
    ASSERT_NE(gmtime_r(&tt, &expected), nullptr);
    const UtcTime got = utc_from_unix(t);
    ASSERT_EQ(got.year, expected.tm_year + 1900) << t;
    ASSERT_EQ(got.month, expected.tm_mon + 1) << t;
    ASSERT_EQ(got.day, expected.tm_mday) << t;
    ASSERT_EQ(got.hour, expected.tm_hour) << t;
    ASSERT_EQ(got.minute, expected.tm_min) << t;
    ASSERT_EQ(got.second, expected.tm_sec) << t;
    ASSERT_EQ(got.weekday, expected.tm_wday) << t;
    ASSERT_EQ(got.yearday, expected.tm_yday) << t;
  }
}

TEST(TlsUnixTime, AnInstalledSourceDecidesWhetherTheTimeIsKnown) {
  EXPECT_TRUE(unix_time_known());  // host build: the OS clock
  set_unix_time_source([](std::int64_t&) { return false; });
  EXPECT_FALSE(unix_time_known());
  set_unix_time_source([](std::int64_t& now) {
    now = 1'700'000'000;
    return true;
  });
  EXPECT_TRUE(unix_time_known());
  set_unix_time_source(nullptr);
}

class ScriptedEntropy final : public platform::Entropy {
 public:
  bool healthy = true;
  int fills = 0;
  Result<void> fill(std::span<std::uint8_t> out) override {
    ++fills;
    if (!healthy) return fail(Errc::crypto_failure, "source failed its health tests");
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<std::uint8_t>(i * 31 + static_cast<std::size_t>(fills));
    return {};
  }
  platform::EntropyHealth health() const noexcept override {
    return healthy ? platform::EntropyHealth::ok : platform::EntropyHealth::failed_repetition;
  }
};

TEST(TlsEntropyDrbg, FailingSourceRefusesToSeedAndTheGeneratorStaysOff) {
  ScriptedEntropy source;
  source.healthy = false;
  EntropyDrbg drbg;
  auto seeded = drbg.seed(source, "test");
  ASSERT_FALSE(seeded);
  EXPECT_EQ(seeded.error().code, Errc::crypto_failure);
  EXPECT_FALSE(drbg.seeded());
  unsigned char out[16];
  EXPECT_NE(EntropyDrbg::random(&drbg, out, sizeof out), 0);
}

TEST(TlsEntropyDrbg, HealthySourceSeedsAndTwoDrawsDiffer) {
  ScriptedEntropy source;
  EntropyDrbg drbg;
  ASSERT_TRUE(drbg.seed(source, "test"));
  EXPECT_GE(source.fills, 1);
  unsigned char a[32];
  unsigned char b[32];
  ASSERT_EQ(EntropyDrbg::random(&drbg, a, sizeof a), 0);
  ASSERT_EQ(EntropyDrbg::random(&drbg, b, sizeof b), 0);
  EXPECT_NE(std::vector<unsigned char>(a, a + 32), std::vector<unsigned char>(b, b + 32));
}

TEST(TlsClientConfig, MissingRandomOrTrustAnchorsIsRefused) {
  mbedtls_ssl_config conf;
  mbedtls_ssl_config_init(&conf);
  mbedtls_x509_crt anchors;
  mbedtls_x509_crt_init(&anchors);
  ClientConfigParams params;
  params.trust_anchors = &anchors;
  EXPECT_EQ(setup_client_config(conf, params).error().code, Errc::invalid_argument);
  params.random = &EntropyDrbg::random;
  params.trust_anchors = nullptr;
  EXPECT_EQ(setup_client_config(conf, params).error().code, Errc::invalid_argument);
  mbedtls_x509_crt_free(&anchors);
  mbedtls_ssl_config_free(&conf);
}

// The board's trust store: the two built-in roots, plus a provisioned CA as DER or as NUL-terminated PEM.
class TlsTrustAnchors : public ::testing::Test {
 protected:
  void SetUp() override { mbedtls_x509_crt_init(&chain_); }
  void TearDown() override { mbedtls_x509_crt_free(&chain_); }
  static int count(const mbedtls_x509_crt& chain) {
    int n = 0;
    for (const mbedtls_x509_crt* c = &chain; c != nullptr && c->raw.len != 0; c = c->next) ++n;
    return n;
  }
  // A CA certificate to provision, as DER: the first built-in root, parsed and taken raw.
  static std::vector<std::uint8_t> some_ca_der() {
    mbedtls_x509_crt one;
    mbedtls_x509_crt_init(&one);
    const char* pem = net::builtin_roots()[0].pem;
    EXPECT_EQ(mbedtls_x509_crt_parse(&one, reinterpret_cast<const unsigned char*>(pem), std::strlen(pem) + 1), 0);
    std::vector<std::uint8_t> der(one.raw.p, one.raw.p + one.raw.len);
    mbedtls_x509_crt_free(&one);
    return der;
  }
  mbedtls_x509_crt chain_;
};

TEST_F(TlsTrustAnchors, BuiltInRootsAreDigiCertG2AndMicrosoftRsa2017) {
  ASSERT_TRUE(load_trust_anchors(chain_, net::builtin_roots_der(), {}));
  EXPECT_EQ(count(chain_), 2);
}

TEST_F(TlsTrustAnchors, ProvisionedDerCaIsAddedToTheBuiltInRoots) {
  const auto der = some_ca_der();
  ASSERT_TRUE(load_trust_anchors(chain_, net::builtin_roots_der(), der));
  EXPECT_EQ(count(chain_), 3);
}

TEST_F(TlsTrustAnchors, ProvisionedPemNeedsItsTerminatingNul) {
  const char* pem = net::builtin_roots()[1].pem;
  std::vector<std::uint8_t> with_nul(pem, pem + std::strlen(pem) + 1);
  ASSERT_TRUE(load_trust_anchors(chain_, {}, with_nul));
  EXPECT_EQ(count(chain_), 1);
  with_nul.pop_back();
  auto r = load_trust_anchors(chain_, {}, with_nul);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::certificate_invalid);
  EXPECT_NE(std::string(r.error().what).find("NUL"), std::string::npos) << r.error().what;
}

// PEM is decoded by our own base64 (the board's mbedTLS has no PEM reader): a bundle gives every certificate, CRLF
// line ends are fine, and a damaged body is refused rather than half-read.
TEST_F(TlsTrustAnchors, ProvisionedPemBundleIsDecodedWithoutMbedtlsPem) {
  std::string bundle = std::string(net::builtin_roots()[0].pem) + net::builtin_roots()[1].pem;
  std::string crlf;
  for (char c : bundle) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  std::vector<std::uint8_t> bytes(crlf.begin(), crlf.end());
  bytes.push_back(0);
  ASSERT_TRUE(load_trust_anchors(chain_, {}, bytes));
  EXPECT_EQ(count(chain_), 2);
  EXPECT_EQ(0, std::memcmp(chain_.raw.p, net::builtin_roots_der()[0].der.data(), chain_.raw.len));

  mbedtls_x509_crt_free(&chain_);
  mbedtls_x509_crt_init(&chain_);
  std::string damaged = net::builtin_roots()[0].pem;
  damaged[damaged.find('\n') + 10] = '*';  // not a base64 character
  std::vector<std::uint8_t> bad(damaged.begin(), damaged.end());
  bad.push_back(0);
  const auto r = load_trust_anchors(chain_, {}, bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::certificate_invalid);
}

TEST_F(TlsTrustAnchors, GarbageProvisionedCaIsRefusedByName) {
  const std::vector<std::uint8_t> garbage = {0x30, 0x03, 0x01, 0x02, 0x03};
  auto r = load_trust_anchors(chain_, net::builtin_roots_der(), garbage);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::certificate_invalid);
  EXPECT_NE(std::string(r.error().what).find("provisioned CA"), std::string::npos) << r.error().what;
}

// Records what the session writes; never has anything to read.
class SinkTransport final : public net::Transport {
 public:
  std::vector<std::uint8_t> written;
  Result<bool> poll_connect() override { return true; }
  Result<std::size_t> read(std::span<std::uint8_t>) override { return fail(Errc::would_block, "nothing"); }
  Result<std::size_t> write(std::span<const std::uint8_t> data) override {
    written.insert(written.end(), data.begin(), data.end());
    return data.size();
  }
  void close() override {}
  net::Wait wants() const override { return net::Wait::readable; }
};

TEST(TlsSession, DeviceProfileClientHelloOffersOnlyTls12EcdheRsaAesGcmWithSni) {
  ScriptedEntropy source;
  EntropyDrbg drbg;
  ASSERT_TRUE(drbg.seed(source, "test"));
  mbedtls_x509_crt anchors;
  mbedtls_x509_crt_init(&anchors);
  mbedtls_ssl_config conf;
  mbedtls_ssl_config_init(&conf);
  ClientConfigParams params;
  params.random = &EntropyDrbg::random;
  params.random_state = &drbg;
  params.trust_anchors = &anchors;
  ASSERT_TRUE(setup_client_config(conf, params));

  SessionStorage storage;
  SinkTransport sink;
  {
    Session session(storage, &conf, sink, SessionOptions{"picohub.azure-devices.net"});
    for (int i = 0; i < 20 && sink.written.empty(); ++i) {
      auto r = session.poll_connect();
      ASSERT_TRUE(r) << r.error().what;
      ASSERT_FALSE(*r);
    }
  }
  const auto& w = sink.written;
  // record header (5) + handshake header (4): ClientHello is handshake type 1.
  ASSERT_GT(w.size(), 9u + 2 + 32 + 1);
  ASSERT_EQ(w[0], 0x16);
  ASSERT_EQ(w[5], 0x01);
  EXPECT_EQ(w[9], 0x03);
  EXPECT_EQ(w[10], 0x03) << "client_version must be TLS 1.2";
  std::size_t at = 9 + 2 + 32;
  at += 1 + w[at];  // session id
  const std::size_t suites_len = static_cast<std::size_t>(w[at] << 8 | w[at + 1]);
  std::vector<unsigned> suites;
  for (std::size_t i = 0; i < suites_len; i += 2)
    suites.push_back(static_cast<unsigned>(w[at + 2 + i] << 8 | w[at + 3 + i]));
  // 0xC02F/0xC030: ECDHE-RSA AES-128/256-GCM; 0x00FF: the renegotiation-info signalling value.
  std::vector<unsigned> offered;
  for (unsigned s : suites)
    if (s != 0x00FF) offered.push_back(s);
  EXPECT_EQ(offered, (std::vector<unsigned>{0xC02F, 0xC030}));
  const std::string text(w.begin(), w.end());
  EXPECT_NE(text.find("picohub.azure-devices.net"), std::string::npos) << "SNI missing";

  mbedtls_ssl_config_free(&conf);
  mbedtls_x509_crt_free(&anchors);
}

}  // namespace
}  // namespace picohub::tls
