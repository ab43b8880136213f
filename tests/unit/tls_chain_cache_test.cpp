// tls::ChainCache and the Session's short path for a remembered server chain (issue 7, "an honest handshake"):
// a reconnect presenting the identical chain skips its signatures but still has its dates checked; a changed
// chain is verified in full (and remembered when good); a bad one is refused and empties the cache. The server is
// mbedTLS in the same thread over an in-memory pipe; the certificates below were made once with openssl (a test
// root, the same-named rogue root, and three localhost leaves on one key: A and B from the root, R from the rogue).
#include <gtest/gtest.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>

#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "tls/chain_cache.hpp"
#include "tls/client_config.hpp"
#include "tls/entropy_drbg.hpp"
#include "tls/session.hpp"
#include "tls/unix_time.hpp"

namespace picohub::tls {
namespace {

constexpr char root_ca[] = R"(-----BEGIN CERTIFICATE-----
MIIDYTCCAkmgAwIBAgIUEaDF3sPBxsYnRgb1i7gUqjPJJcIwDQYJKoZIhvcNAQEL
BQAwNzEVMBMGA1UECgwMcGljb2h1YiB0ZXN0MR4wHAYDVQQDDBVjaGFpbiBjYWNo
ZSB0ZXN0IHJvb3QwIBcNMjYxMjA0MDMzNDQ3WhgPMjEyNjExMTAwMzM0NDdaMDcx
FTATBgNVBAoMDHBpY29odWIgdGVzdDEeMBwGA1UEAwwVY2hhaW4gY2FjaGUgdGVz
dCByb290MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvm34JdbpWiX8
pPnUJ8l7V/bW6WkVccAoH8E4oCPMUtDHmushQidNr6IIMYf5ch3p8DvXjDb3iSqO
xsHvfFL5PP57D9f5ggzVgTqipKqmcLOD3IRQQibpZ00+vYLH1IwZ9K9n4I8LM3NX
HuIRg3KwTu8rJhiVYvnEmIcqVoMcGM+SH75Yy/0i4FWxCWYaTjObqkji981eJIxc
HXZ7FwTUxuwVrwTcRyr2cTulQ/25YjSiu+juoAG0ZkPIWzKy4oHJzJZ+Uex2vTjJ
yAu5SloJFF1MqZAPrNwxD0N6es7qUprHYWjl04PJq1X3wqH1Se863GPrw+0itEK6
lLA3lXIoNwIDAQABo2MwYTAdBgNVHQ4EFgQUpEzuvvQIKw7wVkZA0k2AEE/ennEw
HwYDVR0jBBgwFoAUpEzuvvQIKw7wVkZA0k2AEE/ennEwDwYDVR0TAQH/BAUwAwEB
/zAOBgNVHQ8BAf8EBAMCAQYwDQYJKoZIhvcNAQELBQADggEBAEUsdZZuBBKYsMbs
5mB9LwNnt2xRQiKmSTqPpNmCYWZ7ZsSeZNAvAqE0+exsP5g83XP9DE3L98kPmyqC
jdCJYJXpS4OpAiRY0coQV8urZ/kTsPb6Eoh8nG240E3BK3w5GNIFR8Rj3ungXAiT
y6eTEbOqxH0N3TTAMP32+NLd8Lny879aGtgO6aCjcRicWNViKWqAz6tzRq1FNkou
FHKLCHwKk5141QORIeslgsKzFObVtq312RE0Dqw0iKpY7GoEKY2PpnW5CIs52ZPf
zinsojFAxYYcSr4SmpCwJxPsNWoU9XJv0pnJ6/jYKmg7YHQnQKjUrnrmldbm8PYo
R4Md1FY=
-----END CERTIFICATE-----
)";
constexpr char server_key[] = R"(-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAyvtopayj8RTBnFNlq8pUtZFPyWKSbG5vCWoU1VFUoWxbntzX
N58gd5YNQIVYgANuiX+enjhjr/pkBZ0SmCU+ltzbNGaZs0+RA8rNmOgvE7sI+N99
9a8903q68ZAZFdShuinuExxB8vovotp9Lu4/yAr/JszTNr6cPdG3enTdZtMcxp+W
fRWe3xBetLhKIRKKb3YVc7PYAgpj0F1a4YixvUOZZ4vVFESpZK+PFyaGXVKn91zS
RstSCfBDw+Wo5KbecH7YAs3fagWUFlmpSsx1IyFY96KSs1OXuYe4ZZ5rVDhGssMe
kpWwbdb6a1fCPuLLGesKfrymTmu+ZHGl1mvNXQIDAQABAoIBAAhaz8Rd9kOCiLOQ
BTPMeK8eg4u0+HTpGL3o9WGQXuzkAmNoEJ2z+YiijvoUYv+l5INZUuSNSqEgK8TF
YdIMWmaoQYeHH5VvVXcz/kFocSOdQ7HGtS8LHv7Y4t/1f+rTnTKF7kwwEhDXtmU8
HAH2AX8Q4M6uiJUMxG6Q9r3eGIzWWeO3pQHtFJ4qetoWH0FLb9NFGFLKgQZ/DDrM
+fM/Hxe94NyJXY/jtp0fLTh/pQe7+X6hjBi4qP0W5H3ChCHv9J/uRKj/QIrZzjxd
qbiwpQeIFnbfWZG5P+ZP5pYD+UyZTYtKDt4J+8NMD+0kHkSRVbj9cOoY4Orf4zne
FSVbc6ECgYEA7073zZLgee+zPQeZqfz1BuCnO5YTD6JpkAm2ucupul3L4DR7U9Re
9HNqzZ31dPV5CRPCZvS7PE8S5dqRYJ0wOX5zFakKHRE6rhaqB+3WzOjBWu/hhu0N
WjuqIaioO6Ax4ySe6k3NwjRvASsJh5tmurBoqpv1lKGmbuBlOoFWmE0CgYEA2SPO
PxwF7Q+3Yd8ixNQwY13AOifDcIqEbg3/h3ztsQP79eXW7+HGb6G2aqsTaH2I7oCd
n9LebkxEVB87tncw7rIXeJYJRYpAVRDrpeKMPzOUC/wZQ3m0gWOAZ2/lHxaegRvS
Sc1oVbyH4x6cY9suySgnOsZ4A4KnBvBBd/XKkVECgYBXjVOZ8XeRBQJVfLdaesKG
fqCQa0qT+L6YRQWGGh4BohlZ8LmCJPuMgcF8cqL/5GMg0ArasgTifqeSUpHHgBrJ
nhqqvQqHMet/D6mrdveURj+fbo3bWFT/Qz7uS48pKWW3DYnafRafS6GlEsLMyy0d
djcE3ERP2YhTnmNKsVEmLQKBgQDExtT+jie0qJx4Xl1E4EIlmm08hpJvp6fRkG/0
WbuRwlmQgsRgyUsqGPOWAQjqlXEFKpstnkwiyozVaySS+7rlZZEtn1IxqdMZA+d5
gi+0ispsff5rDp0M8J4JnvaVUMs9l3ffl/0oTV0b7r6tI5FnjDLY6ckS7VDuUcYS
rzTusQKBgQCji9UuFeXx3M6a4DZ+T8Jrx0mf9OduPFz9Y0NQMF33lHNps/VnKYx0
v8NdeTkmZh4yGBIVnVdjbnz1KEfjZmFFI0w6K62Xt+5+r7l8CZhqixfARlyJBwrL
/wRqF5rK+DGugFqwy0UKytR8pk7/xdnQoF8h3v98hlg6yCRQtzHDHA==
-----END RSA PRIVATE KEY-----
)";
constexpr char leaf_a[] = R"(-----BEGIN CERTIFICATE-----
MIIDbDCCAlSgAwIBAgIBATANBgkqhkiG9w0BAQsFADA3MRUwEwYDVQQKDAxwaWNv
aHViIHRlc3QxHjAcBgNVBAMMFWNoYWluIGNhY2hlIHRlc3Qgcm9vdDAgFw0yNjEy
MDQwMzM0NTFaGA8yMTI1MDYyODAzMzQ1MVowKzEVMBMGA1UECgwMcGljb2h1YiB0
ZXN0MRIwEAYDVQQDDAlsb2NhbGhvc3QwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAw
ggEKAoIBAQDK+2ilrKPxFMGcU2WrylS1kU/JYpJsbm8JahTVUVShbFue3Nc3nyB3
lg1AhViAA26Jf56eOGOv+mQFnRKYJT6W3Ns0ZpmzT5EDys2Y6C8Tuwj43331rz3T
errxkBkV1KG6Ke4THEHy+i+i2n0u7j/ICv8mzNM2vpw90bd6dN1m0xzGn5Z9FZ7f
EF60uEohEopvdhVzs9gCCmPQXVrhiLG9Q5lni9UURKlkr48XJoZdUqf3XNJGy1IJ
8EPD5ajkpt5wftgCzd9qBZQWWalKzHUjIVj3opKzU5e5h7hlnmtUOEaywx6SlbBt
1vprV8I+4ssZ6wp+vKZOa75kcaXWa81dAgMBAAGjgYwwgYkwDAYDVR0TAQH/BAIw
ADAOBgNVHQ8BAf8EBAMCBaAwEwYDVR0lBAwwCgYIKwYBBQUHAwEwFAYDVR0RBA0w
C4IJbG9jYWxob3N0MB0GA1UdDgQWBBRBgXY1FpSC6UBLhkonnSQEC/ZggTAfBgNV
HSMEGDAWgBSkTO6+9AgrDvBWRkDSTYAQT96ecTANBgkqhkiG9w0BAQsFAAOCAQEA
Cy1U1VdO74mdVe2od9NynMK21Hwma1QYo3sas/koO16wBc0bGOAVra8KI2K0eCs/
O2TXu81O6LOS41x7pBd+FZzQdR9mD9et3FApH+aT5azcypJvL6gdFYOtlA/yXSB2
yLpkS0fkteNPTDfZBfFDK+IGYEw1/twwJdlWucIgsMW0YRE0Lv3aUNspocTeJFOW
cy5Aev9RBcQS+l1rIqEkAxJc9h1b5BpJiedVjgrGWRHU1WfAzAAUmE1qGHU+6jn6
XgpfSY93QhIUF/gPolk5UorfQ0cF4buqXbisQ2SpN+MaWn41oPuyXKKCXPQBDeuU
eHY57E63aPTdzLDDkve8ig==
-----END CERTIFICATE-----
)";
constexpr char leaf_b[] = R"(-----BEGIN CERTIFICATE-----
MIIDbDCCAlSgAwIBAgIBAjANBgkqhkiG9w0BAQsFADA3MRUwEwYDVQQKDAxwaWNv
aHViIHRlc3QxHjAcBgNVBAMMFWNoYWluIGNhY2hlIHRlc3Qgcm9vdDAgFw0yNjEy
MDQwMzM0NTFaGA8yMTIyMTAwMjAzMzQ1MVowKzEVMBMGA1UECgwMcGljb2h1YiB0
ZXN0MRIwEAYDVQQDDAlsb2NhbGhvc3QwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAw
ggEKAoIBAQDK+2ilrKPxFMGcU2WrylS1kU/JYpJsbm8JahTVUVShbFue3Nc3nyB3
lg1AhViAA26Jf56eOGOv+mQFnRKYJT6W3Ns0ZpmzT5EDys2Y6C8Tuwj43331rz3T
errxkBkV1KG6Ke4THEHy+i+i2n0u7j/ICv8mzNM2vpw90bd6dN1m0xzGn5Z9FZ7f
EF60uEohEopvdhVzs9gCCmPQXVrhiLG9Q5lni9UURKlkr48XJoZdUqf3XNJGy1IJ
8EPD5ajkpt5wftgCzd9qBZQWWalKzHUjIVj3opKzU5e5h7hlnmtUOEaywx6SlbBt
1vprV8I+4ssZ6wp+vKZOa75kcaXWa81dAgMBAAGjgYwwgYkwDAYDVR0TAQH/BAIw
ADAOBgNVHQ8BAf8EBAMCBaAwEwYDVR0lBAwwCgYIKwYBBQUHAwEwFAYDVR0RBA0w
C4IJbG9jYWxob3N0MB0GA1UdDgQWBBRBgXY1FpSC6UBLhkonnSQEC/ZggTAfBgNV
HSMEGDAWgBSkTO6+9AgrDvBWRkDSTYAQT96ecTANBgkqhkiG9w0BAQsFAAOCAQEA
XOUXwut8oLtC9emokV8djV2AQwk4lFeCSgSIZfKfhD8YU2AiVANMcLxj55gTfAIa
I2H9Cgr7QX4E2kTwtwDmcoTiVMnNkOYP9R9I3j6G55QCxgnrEko5J74G4QDmFM3z
8Zj2t+8yQQzI9J5VnZws7BedFbdtzoqpfs5tccmi7BWm1nPUDsNVc/TW0kM7wa3T
2Bns4uas7ME0YUor1p8JOpgd4xMXLjGzvadlz3kesEbw7e76043NmbYHoY4CyqaY
6OYqHVkRIXZuW49cPxPptbqXvuVozqYD8VHG8/EeezbOzpspcWJmYtEhWWTNimLH
ewRvsPBy2du+dSNqVxzGpA==
-----END CERTIFICATE-----
)";
constexpr char leaf_rogue[] = R"(-----BEGIN CERTIFICATE-----
MIIDbDCCAlSgAwIBAgIBAzANBgkqhkiG9w0BAQsFADA3MRUwEwYDVQQKDAxwaWNv
aHViIHRlc3QxHjAcBgNVBAMMFWNoYWluIGNhY2hlIHRlc3Qgcm9vdDAgFw0yNjEy
MDQwMzM0NTFaGA8yMTI1MDYyODAzMzQ1MVowKzEVMBMGA1UECgwMcGljb2h1YiB0
ZXN0MRIwEAYDVQQDDAlsb2NhbGhvc3QwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAw
ggEKAoIBAQDK+2ilrKPxFMGcU2WrylS1kU/JYpJsbm8JahTVUVShbFue3Nc3nyB3
lg1AhViAA26Jf56eOGOv+mQFnRKYJT6W3Ns0ZpmzT5EDys2Y6C8Tuwj43331rz3T
errxkBkV1KG6Ke4THEHy+i+i2n0u7j/ICv8mzNM2vpw90bd6dN1m0xzGn5Z9FZ7f
EF60uEohEopvdhVzs9gCCmPQXVrhiLG9Q5lni9UURKlkr48XJoZdUqf3XNJGy1IJ
8EPD5ajkpt5wftgCzd9qBZQWWalKzHUjIVj3opKzU5e5h7hlnmtUOEaywx6SlbBt
1vprV8I+4ssZ6wp+vKZOa75kcaXWa81dAgMBAAGjgYwwgYkwDAYDVR0TAQH/BAIw
ADAOBgNVHQ8BAf8EBAMCBaAwEwYDVR0lBAwwCgYIKwYBBQUHAwEwFAYDVR0RBA0w
C4IJbG9jYWxob3N0MB0GA1UdDgQWBBRBgXY1FpSC6UBLhkonnSQEC/ZggTAfBgNV
HSMEGDAWgBS/eLs8ugL37grKs+cWxm5cKJZx1zANBgkqhkiG9w0BAQsFAAOCAQEA
d64UoriUZLuA/INdEcoKDKZZReN6vghtAmCoDRNbrw8hNYC7yC5FYunb33y5BJ6t
GUAmUZH9JR79u1T87/+3jMRHeKKnmaV+P6miCMik9M/I/KF1rtwpAyTnYSv8t5Zw
ZwqFNdrRodm/Oshgnu0jyCDsthuun9XPQxpW9A2GIIQJttq0SDofsdC6P3+GQFVG
shVmcRGemKv90H/DCdM/l9sgEtMauObQnqvHPwE6awg3vqngHJf56CynfQnDOV1G
m8emupaMyrzkiQs1FjZrcGKxhaLMGSznyn7fMI85AzcQdPejcZBKNNgkoo/z9GPi
B7ycdgJHWmf4tuXDwswI4Q==
-----END CERTIFICATE-----
)";

// ---- the cache on its own -------------------------------------------------------------------------------------

ChainDigest digest_of(const char* text) {
  return chain_digest({reinterpret_cast<const std::uint8_t*>(text), std::strlen(text)});
}

TEST(TlsChainCache, RemembersOneChainPerHostForADayAndForgetsOnRequest) {
  ChainCache cache;
  const ChainDigest a = digest_of("chain a"), b = digest_of("chain b");
  EXPECT_FALSE(cache.holds("hub.example", 1000));
  cache.remember("hub.example", a, 1000);
  EXPECT_TRUE(cache.holds("hub.example", 1000));
  EXPECT_TRUE(cache.matches("hub.example", a, 1000 + ChainCache::max_age_s));
  EXPECT_FALSE(cache.matches("hub.example", b, 1000)) << "another chain";
  EXPECT_FALSE(cache.matches("other.example", a, 1000)) << "another host";
  EXPECT_FALSE(cache.matches("hub.example", a, 1001 + ChainCache::max_age_s)) << "older than a day";
  EXPECT_FALSE(cache.matches("hub.example", a, 999)) << "the clock went backwards";
  cache.forget();
  EXPECT_FALSE(cache.matches("hub.example", a, 1000));
}

TEST(TlsChainCache, DigestCoversEveryByteOfTheList) {
  EXPECT_NE(digest_of("leaf+intermediate"), digest_of("leaf+intermediatf"));
  EXPECT_EQ(digest_of("same"), digest_of("same"));
}

// ---- handshakes against an in-memory mbedTLS server ------------------------------------------------------------

struct Pipe {
  std::deque<std::uint8_t> to_server, to_client;
};

class ClientEnd final : public net::Transport {
 public:
  explicit ClientEnd(Pipe& pipe) : pipe_(pipe) {}
  Result<bool> poll_connect() override { return true; }
  Result<std::size_t> read(std::span<std::uint8_t> out) override {
    if (pipe_.to_client.empty()) return fail(Errc::would_block, "nothing yet");
    std::size_t n = 0;
    for (; n < out.size() && !pipe_.to_client.empty(); ++n) {
      out[n] = pipe_.to_client.front();
      pipe_.to_client.pop_front();
    }
    return n;
  }
  Result<std::size_t> write(std::span<const std::uint8_t> data) override {
    pipe_.to_server.insert(pipe_.to_server.end(), data.begin(), data.end());
    return data.size();
  }
  void close() override {}
  net::Wait wants() const override { return net::Wait::readable; }

 private:
  Pipe& pipe_;
};

int server_send(void* p, const unsigned char* buf, std::size_t len) {
  auto& pipe = *static_cast<Pipe*>(p);
  pipe.to_client.insert(pipe.to_client.end(), buf, buf + len);
  return static_cast<int>(len);
}

int server_recv(void* p, unsigned char* buf, std::size_t len) {
  auto& pipe = *static_cast<Pipe*>(p);
  if (pipe.to_server.empty()) return MBEDTLS_ERR_SSL_WANT_READ;
  std::size_t n = 0;
  for (; n < len && !pipe.to_server.empty(); ++n) {
    buf[n] = pipe.to_server.front();
    pipe.to_server.pop_front();
  }
  return static_cast<int>(n);
}

class CountingEntropy final : public platform::Entropy {
 public:
  Result<void> fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = static_cast<std::uint8_t>(++counter_ * 97);
    return {};
  }
  platform::EntropyHealth health() const noexcept override { return platform::EntropyHealth::ok; }

 private:
  unsigned counter_ = 0;
};

std::int64_t fake_now = 0;

bool fake_clock(std::int64_t& now) {
  now = fake_now;
  return true;
}

std::int64_t not_after(const char* pem) {
  mbedtls_x509_crt crt;
  mbedtls_x509_crt_init(&crt);
  EXPECT_EQ(mbedtls_x509_crt_parse(&crt, reinterpret_cast<const unsigned char*>(pem), std::strlen(pem) + 1), 0);
  const auto& t = crt.valid_to;
  const std::int64_t at = unix_from_utc(t.year, t.mon, t.day, t.hour, t.min, t.sec);
  mbedtls_x509_crt_free(&crt);
  return at;
}

class TlsChainCacheHandshake : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(drbg_.seed(entropy_, "chain cache test"));
    mbedtls_x509_crt_init(&anchors_);
    ASSERT_EQ(mbedtls_x509_crt_parse(&anchors_, reinterpret_cast<const unsigned char*>(root_ca), sizeof root_ca), 0);
    mbedtls_ssl_config_init(&client_conf_);
    ClientConfigParams params;
    params.random = &EntropyDrbg::random;
    params.random_state = &drbg_;
    params.trust_anchors = &anchors_;
    ASSERT_TRUE(setup_client_config(client_conf_, params));
    mbedtls_pk_init(&key_);
    ASSERT_EQ(mbedtls_pk_parse_key(&key_, reinterpret_cast<const unsigned char*>(server_key), sizeof server_key,
                                   nullptr, 0, &EntropyDrbg::random, &drbg_),
              0);
    fake_now = 1'800'000'000;
    set_unix_time_source(&fake_clock);
  }
  void TearDown() override {
    set_unix_time_source(nullptr);
    mbedtls_pk_free(&key_);
    mbedtls_ssl_config_free(&client_conf_);
    mbedtls_x509_crt_free(&anchors_);
  }

  struct Outcome {
    bool connected = false;
    bool from_cache = false;
    Error error{Errc::io_failure, ""};
    std::uint32_t verify_flags = 0;
  };

  // One full connection: a fresh Session on the shared storage against a server presenting `leaf_pem`.
  Outcome handshake(const char* leaf_pem, bool use_cache = true) {
    mbedtls_x509_crt leaf;
    mbedtls_x509_crt_init(&leaf);
    const auto* leaf_bytes = reinterpret_cast<const unsigned char*>(leaf_pem);
    EXPECT_EQ(mbedtls_x509_crt_parse(&leaf, leaf_bytes, std::strlen(leaf_pem) + 1), 0);
    mbedtls_ssl_config server_conf;
    mbedtls_ssl_config_init(&server_conf);
    EXPECT_EQ(mbedtls_ssl_config_defaults(&server_conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT),
              0);
    mbedtls_ssl_conf_max_tls_version(&server_conf, MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_rng(&server_conf, &EntropyDrbg::random, &drbg_);
    EXPECT_EQ(mbedtls_ssl_conf_own_cert(&server_conf, &leaf, &key_), 0);
    mbedtls_ssl_context server;
    mbedtls_ssl_init(&server);
    EXPECT_EQ(mbedtls_ssl_setup(&server, &server_conf), 0);
    Pipe pipe;
    mbedtls_ssl_set_bio(&server, &pipe, &server_send, &server_recv, nullptr);

    Outcome outcome;
    ClientEnd client_end(pipe);
    SessionOptions options;
    options.server_name = "localhost";
    options.use_chain_cache = use_cache;
    options.detail_hook = [](void* context, const FailureInfo& info) {
      static_cast<Outcome*>(context)->verify_flags = info.verify_flags;
    };
    options.detail_context = &outcome;
    {
      Session session(storage_, &client_conf_, client_end, options);
      for (int i = 0; i < 200; ++i) {
        auto r = session.poll_connect();
        if (!r) {
          outcome.error = r.error();
          break;
        }
        if (*r) {
          outcome.connected = true;
          outcome.from_cache = session.chain_from_cache();
          break;
        }
        (void)mbedtls_ssl_handshake(&server);  // a server that gives up (e.g. on our alert) just stops answering
      }
    }
    mbedtls_ssl_free(&server);
    mbedtls_ssl_config_free(&server_conf);
    mbedtls_x509_crt_free(&leaf);
    return outcome;
  }

  CountingEntropy entropy_;
  EntropyDrbg drbg_;
  mbedtls_x509_crt anchors_;
  mbedtls_ssl_config client_conf_;
  mbedtls_pk_context key_;
  SessionStorage storage_{};
};

TEST_F(TlsChainCacheHandshake, FirstHandshakeVerifiesInFullAndTheSameChainThenComesFromTheCache) {
  const Outcome first = handshake(leaf_a);
  ASSERT_TRUE(first.connected) << first.error.what;
  EXPECT_FALSE(first.from_cache);
  const Outcome second = handshake(leaf_a);
  ASSERT_TRUE(second.connected) << second.error.what;
  EXPECT_TRUE(second.from_cache);
}

TEST_F(TlsChainCacheHandshake, WithoutTheOptionEveryHandshakeVerifiesInFull) {
  ASSERT_TRUE(handshake(leaf_a, false).connected);
  const Outcome again = handshake(leaf_a, false);
  ASSERT_TRUE(again.connected) << again.error.what;
  EXPECT_FALSE(again.from_cache);
}

TEST_F(TlsChainCacheHandshake, AChangedChainIsVerifiedInFullAndRememberedInstead) {
  ASSERT_TRUE(handshake(leaf_a).connected);
  const Outcome changed = handshake(leaf_b);
  ASSERT_TRUE(changed.connected) << changed.error.what;
  EXPECT_FALSE(changed.from_cache);
  const Outcome again = handshake(leaf_b);
  ASSERT_TRUE(again.connected) << again.error.what;
  EXPECT_TRUE(again.from_cache) << "leaf B replaced leaf A in the cache";
}

TEST_F(TlsChainCacheHandshake, AChangedChainThatDoesNotVerifyIsRefusedAndEmptiesTheCache) {
  ASSERT_TRUE(handshake(leaf_a).connected);
  const Outcome rogue = handshake(leaf_rogue);
  ASSERT_FALSE(rogue.connected);
  EXPECT_EQ(rogue.error.code, Errc::certificate_invalid);
  EXPECT_NE(rogue.verify_flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED, 0u);
  const Outcome after = handshake(leaf_a);
  ASSERT_TRUE(after.connected) << after.error.what;
  EXPECT_FALSE(after.from_cache) << "a refusal forgets the remembered chain";
}

TEST_F(TlsChainCacheHandshake, TheRogueChainIsRefusedWithAnEmptyCacheToo) {
  const Outcome rogue = handshake(leaf_rogue);
  ASSERT_FALSE(rogue.connected);
  EXPECT_EQ(rogue.error.code, Errc::certificate_invalid);
}

TEST_F(TlsChainCacheHandshake, TheCachedChainStillHasItsDatesChecked) {
  fake_now = not_after(leaf_a) - 3600;  // verified in full an hour before the leaf expires
  ASSERT_TRUE(handshake(leaf_a).connected);
  fake_now = not_after(leaf_a) + 3600;  // within the cache's day, but the leaf has expired
  const Outcome expired = handshake(leaf_a);
  ASSERT_FALSE(expired.connected);
  EXPECT_EQ(expired.error.code, Errc::certificate_invalid);
  EXPECT_NE(expired.verify_flags & MBEDTLS_X509_BADCERT_EXPIRED, 0u);
}

TEST_F(TlsChainCacheHandshake, ADayLaterTheChainIsVerifiedInFullAgain) {
  ASSERT_TRUE(handshake(leaf_a).connected);
  fake_now += ChainCache::max_age_s + 1;
  const Outcome later = handshake(leaf_a);
  ASSERT_TRUE(later.connected) << later.error.what;
  EXPECT_FALSE(later.from_cache);
}

TEST(TlsUnixTime, UnixFromUtcInvertsUtcFromUnix) {
  for (std::int64_t t : {std::int64_t{0}, std::int64_t{951'782'400}, std::int64_t{1'700'000'123},
                         std::int64_t{4'107'542'400}, std::int64_t{-86'401}}) {
    const UtcTime u = utc_from_unix(t);
    EXPECT_EQ(unix_from_utc(u.year, u.month, u.day, u.hour, u.minute, u.second), t);
  }
}

}  // namespace
}  // namespace picohub::tls
