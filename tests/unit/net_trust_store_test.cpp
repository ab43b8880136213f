#include <gtest/gtest.h>
#include <mbedtls/x509_crt.h>

#include <algorithm>
#include <string>

#include "net/tls_context.hpp"
#include "net/trust_store.hpp"

namespace picohub::net {
namespace {

TEST(NetTrustStore, BuiltInStoreHoldsExactlyTheTwoIotHubRoots) {
  ASSERT_EQ(builtin_roots().size(), 2u);
  EXPECT_STREQ(builtin_roots()[0].name, "DigiCert_Global_Root_G2");
  EXPECT_STREQ(builtin_roots()[1].name, "Microsoft_RSA_Root_Certificate_Authority_2017");
}

// The DER the board parses is the PEM the host parses, byte for byte (decoded by mbedTLS's own PEM reader here).
TEST(NetTrustStore, DerRootsAreThePemRootsDecoded) {
  ASSERT_EQ(builtin_roots_der().size(), builtin_roots().size());
  for (std::size_t i = 0; i < builtin_roots().size(); ++i) {
    EXPECT_STREQ(builtin_roots_der()[i].name, builtin_roots()[i].name);
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    const std::string pem = builtin_roots()[i].pem;
    ASSERT_EQ(mbedtls_x509_crt_parse(&crt, reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1), 0);
    const auto der = builtin_roots_der()[i].der;
    EXPECT_TRUE(std::equal(der.begin(), der.end(), crt.raw.p, crt.raw.p + crt.raw.len)) << builtin_roots()[i].name;
    EXPECT_EQ(der.size(), crt.raw.len);
    mbedtls_x509_crt_free(&crt);
  }
}

TEST(NetTrustStore, BuiltInRootsParseAndHaveTheExpectedSubjects) {
  TlsContext ctx;
  ASSERT_TRUE(ctx.init()) << ctx.last_error_detail();
  const auto subjects = ctx.trusted_subjects();
  ASSERT_EQ(subjects.size(), 2u);
  EXPECT_EQ(subjects[0], "C=US, O=DigiCert Inc, OU=www.digicert.com, CN=DigiCert Global Root G2");
  EXPECT_EQ(subjects[1], "C=US, O=Microsoft Corporation, CN=Microsoft RSA Root Certificate Authority 2017");
}

TEST(NetTrustStore, WithoutBuiltInRootsTheStoreIsEmpty) {
  TlsContext ctx;
  TlsOptions options;
  options.use_builtin_roots = false;
  ASSERT_TRUE(ctx.init(options));
  EXPECT_TRUE(ctx.trusted_subjects().empty());
}

TEST(NetTrustStore, AddCaPemAppendsAPrivateRoot) {
  TlsContext ctx;
  ASSERT_TRUE(ctx.init());
  // The DigiCert root doubles as "some other PEM": adding it again must parse and grow the chain.
  ASSERT_TRUE(ctx.add_ca_pem(builtin_roots()[0].pem)) << ctx.last_error_detail();
  EXPECT_EQ(ctx.trusted_subjects().size(), 3u);
}

TEST(NetTrustStore, AddCaPemRejectsTextThatIsNotPem) {
  TlsContext ctx;
  ASSERT_TRUE(ctx.init());
  auto r = ctx.add_ca_pem("this is not a certificate");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::malformed);
  EXPECT_EQ(ctx.trusted_subjects().size(), 2u);
}

TEST(NetTrustStore, AddCaPemRejectsACorruptedCertificate) {
  TlsContext ctx;
  ASSERT_TRUE(ctx.init());
  std::string pem = builtin_roots()[0].pem;
  const auto body = pem.find('\n') + 40;
  pem.replace(body, 8, "!!!!!!!!");  // not base64
  auto r = ctx.add_ca_pem(pem);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::malformed);
  EXPECT_FALSE(ctx.last_error_detail().empty());
}

TEST(NetTrustStore, AddCaPemRejectsATruncatedCertificate) {
  TlsContext ctx;
  ASSERT_TRUE(ctx.init());
  std::string pem = builtin_roots()[1].pem;
  pem.resize(pem.size() / 2);
  EXPECT_FALSE(ctx.add_ca_pem(pem));
}

TEST(NetTrustStore, AddCaFileReportsAMissingFileWithItsPath) {
  TlsContext ctx;
  ASSERT_TRUE(ctx.init());
  auto r = ctx.add_ca_file("/nonexistent/picohub-ca.pem");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_NE(std::string(r.error().what).find("--ca"), std::string::npos);
  EXPECT_NE(ctx.last_error_detail().find("/nonexistent/picohub-ca.pem"), std::string::npos);
}

TEST(NetTrustStore, InitTwiceIsRefused) {
  TlsContext ctx;
  ASSERT_TRUE(ctx.init());
  EXPECT_FALSE(ctx.init());
}

}  // namespace
}  // namespace picohub::net
