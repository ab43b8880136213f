// Percent-encoding and property bags (reference §3, §4).
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "iothub/property_bag.hpp"
#include "iothub/url_encoding.hpp"

using namespace picohub;
using namespace picohub::iothub;

namespace {

std::string enc(std::string_view in) {
  std::array<char, 512> out{};
  auto r = url_encode(in, out);
  EXPECT_TRUE(r);
  EXPECT_EQ(r->size(), url_encoded_size(in));
  return std::string(*r);
}

std::string dec(std::string_view in) {
  std::array<char, 512> out{};
  auto r = url_decode(in, out);
  EXPECT_TRUE(r) << in;
  return r ? std::string(*r) : std::string("<error>");
}

struct Decoded {
  std::string key;
  std::string value;
  bool has_value;
};

std::vector<Decoded> read_all(std::string_view bag) {
  std::vector<Decoded> all;
  PropertyBagReader reader(bag);
  while (auto p = reader.next()) {
    std::array<char, 256> k{};
    std::array<char, 256> v{};
    auto key = decode_key(*p, k);
    auto value = decode_value(*p, v);
    EXPECT_TRUE(key && value);
    if (key && value) all.push_back({std::string(*key), std::string(*value), p->has_value});
  }
  return all;
}

}  // namespace

TEST(IothubUrlEncoding, KeepsUnreservedAndEncodesEverythingElseUppercase) {
  EXPECT_EQ(enc("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(enc("a b"), "a%20b");
  EXPECT_EQ(enc("ü"), "%C3%BC");
  EXPECT_EQ(enc("!#$&'()*+,/:;=?@[]"), "%21%23%24%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D");
  EXPECT_EQ(enc("$.mid"), "%24.mid");
  EXPECT_EQ(enc("application/json"), "application%2Fjson");
  EXPECT_EQ(enc(std::string_view("\0\xff", 2)), "%00%FF");
  EXPECT_EQ(enc(""), "");
}

TEST(IothubUrlEncoding, DecodesEitherHexCaseAndKeepsPlus) {
  EXPECT_EQ(dec("%C3%BC%c3%bc"), "üü");
  EXPECT_EQ(dec("a%20b+c"), "a b+c");
  EXPECT_EQ(dec("%2fdevices%2Fd"), "/devices/d");
  EXPECT_EQ(dec(""), "");
}

TEST(IothubUrlEncoding, RejectsBrokenEscapesAndSmallBuffers) {
  std::array<char, 16> out{};
  for (std::string_view bad : {"%", "%2", "%zz", "a%G0", "abc%"}) {
    auto r = url_decode(bad, out);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::malformed);
  }
  std::array<char, 2> tiny{};
  auto e = url_encode("abc", tiny);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::too_large);
  auto e2 = url_encode("a ", tiny);  // the escape needs 3 bytes
  EXPECT_FALSE(e2);
  auto d = url_decode("abc", tiny);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::too_large);
}

TEST(IothubUrlEncoding, DecodedEqualsComparesWithoutBuffer) {
  EXPECT_TRUE(url_decoded_equals("%24.mid", "$.mid"));
  EXPECT_TRUE(url_decoded_equals("%2fdevices", "/devices"));
  EXPECT_FALSE(url_decoded_equals("%24.mi", "$.mid"));
  EXPECT_FALSE(url_decoded_equals("%24.midx", "$.mid"));
  EXPECT_FALSE(url_decoded_equals("%2", "%2"));
}

TEST(IothubPropertyBag, WriterEncodesKeysValuesNullsAndEmpties) {
  std::array<char, 256> buf{};
  PropertyBagWriter w(buf);
  EXPECT_TRUE(w.empty());
  ASSERT_TRUE(w.add("$.mid", "id 1/2?&="));
  ASSERT_TRUE(w.add("alert", "high temp"));
  ASSERT_TRUE(w.add_null("prop1"));
  ASSERT_TRUE(w.add("prop2", ""));
  ASSERT_TRUE(w.add("k&= ", "v/ü"));
  EXPECT_EQ(w.view(), "%24.mid=id%201%2F2%3F%26%3D&alert=high%20temp&prop1&prop2=&k%26%3D%20=v%2F%C3%BC");
  EXPECT_TRUE(w.ok());
}

TEST(IothubPropertyBag, WriterFailsStickyWithoutLeavingHalfAProperty) {
  std::array<char, 12> buf{};
  PropertyBagWriter w(buf);
  ASSERT_TRUE(w.add("a", "1"));
  auto r = w.add("long", "value that does not fit");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::too_large);
  EXPECT_EQ(w.view(), "a=1");
  EXPECT_FALSE(w.ok());
  EXPECT_FALSE(w.add("b", "2"));  // sticky
  EXPECT_EQ(w.view(), "a=1");
  std::array<char, 8> buf2{};
  PropertyBagWriter w2(buf2);
  EXPECT_FALSE(w2.add("", "x"));
}

TEST(IothubPropertyBag, WriterAppendsEncodedText) {
  std::array<char, 64> buf{};
  PropertyBagWriter w(buf);
  ASSERT_TRUE(w.add("a", "1"));
  ASSERT_TRUE(w.add_encoded("%24.ct=text%2Fplain&x"));
  EXPECT_EQ(w.view(), "a=1&%24.ct=text%2Fplain&x");
}

TEST(IothubPropertyBag, ReadsNodeCapturedTelemetryBag) {
  // Reference §3: Node's captured topic suffix. Note Node leaves '*' unencoded; any decoder must accept that.
  auto all = read_all(
      "%24.mid=id%201%2F2%3F%26%3D&%24.cid=c%241&%24.uid=u&%24.ct=application%2Fjson&%24.ce=utf-8"
      "&%24.exp=2023-11-14T23%3A13%3A20.000Z&alert=high%20temp&k%26%3D=v%2F%C3%BC*");
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(all[0].key, "$.mid");
  EXPECT_EQ(all[0].value, "id 1/2?&=");
  EXPECT_EQ(all[1].key, "$.cid");
  EXPECT_EQ(all[1].value, "c$1");
  EXPECT_EQ(all[3].value, "application/json");
  EXPECT_EQ(all[5].key, "$.exp");
  EXPECT_EQ(all[5].value, "2023-11-14T23:13:20.000Z");
  EXPECT_EQ(all[6].value, "high temp");
  EXPECT_EQ(all[7].key, "k&=");
  EXPECT_EQ(all[7].value, "v/ü*");
}

TEST(IothubPropertyBag, ReadsC2dExamplesWithNullAndEmptyValues) {
  auto docs = read_all("prop1&prop2=&prop3=a%20string");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_FALSE(docs[0].has_value);
  EXPECT_EQ(docs[0].key, "prop1");
  EXPECT_TRUE(docs[1].has_value);
  EXPECT_EQ(docs[1].value, "");
  EXPECT_EQ(docs[2].value, "a string");

  auto node = read_all("%24.mid=84c0&%24.to=%2Fdevices%2Fdev1%2Fmessages%2FdeviceBound&iothub-ack=full&color=red%20x");
  ASSERT_EQ(node.size(), 4u);
  EXPECT_EQ(node[0].value, "84c0");
  EXPECT_EQ(node[1].key, "$.to");
  EXPECT_EQ(node[1].value, "/devices/dev1/messages/deviceBound");
  EXPECT_EQ(node[2].key, "iothub-ack");
  EXPECT_EQ(node[2].value, "full");
  EXPECT_EQ(node[3].value, "red x");

  auto found = find_property("%24.mid=84c0&%24.to=%2Fdevices", "$.to");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->value, "%2Fdevices");
  EXPECT_FALSE(find_property("a=1", "b"));
}

TEST(IothubPropertyBag, ReaderSkipsEmptyElementsAndSplitsOnFirstEquals) {
  auto all = read_all("&&a=b=c&&=x&");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key, "a");
  EXPECT_EQ(all[0].value, "b=c");
  EXPECT_EQ(all[1].key, "");
  EXPECT_EQ(all[1].value, "x");
  PropertyBagReader empty("");
  EXPECT_FALSE(empty.next());
}

TEST(IothubPropertyBag, DecodeReportsBadEscapes) {
  PropertyBagReader reader("k%zz=v%2");
  auto p = reader.next();
  ASSERT_TRUE(p);
  std::array<char, 16> out{};
  EXPECT_FALSE(decode_key(*p, out));
  EXPECT_FALSE(decode_value(*p, out));
}
