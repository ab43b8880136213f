// TlsContext's X.509 client certificate (x509=true devices): what it refuses before any connection is made —
// a missing file, something that is not a certificate, a key that does not parse, a key that is not the
// certificate's — and that a matching P-256 pair (made by the hub's certificate maker) is taken.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "hub/x509_maker.hpp"
#include "net/tls_context.hpp"

namespace picohub::net {
namespace {

hub::KeyAndCertificate make(const std::string& cn) {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string error;
  auto made = hub::make_certificate({cn, now - 60, now + 86400, false}, nullptr, error);
  EXPECT_TRUE(made) << error;
  return made.value_or(hub::KeyAndCertificate{});
}

struct ClientCertificate : ::testing::Test {
  void SetUp() override { ASSERT_TRUE(tls.init()); }
  TlsContext tls;
};

TEST_F(ClientCertificate, AMatchingP256PairIsTaken) {
  auto kc = make("dev1");
  auto r = tls.set_client_certificate_pem(kc.certificate_pem, kc.key_pem);
  EXPECT_TRUE(r) << r.error().what << " " << tls.last_error_detail();
  EXPECT_NE(tls.config(), nullptr);
}

TEST_F(ClientCertificate, AKeyThatIsNotTheCertificatesIsRefused) {
  auto a = make("dev1"), b = make("dev1");
  auto r = tls.set_client_certificate_pem(a.certificate_pem, b.key_pem);
  ASSERT_FALSE(r);
  EXPECT_STREQ(r.error().what, "the private key does not belong to the client certificate");
}

TEST_F(ClientCertificate, NotACertificateOrNotAKeyIsRefusedWithWhatItIs) {
  auto kc = make("dev1");
  auto swapped = tls.set_client_certificate_pem(kc.key_pem, kc.certificate_pem);
  ASSERT_FALSE(swapped);
  EXPECT_STREQ(swapped.error().what, "the client certificate is not a PEM certificate");
  TlsContext other;
  ASSERT_TRUE(other.init());
  auto bad_key = other.set_client_certificate_pem(kc.certificate_pem, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n");
  ASSERT_FALSE(bad_key);
  EXPECT_STREQ(bad_key.error().what, "the private key does not parse (PEM, unencrypted, expected)");
}

TEST_F(ClientCertificate, MissingFilesAreNamed) {
  auto kc = make("dev1");
  const std::string cert = ::testing::TempDir() + "picohub-client-cert-test.crt";
  std::ofstream(cert) << kc.certificate_pem;
  auto r = tls.set_client_certificate_files(cert, "/nonexistent/dev1.key");
  ASSERT_FALSE(r);
  EXPECT_STREQ(r.error().what, "cannot read the private key file");
  EXPECT_NE(tls.last_error_detail().find("/nonexistent/dev1.key"), std::string::npos);
  std::remove(cert.c_str());
}

}  // namespace
}  // namespace picohub::net
