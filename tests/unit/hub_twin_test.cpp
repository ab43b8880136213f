#include "hub/twin.hpp"

#include "hub_test_util.hpp"

using namespace picohub::hub;
using nlohmann::json;

namespace {

TwinRecord fresh() {
  TwinRecord t;
  t.device_id = "dev1";
  return t;
}

json patch(const std::string& text) {
  std::string error;
  auto p = parse_twin_patch(text, error);
  EXPECT_TRUE(p) << error;
  return p.value_or(json::object());
}

std::string patch_error(const std::string& text) {
  std::string error;
  auto p = parse_twin_patch(text, error);
  EXPECT_FALSE(p) << text;
  return error;
}

TEST(Twin, NewTwinHasBothVersionsOne) {
  EXPECT_EQ(twin_device_view(fresh()), json::parse(R"({"desired":{"$version":1},"reported":{"$version":1}})"));
}

TEST(Twin, ReportedPatchMergesNestedAndNullDeletesAndBumpsVersion) {
  auto t = fresh();
  ASSERT_FALSE(apply_twin_patch(t, TwinSection::reported, patch(R"({"a":1,"n":{"x":1,"y":2},"gone":true})"), 1000));
  ASSERT_FALSE(
      apply_twin_patch(t, TwinSection::reported, patch(R"({"n":{"y":null,"z":3},"gone":null,"b":"s"})"), 2000));
  auto view = twin_device_view(t);
  EXPECT_EQ(view["reported"], json::parse(R"({"a":1,"n":{"x":1,"z":3},"b":"s","$version":3})"));
  EXPECT_EQ(view["desired"], json::parse(R"({"$version":1})"));
}

TEST(Twin, ServiceViewCarriesMetadataAndLastUpdated) {
  auto t = fresh();
  ASSERT_FALSE(apply_twin_patch(t, TwinSection::desired, patch(R"({"rate":5,"o":{"k":"v"}})"), 1764032523456));
  auto view = twin_service_view(t);
  EXPECT_EQ(view["deviceId"], "dev1");
  auto& desired = view["properties"]["desired"];
  EXPECT_EQ(desired["rate"], 5);
  EXPECT_EQ(desired["$version"], 2);
  EXPECT_EQ(desired["$metadata"]["$lastUpdated"], "2025-11-25T01:02:03.456Z");
  EXPECT_EQ(desired["$metadata"]["rate"]["$lastUpdated"], "2025-11-25T01:02:03.456Z");
  EXPECT_EQ(desired["$metadata"]["o"]["k"]["$lastUpdated"], "2025-11-25T01:02:03.456Z");
  EXPECT_TRUE(view["etag"].is_string());
  // The device never sees $metadata.
  EXPECT_FALSE(twin_device_view(t)["desired"].contains("$metadata"));
}

TEST(Twin, MalformedAndNonObjectPatchesAreRefused) {
  EXPECT_EQ(patch_error("{\"a\":"), "the twin patch is not valid JSON");
  EXPECT_EQ(patch_error("[1,2]"), "the twin patch must be a JSON object");
  EXPECT_EQ(patch_error("42"), "the twin patch must be a JSON object");
  EXPECT_EQ(patch_error(""), "the twin patch is not valid JSON");
}

TEST(Twin, KeysWithDotDollarSpaceOrControlCharactersAreRefused) {
  patch_error(R"({"a.b":1})");
  patch_error(R"({"$x":1})");
  patch_error(R"({"a b":1})");
  patch_error("{\"a\\u0001\":1}");
  patch_error(R"({"ok":{"bad.key":1}})");
  patch_error("{\"" + std::string(1025, 'k') + "\":1}");
  patch(R"({"$version":4,"fine_key-1":1})");  // an echoed $version is ignored
}

TEST(Twin, DepthTenIsAcceptedElevenIsRefused) {
  auto nested = [](int levels) {
    std::string s = "1";
    for (int i = 0; i < levels; ++i) s.insert(0, "{\"k" + std::to_string(i) + "\":").append("}");
    return s;  // `levels` objects around a value; the outermost is the patch itself
  };
  patch(nested(11));  // patch + 10 nested objects
  EXPECT_EQ(patch_error(nested(12)), "twin is nested deeper than 10 levels");
}

TEST(Twin, ValueAndIntegerLimits) {
  patch("{\"s\":\"" + std::string(4096, 'x') + "\"}");
  EXPECT_EQ(patch_error("{\"s\":\"" + std::string(4097, 'x') + "\"}"), "a twin string value is longer than 4 KB");
  patch(R"({"i":4503599627370495,"j":-4503599627370496})");
  patch_error(R"({"i":4503599627370496})");
  patch_error(R"({"i":-4503599627370497})");
  patch_error(R"({"i":18446744073709551615})");
}

TEST(Twin, SectionOver32KbIsRefusedAndTwinUnchanged) {
  auto t = fresh();
  std::string big(4000, 'x');
  for (int i = 0; i < 8; ++i) {
    ASSERT_FALSE(
        apply_twin_patch(t, TwinSection::reported, patch("{\"p" + std::to_string(i) + "\":\"" + big + "\"}"), 1));
  }
  auto before = t.reported_json;
  auto error = apply_twin_patch(t, TwinSection::reported, patch("{\"p9\":\"" + big + "\"}"), 1);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("32 KB"), std::string::npos);
  EXPECT_EQ(t.reported_json, before);
  EXPECT_EQ(t.reported_version, 9);
}

}  // namespace
