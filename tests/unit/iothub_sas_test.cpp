// SAS tokens against every vector in iothub-mqtt.md §2.3.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "iothub/base64.hpp"
#include "iothub/sas_token.hpp"

using namespace picohub;
using namespace picohub::iothub;

namespace {

constexpr std::string_view key_k = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr std::string_view host = "myhub.azure-devices.net";

std::string sig(std::string_view to_sign, std::string_view key) {
  std::array<char, 64> out{};
  auto r = sas_signature(to_sign, key, out);
  EXPECT_TRUE(r) << (r ? "" : r.error().what);
  return r ? std::string(*r) : std::string();
}

std::string token(std::string_view resource, std::string_view key, std::uint64_t se, std::string_view skn = {}) {
  std::array<char, 512> out{};
  auto r = make_sas_token(SasTokenRequest{resource, key, se, skn}, out);
  EXPECT_TRUE(r) << (r ? "" : r.error().what);
  return r ? std::string(*r) : std::string();
}

std::string device_token(std::string_view device, std::string_view module, std::string_view key, std::uint64_t se,
                         std::string_view skn = {}, std::string_view hub = host) {
  std::array<char, 256> res{};
  auto r = device_resource(hub, device, module, res);
  EXPECT_TRUE(r);
  return token(*r, key, se, skn);
}

}  // namespace

TEST(IothubSas, VectorA_NodeAuthorizationSignature) {
  EXPECT_EQ(sig("string-to-sign", "cGFzc3dvcmQ="), "o1n1hiIVgzVA2+krq9ty1Z4xsIJKJZP3dYT8MOi65Y4=");
}

TEST(IothubSas, VectorB_SignatureAndPolicyNameEncoding) {
  EXPECT_EQ(sig("uri\n12345", "cGFzc3dvcmQ="), "kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk=");
  // Our field order is sr, sig, se, skn; the values match Node's token byte for byte.
  EXPECT_EQ(token("uri", "cGFzc3dvcmQ=", 12345, "encode('Me')"),
            "SharedAccessSignature sr=uri&sig=kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk%3D&se=12345"
            "&skn=encode%28%27Me%27%29");
  // Node's own ordering (sig, skn, se) parses and verifies.
  auto f = parse_sas_token(
      "SharedAccessSignature "
      "sr=uri&sig=kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk%3D&skn=encode%28%27Me%27%29&se=12345");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->skn, "encode%28%27Me%27%29");
  EXPECT_EQ(f->se, 12345u);
  EXPECT_TRUE(verify_sas_token(*f, "cGFzc3dvcmQ="));
}

TEST(IothubSas, VectorC_LenientKeyDecodingLikeNode) {
  EXPECT_EQ(device_token("device", "", "key", 12345, {}, "host"),
            "SharedAccessSignature sr=host%2Fdevices%2Fdevice&sig=wM3XiP6gD960IxP7J5WHqnxQHEcWC6YaQCtoMT%2BkKHc%3D"
            "&se=12345");
}

TEST(IothubSas, VectorD_FakeKey) {
  EXPECT_EQ(device_token("fakeDeviceId", "", "fakeKey", 10, {}, "fake.host.name"),
            "SharedAccessSignature sr=fake.host.name%2Fdevices%2FfakeDeviceId"
            "&sig=bYz5R2IFTaejB6pgYOxns2mw6lcuA4VSy8kJbYQp0Sc%3D&se=10");
}

TEST(IothubSas, VectorE_DpsDerivedDeviceKey) {
  std::array<char, 64> out{};
  auto r = derive_device_key("8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==",
                             "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6", out);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=");
}

TEST(IothubSas, VectorF_DeviceToken) {
  EXPECT_EQ(sig("myhub.azure-devices.net%2Fdevices%2Fdev1\n1700003600", key_k),
            "2ylB6nEi79Klft8tf1Kvo0b6LMQ48k36e6OQLeqX2ZI=");
  EXPECT_EQ(device_token("dev1", "", key_k, 1700003600),
            "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
            "&sig=2ylB6nEi79Klft8tf1Kvo0b6LMQ48k36e6OQLeqX2ZI%3D&se=1700003600");
}

TEST(IothubSas, VectorG_ModuleToken) {
  EXPECT_EQ(device_token("dev1", "mod1", key_k, 1700003600),
            "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1%2Fmodules%2Fmod1"
            "&sig=UArd2DDNhzusWxVBiEprQWSop1RiNTA1NnmVsG0AmXw%3D&se=1700003600");
}

TEST(IothubSas, VectorH_PolicyKeyAddsSkn) {
  EXPECT_EQ(device_token("dev1", "", key_k, 1700003600, "device"),
            "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
            "&sig=2ylB6nEi79Klft8tf1Kvo0b6LMQ48k36e6OQLeqX2ZI%3D&se=1700003600&skn=device");
  auto f = parse_sas_token(
      "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
      "&sig=2ylB6nEi79Klft8tf1Kvo0b6LMQ48k36e6OQLeqX2ZI%3D&skn=device&se=1700003600");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->has_skn);
  EXPECT_EQ(f->skn, "device");
  EXPECT_TRUE(verify_sas_token(*f, key_k));
}

TEST(IothubSas, VectorI_SignatureWithPlusAndSlashIsEncoded) {
  EXPECT_EQ(device_token("dev1", "", key_k, 1700000001),
            "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
            "&sig=qEFkOU%2FxTe0F3MtSPnPpHB7MQUdncIAS2SimkU45R%2BY%3D&se=1700000001");
}

TEST(IothubSas, VectorJ_DocsStyleDevice) {
  EXPECT_EQ(device_token("MyDevice01", "", "c2VjcmV0LWtleS0wMTIzNDU2Nzg5YWJjZGVmZ2hpams=", 1735689600, {},
                         "contoso.azure-devices.net"),
            "SharedAccessSignature sr=contoso.azure-devices.net%2Fdevices%2FMyDevice01"
            "&sig=RAuustdqyw2UFwKHcyc6WkynXpXj%2FTGmnkeDKukodMY%3D&se=1735689600");
}

TEST(IothubSas, VectorK_ShortKey) {
  EXPECT_EQ(device_token("dev1", "", "cGFzc3dvcmQ=", 1700003600),
            "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
            "&sig=6Zag%2BikStffyKWaKhqhSMqQTkC65l5CcQaVXpfYL%2FtA%3D&se=1700003600");
}

TEST(IothubSas, VectorL_RawResourceAndLowercaseHexVerify) {
  EXPECT_EQ(sig("myhub.azure-devices.net/devices/dev1\n1700003600", key_k),
            "cnvqlLgYQW8pU0ddNOPFrnNvMLAFsepflyGRS9OajF0=");
  auto f = parse_sas_token(
      "SharedAccessSignature sr=myhub.azure-devices.net/devices/dev1"
      "&sig=cnvqlLgYQW8pU0ddNOPFrnNvMLAFsepflyGRS9OajF0%3d&se=1700003600");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->sr, "myhub.azure-devices.net/devices/dev1");
  EXPECT_TRUE(verify_sas_token(*f, key_k));
}

TEST(IothubSas, VectorM_DpsTokenWithRegistrationSkn) {
  std::array<char, 64> derived{};
  auto key = derive_device_key(
      "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==",
      "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6", derived);
  ASSERT_TRUE(key);
  std::array<char, 128> res{};
  auto r = dps_resource("0ne00000A0A", "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6", res);
  ASSERT_TRUE(r);
  EXPECT_EQ(token(*r, *key, 1700003600, "registration"),
            "SharedAccessSignature sr=0ne00000A0A%2Fregistrations%2Fsn-007-888-abc-mac-a1-b2-c3-d4-e5-f6"
            "&sig=35aVMjhXtHUzngBBu5zXGrJS1O7N%2BjmPqMVacNY45rw%3D&se=1700003600&skn=registration");
  // M' (lowercase %2f) and M'' (raw sr, Node order) verify with the same key: the hub signs what was sent.
  EXPECT_EQ(sig("0ne00000A0A%2fregistrations%2fsn-007-888-abc-mac-a1-b2-c3-d4-e5-f6\n1700003600", *key),
            "o+sBQ8uxnmjspY0sRKA8PwLV0fFkt9sqmAb6sdbm2f0=");
  auto f = parse_sas_token(
      "SharedAccessSignature sr=0ne00000A0A/registrations/sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6"
      "&sig=zC%2FjsSbyMCw4dE4%2ByBjyLqzf%2Bhoi0dJox%2BqEXMcB4nk%3D&skn=registration&se=1700003600");
  ASSERT_TRUE(f);
  EXPECT_TRUE(verify_sas_token(*f, *key));
}

TEST(IothubSas, VerifyRejectsWrongKeyTamperedExpiryAndRawPlus) {
  auto f = parse_sas_token(
      "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
      "&sig=qEFkOU%2FxTe0F3MtSPnPpHB7MQUdncIAS2SimkU45R%2BY%3D&se=1700000001");
  ASSERT_TRUE(f);
  EXPECT_TRUE(verify_sas_token(*f, key_k));
  auto wrong = verify_sas_token(*f, "cGFzc3dvcmQ=");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::auth_refused);
  auto tampered = *f;
  tampered.se_raw = "1700000002";
  EXPECT_FALSE(verify_sas_token(tampered, key_k));
  // A literal '+' in sig decodes to a space at the hub, so such a token is refused there and here.
  auto raw_plus = parse_sas_token(
      "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
      "&sig=qEFkOU/xTe0F3MtSPnPpHB7MQUdncIAS2SimkU45R+Y=&se=1700000001");
  ASSERT_TRUE(raw_plus);
  EXPECT_FALSE(verify_sas_token(*raw_plus, key_k));
  // Unencoded '/' and '=' are harmless.
  auto raw_ok = parse_sas_token(
      "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
      "&sig=qEFkOU/xTe0F3MtSPnPpHB7MQUdncIAS2SimkU45R%2BY=&se=1700000001");
  ASSERT_TRUE(raw_ok);
  EXPECT_TRUE(verify_sas_token(*raw_ok, key_k));
}

TEST(IothubSas, ParseAcceptsAnyOrderAndCaseInsensitiveNames) {
  auto f = parse_sas_token("SharedAccessSignature  SE=10&Sig=abc&SR=host%2Fdevices%2Fd&foo=bar");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->sr, "host%2Fdevices%2Fd");
  EXPECT_EQ(f->sig, "abc");
  EXPECT_EQ(f->se, 10u);
  EXPECT_FALSE(f->has_skn);
}

TEST(IothubSas, ParseRejectsMalformedTokens) {
  for (std::string_view bad : {
           "",
           "SharedAccessSignature",
           "sr=a&sig=b&se=1",
           "sharedaccesssignature sr=a&sig=b&se=1",
           "SharedAccessSignature sr=a&sig=b&se=1 extra",
           "SharedAccessSignature sig=b&se=1",
           "SharedAccessSignature sr=a&se=1",
           "SharedAccessSignature sr=a&sig=b",
           "SharedAccessSignature sr=a&sig=b&se=",
           "SharedAccessSignature sr=a&sig=b&se=12x",
           "SharedAccessSignature sr=a&sig=b&se=99999999999999999999999",
           "SharedAccessSignature sr=a&sig=b&se=18446744073709551616",
           "SharedAccessSignature sr=a&sig=b&se=1&sr=c",
           "SharedAccessSignature sr=a&sig&se=1",
       }) {
    auto f = parse_sas_token(bad);
    EXPECT_FALSE(f) << bad;
    if (!f) {
      EXPECT_EQ(f.error().code, Errc::malformed) << bad;
    }
  }
}

TEST(IothubSas, MakeTokenReportsSmallBufferAndBadKey) {
  std::array<char, 40> small{};
  auto r = make_sas_token(SasTokenRequest{"myhub.azure-devices.net/devices/dev1", key_k, 1, {}}, small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::too_large);
  std::array<char, 256> out{};
  auto bad = make_sas_token(SasTokenRequest{"h/devices/d", "not base64!", 1, {}}, out);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  auto empty = make_sas_token(SasTokenRequest{"h/devices/d", "", 1, {}}, out);
  EXPECT_FALSE(empty);
}

TEST(IothubSas, RenewalAtEightyPercentAndAtLeastSixtySecondsEarly) {
  SasRenewal hour{1700000000, 3600};
  EXPECT_EQ(hour.expiry_unix(), 1700003600u);
  EXPECT_EQ(hour.renew_at_unix(), 1700002880u);
  EXPECT_FALSE(hour.due(1700002879));
  EXPECT_TRUE(hour.due(1700002880));
  SasRenewal short_ttl{1000, 100};  // 80 s would leave only 20 s: renew at 40 s
  EXPECT_EQ(short_ttl.renew_at_unix(), 1040u);
  SasRenewal tiny{1000, 30};  // `picohub board uf2 --sas-ttl 30s` (renewal tests): no room for 60 s, so 80 %
  EXPECT_EQ(tiny.renew_at_unix(), 1024u);
  SasRenewal minute{1000, 60};
  EXPECT_EQ(minute.renew_at_unix(), 1048u);
  EXPECT_TRUE(sas_expired(1000, 1301));
  EXPECT_FALSE(sas_expired(1000, 1300));
  EXPECT_FALSE(sas_expired(18446744073709551615ull, 1700000000));  // no wrap-around into "expired"
  EXPECT_FALSE(sas_expired(0, 100));                               // before the skew has passed nothing can be expired
}

TEST(IothubBase64, StrictAndLenientDecoding) {
  std::array<std::uint8_t, 16> out{};
  auto strict = base64_decode("cGFzc3dvcmQ=", out);
  ASSERT_TRUE(strict);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.data()), *strict), "password");
  EXPECT_FALSE(base64_decode("key", out));
  EXPECT_FALSE(base64_decode("a===", out));
  EXPECT_FALSE(base64_decode("ab=c", out));
  EXPECT_FALSE(base64_decode("ab!c", out));
  auto lenient = base64_decode("key", out, Base64Mode::lenient);
  ASSERT_TRUE(lenient);
  ASSERT_EQ(*lenient, 2u);
  EXPECT_EQ(out[0], 0x91);
  EXPECT_EQ(out[1], 0xec);
  auto fake = base64_decode("fakeKey", out, Base64Mode::lenient);
  ASSERT_TRUE(fake);
  EXPECT_EQ(*fake, 5u);
  std::array<std::uint8_t, 2> tiny{};
  auto too_big = base64_decode("cGFzc3dvcmQ=", tiny);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, Errc::too_large);
  std::array<char, 16> text{};
  const std::uint8_t bytes[] = {'p', 'a', 's', 's', 'w', 'o', 'r', 'd'};
  auto enc = base64_encode(bytes, text);
  ASSERT_TRUE(enc);
  EXPECT_EQ(*enc, "cGFzc3dvcmQ=");
}
