// HmacSha256 (the heap-free HMAC behind SAS signing): RFC 4231's test vectors, a block-sized key and an empty
// message, incremental updates, and agreement with mbedTLS's own (allocating) HMAC on every key length around
// the block size.
#include <gtest/gtest.h>
#include <mbedtls/md.h>

#include <string>
#include <vector>

#include "iothub/hmac_sha256.hpp"

namespace picohub::iothub {
namespace {

std::string hex(const HmacSha256::Mac& mac) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : mac) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string hmac_hex(const std::vector<std::uint8_t>& key, std::string_view message) {
  HmacSha256 h(key);
  h.update(message);
  HmacSha256::Mac mac{};
  EXPECT_TRUE(h.finish(mac));
  return hex(mac);
}

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(IotHubHmac, Rfc4231Case1ShortKey) {
  EXPECT_EQ(hmac_hex(std::vector<std::uint8_t>(20, 0x0b), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(IotHubHmac, Rfc4231Case2TextKey) {
  EXPECT_EQ(hmac_hex(bytes("Jefe"), "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(IotHubHmac, Rfc4231Case6KeyLongerThanABlockIsHashedFirst) {
  EXPECT_EQ(hmac_hex(std::vector<std::uint8_t>(131, 0xaa), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(IotHubHmac, ExactlyBlockSizedKeyAndEmptyMessage) {
  EXPECT_EQ(hmac_hex(std::vector<std::uint8_t>(64, 0xaa), ""),
            "db2cf93f633fcdfd9bb7f3b99763a63725cb8e38b4fa60a87d0e94b71d8b5970");
}

TEST(IotHubHmac, PiecewiseUpdatesEqualOneUpdate) {
  const auto key = bytes("Jefe");
  HmacSha256 h(key);
  h.update("what do ");
  h.update("");
  h.update("ya want for nothing?");
  HmacSha256::Mac mac{};
  ASSERT_TRUE(h.finish(mac));
  EXPECT_EQ(hex(mac), hmac_hex(key, "what do ya want for nothing?"));
}

TEST(IotHubHmac, FinishingTwiceIsRefused) {
  HmacSha256 h(bytes("k"));
  HmacSha256::Mac mac{};
  ASSERT_TRUE(h.finish(mac));
  EXPECT_EQ(h.finish(mac).error().code, Errc::invalid_argument);
}

TEST(IotHubHmac, AgreesWithMbedtlsForEveryKeyLengthAroundTheBlockSize) {
  const mbedtls_md_info_t* sha256 = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  ASSERT_NE(sha256, nullptr);
  const std::string message = "picohub.azure-devices.net%2Fdevices%2Fdevice-1\n1700000000";
  for (std::size_t len = 0; len <= 200; ++len) {
    std::vector<std::uint8_t> key(len);
    for (std::size_t i = 0; i < len; ++i) key[i] = static_cast<std::uint8_t>(i * 7 + len);
    HmacSha256::Mac expected{};
    ASSERT_EQ(mbedtls_md_hmac(sha256, key.data(), key.size(), reinterpret_cast<const unsigned char*>(message.data()),
                              message.size(), expected.data()),
              0);
    EXPECT_EQ(hmac_hex(key, message), hex(expected)) << "key length " << len;
  }
}

}  // namespace
}  // namespace picohub::iothub
