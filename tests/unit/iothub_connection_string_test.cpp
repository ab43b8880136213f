// Connection strings (reference §2.2).
#include <gtest/gtest.h>

#include "iothub/connection_string.hpp"

using namespace picohub;
using namespace picohub::iothub;

namespace {
constexpr std::string_view key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
}

TEST(IothubConnectionString, ParsesDeviceKeyWithBase64Padding) {
  auto cs = parse_connection_string(
      "HostName=contoso.azure-devices.net;DeviceId=MyDevice01;SharedAccessKey="
      "c2VjcmV0LWtleS0wMTIzNDU2Nzg5YWJjZGVmZ2hpams=");
  ASSERT_TRUE(cs) << cs.error().what;
  EXPECT_EQ(cs->host_name, "contoso.azure-devices.net");
  EXPECT_EQ(cs->device_id, "MyDevice01");
  EXPECT_EQ(cs->shared_access_key, "c2VjcmV0LWtleS0wMTIzNDU2Nzg5YWJjZGVmZ2hpams=");
  EXPECT_TRUE(cs->module_id.empty());
  EXPECT_FALSE(cs->x509);
  EXPECT_EQ(cs->endpoint_host(), "contoso.azure-devices.net");
}

TEST(IothubConnectionString, ParsesModuleGatewayPolicyAndIgnoresUnknownKeys) {
  std::string text =
      "HostName=h.azure-devices.net;DeviceId=d;ModuleId=m;SharedAccessKeyName=device;"
      "GatewayHostName=edge.local;UseProvisioning=true;SharedAccessKey=" +
      std::string(key) + ";";
  auto cs = parse_connection_string(text);
  ASSERT_TRUE(cs) << cs.error().what;
  EXPECT_EQ(cs->module_id, "m");
  EXPECT_EQ(cs->shared_access_key_name, "device");
  EXPECT_EQ(cs->gateway_host_name, "edge.local");
  EXPECT_EQ(cs->endpoint_host(), "edge.local");
  EXPECT_EQ(cs->host_name, "h.azure-devices.net");
}

TEST(IothubConnectionString, AcceptsSignatureValueWithSpacesAmpersandsAndEquals) {
  auto cs = parse_connection_string(
      "HostName=myhub.azure-devices.net;DeviceId=dev1;SharedAccessSignature=SharedAccessSignature "
      "sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=2ylB6nEi79Klft8tf1Kvo0b6LMQ48k36e6OQLeqX2ZI%3D&se=1700003600");
  ASSERT_TRUE(cs) << cs.error().what;
  EXPECT_EQ(cs->shared_access_signature,
            "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
            "&sig=2ylB6nEi79Klft8tf1Kvo0b6LMQ48k36e6OQLeqX2ZI%3D&se=1700003600");
  EXPECT_TRUE(cs->shared_access_key.empty());
}

TEST(IothubConnectionString, AcceptsX509True) {
  auto cs = parse_connection_string("HostName=h;DeviceId=d;x509=true");
  ASSERT_TRUE(cs);
  EXPECT_TRUE(cs->x509);
  std::string_view at;
  auto bad = parse_connection_string("HostName=h;DeviceId=d;x509=yes", &at);
  ASSERT_FALSE(bad);
  EXPECT_EQ(at, "x509");
}

struct BadCase {
  std::string text;
  std::string_view what;
  std::string_view offending;
};

TEST(IothubConnectionString, ReportsEachErrorWithTheOffendingKey) {
  const std::string k(key);
  const BadCase cases[] = {
      {"", "connection string is empty", ""},
      {"DeviceId=d;SharedAccessKey=" + k, "connection string has no HostName", "HostName"},
      {"HostName=h;SharedAccessKey=" + k, "connection string has no DeviceId", "DeviceId"},
      {"HostName=;DeviceId=d;SharedAccessKey=" + k, "connection string has no HostName", "HostName"},
      {"HostName=h;DeviceId=d", "connection string has no SharedAccessKey, SharedAccessSignature or x509=true",
       "SharedAccessKey"},
      {"HostName=h;DeviceId=d;SharedAccessKey=" + k + ";SharedAccessSignature=SharedAccessSignature sr=a&sig=b&se=1",
       "give SharedAccessKey or SharedAccessSignature, not both", "SharedAccessSignature"},
      {"HostName=h;DeviceId=d;oops;SharedAccessKey=" + k, "connection string element is not Key=value", "oops"},
      {"HostName=h;DeviceId=d;=v;SharedAccessKey=" + k, "connection string element is not Key=value", "=v"},
      {"HostName=h;DeviceId=d;SharedAccessKey=not-base64!",
       "SharedAccessKey is not valid base64 (copy the primary key)", "SharedAccessKey"},
      {"HostName=h;DeviceId=d;SharedAccessKey=abc", "SharedAccessKey is not valid base64 (copy the primary key)",
       "SharedAccessKey"},
      {"HostName=h;DeviceId=d;SharedAccessSignature=sr=a&sig=b&se=1",
       "SharedAccessSignature is not \"SharedAccessSignature sr=...&sig=...&se=...\"", "SharedAccessSignature"},
      {"HostName=h;DeviceId=d;x509=true;SharedAccessKey=" + k, "x509=true cannot be combined with a key or signature",
       "x509"},
      {"HostName=h/x;DeviceId=d;SharedAccessKey=" + k, "HostName is not a host name (like myhub.azure-devices.net)",
       "HostName"},
      {"HostName=h;DeviceId=a/b;SharedAccessKey=" + k, "DeviceId must not contain '/'", "DeviceId"},
  };
  for (const auto& c : cases) {
    std::string_view at = "unset";
    auto cs = parse_connection_string(c.text, &at);
    ASSERT_FALSE(cs) << c.text;
    EXPECT_EQ(std::string_view(cs.error().what), c.what) << c.text;
    EXPECT_EQ(at, c.offending) << c.text;
  }
}

TEST(IothubConnectionString, SplitsOnFirstEqualsTrimsAndLastDuplicateWins) {
  const std::string text = " HostName = a ; HostName=b;DeviceId=d=1;SharedAccessKey=" + std::string(key);
  auto cs = parse_connection_string(text);
  ASSERT_TRUE(cs);
  EXPECT_EQ(cs->host_name, "b");
  EXPECT_EQ(cs->device_id, "d=1");
}
