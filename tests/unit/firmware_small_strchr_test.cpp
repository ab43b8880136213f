#include <gtest/gtest.h>

#include <cstring>

// NOLINTNEXTLINE(bugprone-reserved-identifier): the firmware's --wrap=strchr replacement, tested on the host
extern "C" char* __wrap_strchr(const char* s, int c);

namespace {

// The same answer as the C library: the same pointer, or null.
void expect_like_libc(const char* s, int c) {
  EXPECT_EQ(__wrap_strchr(s, c), std::strchr(s, c)) << "\"" << s << "\", " << c;
}

TEST(SmallStrchr, AgreesWithTheCLibrary) {
  expect_like_libc("", 'a');
  expect_like_libc("", '\0');  // the terminator itself is found
  expect_like_libc("abc", '\0');
  expect_like_libc("abc", 'a');
  expect_like_libc("abc", 'c');
  expect_like_libc("abcabc", 'b');  // the first occurrence
  expect_like_libc("abc", 'x');
  const char high[] = {'a', '\xff', 'b', '\0'};  // an int argument is converted to char, like the C library
  expect_like_libc(high, 0xff);
  expect_like_libc(high, -1);
}

TEST(SmallStrchr, TellsAnIpv6LiteralFromAHostName) {
  const char* v6 = "fe80::1";
  EXPECT_EQ(__wrap_strchr(v6, ':'), v6 + 4);
  EXPECT_EQ(__wrap_strchr("myhub.azure-devices.net", ':'), nullptr);
}

}  // namespace
