#include <gtest/gtest.h>

#include <cstring>
#include <string>

// NOLINTNEXTLINE(bugprone-reserved-identifier): the firmware's --wrap=strstr replacement, tested on the host
extern "C" char* __wrap_strstr(const char* haystack, const char* needle);

namespace {

// The same answer as the C library: the same pointer, or null.
void expect_like_libc(const char* haystack, const char* needle) {
  EXPECT_EQ(__wrap_strstr(haystack, needle), std::strstr(haystack, needle))
      << "haystack \"" << haystack << "\", needle \"" << needle << "\"";
}

TEST(SmallStrstr, AgreesWithTheCLibraryOnEdgeCases) {
  expect_like_libc("", "");
  expect_like_libc("abc", "");
  expect_like_libc("", "a");
  expect_like_libc("abc", "abc");
  expect_like_libc("abc", "abcd");
  expect_like_libc("abc", "c");
  expect_like_libc("abc", "bc");
  expect_like_libc("abc", "x");
  expect_like_libc("aaab", "aab");  // a partial match must restart one character on
  expect_like_libc("abababc", "ababc");
  expect_like_libc("abcabc", "abc");  // the first occurrence
}

TEST(SmallStrstr, FindsThePemMarkersTheWayMbedtlsUsesThem) {
  const std::string pem =
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
      "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";
  const char* begin = __wrap_strstr(pem.c_str(), "-----BEGIN CERTIFICATE-----");
  ASSERT_EQ(begin, pem.c_str());
  const char* end = __wrap_strstr(begin, "-----END CERTIFICATE-----");
  ASSERT_NE(end, nullptr);
  EXPECT_EQ(end - pem.c_str(), 33);
  const char* second = __wrap_strstr(end, "-----BEGIN CERTIFICATE-----");
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second - pem.c_str(), 59);
  EXPECT_EQ(__wrap_strstr(second, "-----BEGIN PRIVATE KEY-----"), nullptr);
  expect_like_libc(pem.c_str(), "-----END CERTIFICATE-----\n-----BEGIN");
}

}  // namespace
