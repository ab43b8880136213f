#include "hub/auth.hpp"

#include "hub_test_util.hpp"

using namespace picohub::hub;
using namespace hubtest;

namespace {

class Auth : public ::testing::Test {
 protected:
  void SetUp() override {
    store = memory_store();
    add_device(*store, "dev1");
  }
  AuthResult auth(const std::string& client, const std::string& username, const std::string& password,
                  std::int64_t now = kNow) {
    return authenticate(config, *store, client, username, password, now);
  }
  HubConfig config = test_config();
  std::unique_ptr<Store> store;
  const std::string user = kHost + "/dev1/?api-version=2021-04-12";
};

// Reference vector F, verbatim.
const std::string kTokenF =
    "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=2ylB6nEi79Klft8tf1Kvo0b6LMQ48k36e6OQLeqX2ZI%"
    "3D&se=1700003600";

TEST_F(Auth, AcceptsReferenceVectorF) {
  auto r = auth("dev1", user, kTokenF);
  EXPECT_TRUE(r.accepted) << r.reason;
  EXPECT_EQ(r.principal, Principal::device);
  EXPECT_EQ(r.device_id, "dev1");
  EXPECT_EQ(r.expiry_s, 1700003600);
}

TEST_F(Auth, AcceptsReferenceVectorIWhoseSignatureHasPlusAndSlash) {
  auto r = auth(
      "dev1", user,
      "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=qEFkOU%2FxTe0F3MtSPnPpHB7MQUdncIAS2"
      "SimkU45R%2BY%3D&se=1700000001");
  EXPECT_TRUE(r.accepted) << r.reason;
}

TEST_F(Auth, AcceptsReferenceVectorLWithRawSrAndLowercaseEscape) {
  auto r = auth(
      "dev1", user,
      "SharedAccessSignature sr=myhub.azure-devices.net/devices/dev1&sig=cnvqlLgYQW8pU0ddNOPFrnNvMLAFsepflyGRS9"
      "OajF0%3d&se=1700003600");
  EXPECT_TRUE(r.accepted) << r.reason;
}

TEST_F(Auth, AcceptsLowercaseHexInSrBecauseTheRawSrIsSigned) {
  // The signature covers sr exactly as written: sign the lowercase form ourselves.
  std::string sr = "myhub.azure-devices.net%2fdevices%2fdev1";
  char sig[64];
  auto s = picohub::iothub::sas_signature(sr + "\n1700003600", kKey, sig);
  ASSERT_TRUE(s);
  std::string encoded_sig;
  for (char c : *s) encoded_sig += c == '+' ? "%2B" : c == '/' ? "%2F" : c == '=' ? "%3D" : std::string(1, c);
  auto r = auth("dev1", user, "SharedAccessSignature sig=" + encoded_sig + "&se=1700003600&sr=" + sr);
  EXPECT_TRUE(r.accepted) << r.reason;
}

TEST_F(Auth, HostPartIsCaseInsensitive) {
  auto t = token("MyHub.Azure-Devices.NET/devices/dev1", kKey, 1700003600);
  auto r = auth("dev1", "MYHUB.azure-devices.net/dev1/?api-version=2021-04-12", t);
  EXPECT_TRUE(r.accepted) << r.reason;
}

TEST_F(Auth, UsernameWithoutApiVersionAndAnyQueryOrderIsAccepted) {
  EXPECT_TRUE(auth("dev1", kHost + "/dev1", kTokenF).accepted);
  EXPECT_TRUE(auth("dev1", kHost + "/dev1/", kTokenF).accepted);
  EXPECT_TRUE(
      auth("dev1", kHost + "/dev1/?DeviceClientType=x%2F1&model-id=dtmi:a;1&api-version=2020-09-30", kTokenF).accepted);
}

TEST_F(Auth, ClockSkewOfFiveMinutesIsAllowedAndNoMore) {
  EXPECT_TRUE(auth("dev1", user, kTokenF, 1700003600 + 300).accepted);
  auto r = auth("dev1", user, kTokenF, 1700003600 + 301);
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.reason.find("expired"), std::string::npos) << r.reason;
}

TEST_F(Auth, WrongKeyIsRefused) {
  auto r = auth("dev1", user,
                token(kHost + "/devices/dev1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1700003600));
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.reason, "signature does not match either key");
}

TEST_F(Auth, SecondaryKeyIsAccepted) {
  EXPECT_TRUE(auth("dev1", user, token(kHost + "/devices/dev1", kOtherKey, 1700003600)).accepted);
}

TEST_F(Auth, DisabledDeviceIsRefused) {
  ASSERT_TRUE(*store->set_device_status("dev1", "disabled"));
  auto r = auth("dev1", user, kTokenF);
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.reason.find("disabled"), std::string::npos);
}

TEST_F(Auth, UnknownDeviceIsRefused) {
  auto r = auth("ghost", kHost + "/ghost/?api-version=2021-04-12", token(kHost + "/devices/ghost", kKey, 1700003600));
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.reason.find("not registered"), std::string::npos);
}

TEST_F(Auth, ClientIdMustEqualTheDeviceId) { EXPECT_FALSE(auth("dev2", user, kTokenF).accepted); }

TEST_F(Auth, TokenForAnotherDeviceIsRefusedEvenWithTheRightKey) {
  add_device(*store, "dev2");
  auto r = auth("dev2", kHost + "/dev2/?api-version=2021-04-12", kTokenF);
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.reason.find("does not name"), std::string::npos);
}

TEST_F(Auth, OtherHostNameIsRefused) {
  auto t = token("other.azure-devices.net/devices/dev1", kKey, 1700003600);
  EXPECT_FALSE(auth("dev1", "other.azure-devices.net/dev1/?api-version=2021-04-12", t).accepted);
  EXPECT_FALSE(auth("dev1", user, t).accepted);
}

TEST_F(Auth, MalformedPasswordsAreRefused) {
  EXPECT_FALSE(auth("dev1", user, "").accepted);
  EXPECT_FALSE(auth("dev1", user, "password").accepted);
  EXPECT_FALSE(auth("dev1", user, "SharedAccessSignature sr=a&se=1").accepted);
  EXPECT_FALSE(auth("dev1", user, "SharedAccessSignature sr=%zz&sig=abc&se=1700003600").accepted);
  EXPECT_FALSE(auth("dev1", user, "SharedAccessSignature sr=a&sig=b&se=notanumber").accepted);
}

TEST_F(Auth, ModuleIdentityUsesTheModuleResource) {
  // Reference vector G (signed with the key we give the module here).
  ASSERT_TRUE(store->insert_module({"dev1", "mod1", kKey, kOtherKey, 0}));
  auto r = auth(
      "dev1/mod1", kHost + "/dev1/mod1/?api-version=2021-04-12",
      "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1%2Fmodules%2Fmod1&sig=UArd2DDNhzusWxVBi"
      "EprQWSop1RiNTA1NnmVsG0AmXw%3D&se=1700003600");
  EXPECT_TRUE(r.accepted) << r.reason;
  EXPECT_EQ(r.module_id, "mod1");
  // A device token does not open a module connection.
  EXPECT_FALSE(auth("dev1/mod1", kHost + "/dev1/mod1/?api-version=2021-04-12", kTokenF).accepted);
}

TEST_F(Auth, UnregisteredModuleIsRefusedEvenWithTheDeviceKey) {
  const std::string module_user = kHost + "/dev1/mod9/?api-version=2021-04-12";
  auto r = auth("dev1/mod9", module_user, token(kHost + "/devices/dev1/modules/mod9", kKey, 1700003600));
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.reason.find("picohub module create dev1 mod9"), std::string::npos) << r.reason;
}

TEST_F(Auth, ModuleSignsWithItsOwnKeysNotTheDevices) {
  ASSERT_TRUE(store->insert_module({"dev1", "mod2", kOtherKey, kOtherKey, 0}));
  const std::string module_user = kHost + "/dev1/mod2/?api-version=2021-04-12";
  const std::string resource = kHost + "/devices/dev1/modules/mod2";
  EXPECT_FALSE(auth("dev1/mod2", module_user, token(resource, kKey, 1700003600)).accepted);  // the device's key
  EXPECT_TRUE(auth("dev1/mod2", module_user, token(resource, kOtherKey, 1700003600)).accepted);
}

TEST_F(Auth, PolicyKeyMayActForADevice) {
  // Vector H's shape: device resource, skn names a hub policy with DeviceConnect.
  auto r = auth("dev1", user, token(kHost + "/devices/dev1", kKey, 1700003600, "iothubowner"));
  EXPECT_TRUE(r.accepted) << r.reason;
  EXPECT_FALSE(auth("dev1", user, token(kHost + "/devices/dev1", kKey, 1700003600, "nosuchpolicy")).accepted);
}

TEST_F(Auth, ServicePrincipalAuthenticatesWithThePolicyKey) {
  auto t = token(kHost, kKey, 1700003600, "iothubowner");
  auto r = auth("picohub-service-42-abc", "iothubowner", t);
  EXPECT_TRUE(r.accepted) << r.reason;
  EXPECT_EQ(r.principal, Principal::service);
  EXPECT_TRUE(
      auth("picohub-service-42-abc", "iothubowner", token(kHost, kOtherKey, 1700003600, "iothubowner")).accepted);
  EXPECT_FALSE(auth("picohub-service-42-abc", "iothubowner", token(kHost, kKey, 1700003600)).accepted);  // no skn
  EXPECT_FALSE(auth("picohub-service-42-abc", "iothubowner", token(kHost, kKey, kNow - 301, "iothubowner")).accepted);
  EXPECT_FALSE(auth("picohub-service-42-abc", "iothubowner",
                    token(kHost, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 1700003600, "iothubowner"))
                   .accepted);
}

TEST_F(Auth, ServicePrincipalNeverPassesAsADevice) {
  auto t = token(kHost, kKey, 1700003600, "iothubowner");
  EXPECT_FALSE(auth("dev1", "iothubowner", t).accepted);  // client id shaped like a device
  EXPECT_FALSE(auth("dev1", user, t).accepted);           // service token on a device username
}

TEST_F(Auth, ExpiryPastYear9999IsRefusedInsteadOfWrappingAround) {
  add_device(*store, "dev9");
  const std::string user9 = kHost + "/dev9/?api-version=2021-04-12";
  const std::string resource = kHost + "/devices/dev9";
  EXPECT_TRUE(auth("dev9", user9, token(resource, kKey, 253402300799)).accepted);  // 9999-12-31T23:59:59Z
  for (std::uint64_t se : {253402300800ull, 9223372036854775807ull, 9223372036854775808ull, 18446744073709551615ull}) {
    auto r = auth("dev9", user9, token(resource, kKey, se));
    EXPECT_FALSE(r.accepted) << se;
    EXPECT_NE(r.reason.find("past 9999-12-31"), std::string::npos) << r.reason;
  }
}

TEST_F(Auth, DeviceIdWithTheServicePrefixIsRefused) {
  add_device(*store, "picohub-service-42-abc");  // e.g. created by an older hub
  auto r = auth("picohub-service-42-abc", kHost + "/picohub-service-42-abc/?api-version=2021-04-12",
                token(kHost + "/devices/picohub-service-42-abc", kKey, 1700003600));
  EXPECT_FALSE(r.accepted);
  EXPECT_NE(r.reason.find("reserved prefix"), std::string::npos) << r.reason;
}

TEST(DeviceId, ServicePrefixIsReservedIgnoringCase) {
  EXPECT_TRUE(is_reserved_client_id("picohub-service-1"));
  EXPECT_TRUE(is_reserved_client_id("PicoHub-Service-"));
  EXPECT_FALSE(is_reserved_client_id("picohub-servic"));
  EXPECT_FALSE(is_reserved_client_id("my-picohub-service-1"));
}

TEST(DeviceId, CharacterSetAndLength) {
  EXPECT_TRUE(is_valid_device_id("dev-1.a%_*?!(),:=@$'"));
  EXPECT_TRUE(is_valid_device_id(std::string(128, 'a')));
  EXPECT_FALSE(is_valid_device_id(std::string(129, 'a')));
  EXPECT_FALSE(is_valid_device_id(""));
  EXPECT_FALSE(is_valid_device_id("a/b"));
  EXPECT_FALSE(is_valid_device_id("a+b"));
  EXPECT_FALSE(is_valid_device_id("a#b"));
  EXPECT_FALSE(is_valid_device_id("a b"));
}

}  // namespace
