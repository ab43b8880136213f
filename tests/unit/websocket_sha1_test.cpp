// websocket::Sha1 against the FIPS 180 examples and a one-million-byte message, fed in uneven pieces so block
// boundaries and the padding of every length are exercised.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "websocket/sha1.hpp"

namespace picohub::websocket {
namespace {

std::string hex(const std::array<std::uint8_t, 20>& digest) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t b : digest) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string sha1_of(std::string_view text, std::size_t piece) {
  Sha1 sha;
  for (std::size_t at = 0; at < text.size(); at += piece)
    sha.update({reinterpret_cast<const std::uint8_t*>(text.data()) + at, std::min(piece, text.size() - at)});
  return hex(sha.finish());
}

TEST(WebsocketSha1, FipsExamplesInAnyPieces) {
  for (std::size_t piece : {1u, 3u, 63u, 64u, 65u, 1000u}) {
    EXPECT_EQ(sha1_of("", piece), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(sha1_of("abc", piece), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(sha1_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", piece),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        << piece;
  }
  const std::string million(1'000'000, 'a');
  EXPECT_EQ(sha1_of(million, 4099), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(WebsocketSha1, EveryPaddingLengthAroundABlockMatchesTheOneShotDigest) {
  // 55, 56 and 64 bytes are where the length field moves into a second block: in pieces and at once agree.
  for (std::size_t n = 50; n <= 130; ++n) {
    const std::string text(n, static_cast<char>('0' + n % 10));
    EXPECT_EQ(sha1_of(text, 7), sha1_of(text, n + 1)) << n;
  }
  EXPECT_EQ(sha1_of(std::string(56, 'a'), 5), "c2db330f6083854c99d4b5bfb6e8f29f201be699");
}

}  // namespace
}  // namespace picohub::websocket
