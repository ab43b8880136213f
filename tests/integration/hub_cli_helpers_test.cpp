// The helpers behind the CLI's service verbs: SAS tokens for the service principal and devices, base64/URL
// encoding (the hub's codec and service_auth, which the CLI uses), --since parsing, and the data-dir rules.
// No broker needed.
#include "data_dir.hpp"
#include "hub/codec.hpp"
#include "service/service_auth.hpp"
#include "service_time.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace picohub::cli {
namespace {

using hub::base64_decode;
using hub::base64_encode;
using hub::url_encode;

std::optional<std::string> make_sas(std::string_view resource, std::string_view key, std::uint64_t expiry,
                                    std::string_view policy = {}) {
  return service::make_sas_token_text(resource, key, expiry, policy);
}

constexpr const char* k_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";  // bytes 00..1f (reference §2.3)

TEST(HubCliSas, DeviceTokenMatchesReferenceVectorF) {
  EXPECT_EQ(make_sas("myhub.azure-devices.net/devices/dev1", k_key, 1700003600).value(),
            "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1"
            "&sig=2ylB6nEi79Klft8tf1Kvo0b6LMQ48k36e6OQLeqX2ZI%3D&se=1700003600");
}

TEST(HubCliSas, PolicyTokenCarriesSkn) {
  const auto token = make_sas("myhub.azure-devices.net/devices/dev1", k_key, 1700003600, "device").value();
  EXPECT_NE(token.find("sig=2ylB6nEi79Klft8tf1Kvo0b6LMQ48k36e6OQLeqX2ZI%3D"), std::string::npos);
  EXPECT_NE(token.find("skn=device"), std::string::npos);
}

TEST(HubCliSas, InvalidKeyIsRejected) {
  EXPECT_FALSE(make_sas("h/devices/d", "not base64!", 1700003600).has_value());
  EXPECT_FALSE(make_sas("h/devices/d", "", 1700003600).has_value());
}

TEST(HubCliEncoding, Base64RoundTripsEveryLength) {
  const std::string bytes = base64_decode(hub::random_key_base64(67)).value();
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    const std::string part = bytes.substr(0, n);
    const auto encoded = base64_encode(part);
    EXPECT_EQ(encoded.size() % 4, 0U);
    EXPECT_EQ(base64_decode(encoded).value(), part) << n;
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
}

TEST(HubCliEncoding, MalformedBase64IsRejected) {
  EXPECT_FALSE(base64_decode("abc").has_value());
  EXPECT_FALSE(base64_decode("ab=c").has_value());
  EXPECT_FALSE(base64_decode("ab$c").has_value());
}

TEST(HubCliEncoding, UrlEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(url_encode("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(url_encode("h/devices/d 1+=!'()*"), "h%2Fdevices%2Fd%201%2B%3D%21%27%28%29%2A");
}

TEST(HubCliSince, AcceptsIsoRelativeAndUnixTimes) {
  const long long now = 1764032523000;
  EXPECT_EQ(parse_since_ms("2025-11-25T01:02:03Z", now).value(), 1764032523000);
  EXPECT_EQ(parse_since_ms("2025-11-25T01:02:03.456Z", now).value(), 1764032523456);
  EXPECT_EQ(parse_since_ms("2025-11-25", now).value(), 1764028800000);
  EXPECT_EQ(parse_since_ms("90s", now).value(), now - 90000);
  EXPECT_EQ(parse_since_ms("10m", now).value(), now - 600000);
  EXPECT_EQ(parse_since_ms("2h", now).value(), now - 7200000);
  EXPECT_EQ(parse_since_ms("1d", now).value(), now - 86400000);
  EXPECT_EQ(parse_since_ms("1764032523", now).value(), 1764032523000);
}

TEST(HubCliSince, RejectsGarbage) {
  const long long now = 1764032523000;
  for (const char* bad :
       {"", "yesterday", "10x", "m", "-5m", "2025-13-45T99:99:99Z", "2025-11-25T01:02:03+02:00", "2025-11-25 junk"}) {
    EXPECT_FALSE(parse_since_ms(bad, now).has_value()) << bad;
  }
}

TEST(HubCliDataDir, FlagThenEnvironmentThenHome) {
  ::setenv("PICOHUB_DATA", "/tmp/from-env", 1);
  EXPECT_EQ(resolve_data_dir("/tmp/from-flag"), std::filesystem::path("/tmp/from-flag"));
  EXPECT_EQ(resolve_data_dir(""), std::filesystem::path("/tmp/from-env"));
  ::unsetenv("PICOHUB_DATA");
  ::setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(resolve_data_dir(""), std::filesystem::path("/home/someone/.local/share/picohub"));
}

TEST(HubCliDataDir, HubJsonRoundTripsAndBadFilesExplainThemselves) {
  const auto dir = std::filesystem::temp_directory_path() / ("picohub-cli-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string why;
  EXPECT_FALSE(load_hub_config(dir, why).has_value());
  EXPECT_NE(why.find("picohub hub start --data"), std::string::npos);

  HubConfig config;
  config.port = 18883;
  config.insecure_port = 11883;
  owner_policy(config).primary_key = k_key;
  owner_policy(config).secondary_key = k_key;
  ASSERT_TRUE(
      save_hub_config(dir, config, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, why));
  EXPECT_EQ(std::filesystem::status(dir / "hub.json").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const auto loaded = load_hub_config(dir, why);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->port, 18883);
  EXPECT_EQ(loaded->insecure_port.value(), 11883);
  EXPECT_EQ(owner_policy(*loaded).primary_key, k_key);

  std::ofstream(dir / "hub.json", std::ios::trunc) << "{\"hostName\":\"localhost\"}";
  EXPECT_FALSE(load_hub_config(dir, why).has_value());
  EXPECT_NE(why.find("iothubowner"), std::string::npos);
  std::ofstream(dir / "hub.json", std::ios::trunc) << "{not json";
  EXPECT_FALSE(load_hub_config(dir, why).has_value());
  EXPECT_NE(why.find("not valid JSON"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(HubCliDataDir, NoPidFileMeansNotRunning) { EXPECT_EQ(running_pid("/nonexistent/picohub"), 0); }

}  // namespace
}  // namespace picohub::cli
