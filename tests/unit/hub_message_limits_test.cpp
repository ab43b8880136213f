#include "hub/message_limits.hpp"

#include <gtest/gtest.h>

using picohub::hub::d2c_counted_size;

TEST(D2cCountedSize, BodyPlusSystemValuesPlusApplicationNamesAndValues) {
  EXPECT_EQ(d2c_counted_size("", 100), 100u);
  EXPECT_EQ(d2c_counted_size("%24.mid=abc", 0), 3u);                       // system property: value only
  EXPECT_EQ(d2c_counted_size("color=red", 0), 8u);                         // application: name + value
  EXPECT_EQ(d2c_counted_size("a%20b=%E2%82%AC&flag", 1), 1u + 3 + 3 + 4);  // decoded bytes; a bare name counts
  EXPECT_EQ(d2c_counted_size("bad=%ZZ", 0), 3u + 3);  // a malformed value counts as its encoded text
}

TEST(MessageIds, CharacterSetAndLength) {
  using picohub::hub::is_valid_message_id;
  EXPECT_TRUE(is_valid_message_id("m-1:a.b+c%_#*?!(),=@;$'"));
  EXPECT_TRUE(is_valid_message_id(std::string(128, 'x')));
  EXPECT_FALSE(is_valid_message_id(std::string(129, 'x')));
  EXPECT_FALSE(is_valid_message_id(""));
  EXPECT_FALSE(is_valid_message_id("a b"));
  EXPECT_FALSE(is_valid_message_id("a/b"));
}

TEST(C2dPropertyText, IotHubsTokenCharacters) {
  using picohub::hub::is_valid_c2d_property_text;
  EXPECT_TRUE(is_valid_c2d_property_text("Color_1!#$%&'*+-.^`|~"));
  EXPECT_FALSE(is_valid_c2d_property_text("two words"));
  EXPECT_FALSE(is_valid_c2d_property_text("a=b"));
  EXPECT_FALSE(is_valid_c2d_property_text("caf\xc3\xa9"));
}
