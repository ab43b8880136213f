// Service SAS tokens against shared access policies: each check that can fail, and the hub.json side (default
// policies with their rights, the rights field, old data dirs with only iothubowner).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hub/auth.hpp"
#include "hub/config.hpp"
#include "hub/store.hpp"
#include "iothub/sas_token.hpp"
#include "service/service_auth.hpp"

namespace {

using picohub::Errc;
using namespace picohub::service;

constexpr std::uint64_t kNow = 1700000000;
const std::string kOwnerKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const std::string kOwnerKey2 = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
const std::string kReadKey = "cmVhZHJlYWRyZWFkcmVhZHJlYWRyZWFkcmVhZHJlYWQ=";

std::vector<SharedAccessPolicy> policies() {
  return {{"iothubowner", kOwnerKey, kOwnerKey2, kRegistryRead | kRegistryWrite | kServiceConnect | kDeviceConnect},
          {"registryRead", kReadKey, "", kRegistryRead}};
}

std::string token(const std::string& sr, const std::string& key, std::uint64_t se, const std::string& skn) {
  char buf[512];
  auto t = picohub::iothub::make_sas_token({sr, key, se, skn}, buf);
  EXPECT_TRUE(t);
  return std::string(*t);
}

TEST(ServiceAuth, AcceptsOwnerTokenWithEitherKey) {
  const auto p = policies();
  for (const auto& key : {kOwnerKey, kOwnerKey2}) {
    auto r = authorize_service_token(token("myhub.local", key, kNow + 60, "iothubowner"), "myhub.local", p,
                                     kRegistryWrite, kNow);
    ASSERT_TRUE(r) << r.error().what;
    EXPECT_EQ((*r)->name, "iothubowner");
  }
}

TEST(ServiceAuth, AudienceMayBeAPathUnderTheHostAnyCase) {
  const auto p = policies();
  EXPECT_TRUE(authorize_service_token(token("MyHub.Local/devices/d1", kOwnerKey, kNow + 60, "iothubowner"),
                                      "myhub.local", p, kServiceConnect, kNow));
  auto other = authorize_service_token(token("myhub.localx", kOwnerKey, kNow + 60, "iothubowner"), "myhub.local", p,
                                       kServiceConnect, kNow);
  ASSERT_FALSE(other);
  EXPECT_NE(std::string(other.error().what).find("sr"), std::string::npos);
}

TEST(ServiceAuth, FieldsInAnyOrder) {
  const auto t = token("myhub.local", kOwnerKey, kNow + 60, "iothubowner");
  // Move skn to the front: "SharedAccessSignature skn=..&sr=..&sig=..&se=.."
  const auto body = t.substr(std::string("SharedAccessSignature ").size());
  const auto skn_at = body.find("&skn=");
  const auto reordered = "SharedAccessSignature " + body.substr(skn_at + 1) + "&" + body.substr(0, skn_at);
  EXPECT_TRUE(authorize_service_token(reordered, "myhub.local", policies(), kRegistryRead, kNow));
}

TEST(ServiceAuth, ExpiredTokenRefused) {
  auto r = authorize_service_token(token("myhub.local", kOwnerKey, kNow, "iothubowner"), "myhub.local", policies(),
                                   kRegistryRead, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::auth_refused);
  EXPECT_NE(std::string(r.error().what).find("expired"), std::string::npos);
}

TEST(ServiceAuth, WrongKeyRefusedWithoutLeakingTheSignature) {
  auto r = authorize_service_token(token("myhub.local", kReadKey, kNow + 60, "iothubowner"), "myhub.local", policies(),
                                   kRegistryRead, kNow);
  ASSERT_FALSE(r);
  EXPECT_NE(std::string(r.error().what).find("signature"), std::string::npos);
}

TEST(ServiceAuth, UnknownPolicyAndMissingSknRefused) {
  auto unknown = authorize_service_token(token("myhub.local", kOwnerKey, kNow + 60, "nobody"), "myhub.local",
                                         policies(), kRegistryRead, kNow);
  ASSERT_FALSE(unknown);
  EXPECT_NE(std::string(unknown.error().what).find("skn"), std::string::npos);
  auto no_skn = authorize_service_token(token("myhub.local", kOwnerKey, kNow + 60, ""), "myhub.local", policies(),
                                        kRegistryRead, kNow);
  ASSERT_FALSE(no_skn);
  EXPECT_NE(std::string(no_skn.error().what).find("skn"), std::string::npos);
}

TEST(ServiceAuth, PolicyWithoutTheRightRefusedAfterTheSignature) {
  const auto p = policies();
  const auto t = token("myhub.local", kReadKey, kNow + 60, "registryRead");
  EXPECT_TRUE(authorize_service_token(t, "myhub.local", p, kRegistryRead, kNow));
  auto write = authorize_service_token(t, "myhub.local", p, kRegistryRead | kRegistryWrite, kNow);
  ASSERT_FALSE(write);
  EXPECT_NE(std::string(write.error().what).find("right"), std::string::npos);
}

TEST(ServiceAuth, MalformedTokenIsMalformed) {
  auto r = authorize_service_token("Bearer abc", "myhub.local", policies(), kRegistryRead, kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::malformed);
}

TEST(ServiceRights, NamesRoundTrip) {
  EXPECT_EQ(rights_text(kRegistryRead | kServiceConnect), "RegistryRead, ServiceConnect");
  EXPECT_EQ(right_from_name("registrywrite"), kRegistryWrite);
  EXPECT_EQ(right_from_name("Everything"), 0u);
}

TEST(HubConfigPolicies, DefaultsAddedOnlyWhereMissing) {
  std::map<std::string, picohub::hub::PolicyKeys> p;
  p["iothubowner"] = {kOwnerKey, kOwnerKey2, 15};
  int n = 0;
  EXPECT_TRUE(picohub::hub::add_default_policies(p, [&] { return "a2V5" + std::to_string(n++); }));
  EXPECT_EQ(p.size(), 5u);
  EXPECT_EQ(p["iothubowner"].primary_key, kOwnerKey);
  EXPECT_EQ(p["service"].rights, unsigned{kServiceConnect});
  EXPECT_EQ(p["device"].rights, unsigned{kDeviceConnect});
  EXPECT_EQ(p["registryRead"].rights, unsigned{kRegistryRead});
  EXPECT_EQ(p["registryReadWrite"].rights, unsigned{kRegistryRead | kRegistryWrite});
  EXPECT_NE(p["service"].primary_key, p["service"].secondary_key);
  EXPECT_FALSE(picohub::hub::add_default_policies(p, [] { return std::string("eA=="); }));
}

TEST(HubConfigPolicies, RightsRoundTripThroughHubJson) {
  picohub::hub::HubConfig c;
  c.policies["custom"] = {kReadKey, "", kRegistryRead | kServiceConnect};
  c.policies["iothubowner"] = {kOwnerKey, kOwnerKey2, 15};
  std::string error;
  auto back = picohub::hub::parse_hub_config(picohub::hub::hub_config_json(c), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->policies["custom"].rights, unsigned{kRegistryRead | kServiceConnect});
  EXPECT_EQ(back->policies["iothubowner"].rights, 15u);
  const auto sap = picohub::hub::shared_access_policies(*back);
  ASSERT_EQ(sap.size(), 2u);
}

TEST(HubConfigPolicies, OldHubJsonWithoutRightsGetsTheDefaultsByName) {
  std::string error;
  auto c = picohub::hub::parse_hub_config(R"({"policies":{"iothubowner":{"primaryKey":")" + kOwnerKey +
                                              R"("},"mine":{"primaryKey":")" + kReadKey + R"("}}})",
                                          error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->policies["iothubowner"].rights, 15u);
  EXPECT_EQ(c->policies["mine"].rights, 0u);
  EXPECT_FALSE(picohub::hub::parse_hub_config(
      R"({"policies":{"x":{"primaryKey":")" + kOwnerKey + R"(","rights":"Everything"}}})", error));
  EXPECT_NE(error.find("rights"), std::string::npos);
}

TEST(HubConfigPorts, AmqpPortDefaultsTo5671IsKeptAndChecked) {
  std::string error;
  auto defaults = picohub::hub::parse_hub_config("{}", error);
  ASSERT_TRUE(defaults) << error;
  EXPECT_EQ(defaults->amqp_port, 5671);
  EXPECT_EQ(defaults->service_port, 443);
  defaults->amqp_port = 0;  // off
  auto back = picohub::hub::parse_hub_config(picohub::hub::hub_config_json(*defaults), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->amqp_port, 0);
  for (const char* bad : {R"({"amqpPort":70000})", R"({"amqpPort":-1})", R"({"amqpPort":"5671"})"}) {
    EXPECT_FALSE(picohub::hub::parse_hub_config(bad, error)) << bad;
    EXPECT_NE(error.find("amqpPort"), std::string::npos) << error;
  }
}

// The text form every host-side signer uses is the board's signer (reference vector F of iothub-mqtt.md §2.3).
TEST(ServiceSasText, MatchesTheReferenceVectorAndRefusesBadKeys) {
  const std::string key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  EXPECT_EQ(picohub::service::make_sas_token_text("myhub.azure-devices.net/devices/dev1", key, 1700003600).value(),
            "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
            "&sig=2ylB6nEi79Klft8tf1Kvo0b6LMQ48k36e6OQLeqX2ZI%3D&se=1700003600");
  EXPECT_NE(picohub::service::make_sas_token_text("h", key, 1, "service")->find("&skn=service"), std::string::npos);
  EXPECT_FALSE(picohub::service::make_sas_token_text("h/devices/d", "not base64!", 1));
}

// The MQTT control principal drives every control op, so only a policy with all three service rights may be it.
TEST(HubControlPrincipal, NeedsRegistryReadWriteAndServiceConnect) {
  picohub::hub::HubConfig c;
  c.host_name = "myhub.local";
  c.policies["iothubowner"] = {kOwnerKey, "", 15};
  c.policies["service"] = {kReadKey, "", kServiceConnect};
  std::string error;
  auto store = picohub::hub::Store::open(":memory:", error);
  ASSERT_TRUE(store) << error;
  auto owner = picohub::hub::authenticate(c, *store, "picohub-service-1", "iothubowner",
                                          token("myhub.local", kOwnerKey, kNow + 600, "iothubowner"),
                                          static_cast<std::int64_t>(kNow));
  EXPECT_TRUE(owner.accepted) << owner.reason;
  auto service = picohub::hub::authenticate(c, *store, "picohub-service-1", "service",
                                            token("myhub.local", kReadKey, kNow + 600, "service"),
                                            static_cast<std::int64_t>(kNow));
  EXPECT_FALSE(service.accepted);
  EXPECT_NE(service.reason.find("RegistryRead"), std::string::npos) << service.reason;
}

}  // namespace
