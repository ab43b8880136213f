#include "hub/twin.hpp"

#include <gtest/gtest.h>

using nlohmann::json;
using picohub::hub::twin_section_size;

TEST(TwinSectionSize, CountsAsIotHubDocumentsIt) {
  EXPECT_EQ(twin_section_size(json::object()), 0u);
  EXPECT_EQ(twin_section_size(json{{"ab", "xyz"}}), 5u);                        // key + UTF-8 value
  EXPECT_EQ(twin_section_size(json{{"n", 1.5}, {"b", true}}), 1u + 8 + 1 + 4);  // number 8, boolean 4
  EXPECT_EQ(twin_section_size(json{{"o", {{"k", "v"}}}}), 1u + 2);              // nested: the members' sizes
  EXPECT_EQ(twin_section_size(json{{"t", "a\tb\xc2\x85"}}), 1u + 2);            // C0 and C1 controls not counted
  EXPECT_EQ(twin_section_size(json{{"e", "\xe2\x82\xac"}}), 1u + 1);            // characters, not bytes
  EXPECT_EQ(twin_section_size(json{{"$metadata", {{"x", "y"}}}, {"$version", 3}, {"k", nullptr}}), 1u);
}
