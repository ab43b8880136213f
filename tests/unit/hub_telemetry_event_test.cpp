// The hand-written telemetry event must be byte-identical to the nlohmann::json tree it replaced: the oracle
// (tests/lib/telemetry_event_oracle.hpp) builds that tree the way Hub::handle_telemetry did before.
#include "hub/telemetry_event.hpp"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "hub/codec.hpp"
#include "../lib/telemetry_event_oracle.hpp"

using namespace picohub::hub;
using nlohmann::json;
using picohub::test::oracle;

namespace {

std::string written(const TelemetryEventInput& in) {
  std::string out = "left over from an earlier event";
  write_telemetry_event(in, out);
  return out;
}

TelemetryEventInput input(std::string_view bag, std::string_view payload) {
  TelemetryEventInput in;
  in.sequence = 42;
  in.device_id = "dev1";
  in.enqueued_ms = 1700000000123;
  in.property_bag = bag;
  in.payload = payload;
  return in;
}

TEST(HubTelemetryEvent, TypicalDeviceMessageMatchesNlohmannByteForByte) {
  auto in = input("%24.ct=application%2Fjson&%24.ce=utf-8", R"({"messageId":1,"temperature":21.5})");
  EXPECT_EQ(written(in), oracle(in));
  EXPECT_EQ(json::parse(written(in))["systemProperties"]["content-type"], "application/json");
}

TEST(HubTelemetryEvent, ModuleRetainNullAndEmptyValuesAndUnknownSystemKeysMatch) {
  auto in = input("%24.mid=m1&flag&empty=&%24.zz=1&alert=high%20temp&%24.ctime=2026", "{}");
  in.module_id = "mod-a";
  in.retain = true;
  EXPECT_EQ(written(in), oracle(in));
  auto event = json::parse(written(in));
  EXPECT_TRUE(event["properties"]["flag"].is_null());
  EXPECT_EQ(event["properties"]["empty"], "");
  EXPECT_EQ(event["systemProperties"]["$.zz"], "1");
  EXPECT_EQ(event["systemProperties"]["iothub-connection-module-id"], "mod-a");
}

TEST(HubTelemetryEvent, RepeatedKeysKeepTheLastValueLikeAMapAssignment) {
  auto in = input("a=1&b=2&a=3&a&%24.mid=x&%24.mid=y&mqtt-retain=no", "x");
  in.retain = true;  // assigned after the bag: "true" wins over the device's own mqtt-retain
  EXPECT_EQ(written(in), oracle(in));
  auto event = json::parse(written(in));
  EXPECT_TRUE(event["properties"]["a"].is_null());
  EXPECT_EQ(event["properties"]["mqtt-retain"], "true");
  EXPECT_EQ(event["systemProperties"]["message-id"], "y");
}

// Issue 8 §2: nothing the device sent disappears silently. The pairs that decode are kept; the raw bag is kept
// in systemProperties["picohub-malformed-property-bag"].
TEST(HubTelemetryEvent, MalformedBagKeepsWellFormedPropertiesAndTheRawBag) {
  struct Case {
    std::string_view bag;
    json properties;
  };
  for (const Case& c : {Case{"a=%ZZ&b=2", json{{"b", "2"}}}, Case{"a=1&b=%zz", json{{"a", "1"}}},
                        Case{"=v", json::object()}, Case{"ok=1&%4", json{{"ok", "1"}}}}) {
    auto in = input(c.bag, "hi");
    std::string out;
    EXPECT_FALSE(write_telemetry_event(in, out)) << c.bag;
    auto event = json::parse(out);
    EXPECT_EQ(event["properties"], c.properties) << c.bag;
    EXPECT_EQ(event["systemProperties"]["picohub-malformed-property-bag"], std::string(c.bag));
    EXPECT_EQ(event["body"], "hi");
  }
  std::string out;
  ASSERT_FALSE(write_telemetry_event(input("%24.mid=m7&x=%G1", "{}"), out));
  EXPECT_EQ(json::parse(out)["systemProperties"]["message-id"], "m7");
  EXPECT_TRUE(write_telemetry_event(input("", ""), out));
  EXPECT_FALSE(json::parse(out)["systemProperties"].contains("picohub-malformed-property-bag"));
}

// state.db keeps the body once: the event is rebuilt from the payload and the text after the body fields.
TEST(HubTelemetryEvent, BodyFieldsPlusSuffixRebuildTheEvent) {
  for (std::string_view payload : {std::string_view("{\"t\":1}"), std::string_view("\xff\x00bin"),
                                   std::string_view("q\",\"bodyBase64\":\"x"), std::string_view("")}) {
    std::string event, rebuilt;
    write_telemetry_event(input("a=1", payload), event);
    auto suffix = telemetry_event_suffix(event);
    ASSERT_FALSE(suffix.empty());
    EXPECT_EQ(suffix.substr(0, 11), "\"deviceId\":");
    append_event_body_fields(rebuilt, payload);
    rebuilt += suffix;
    EXPECT_EQ(rebuilt, event);
  }
  EXPECT_TRUE(telemetry_event_suffix("{}").empty());
}

// Strings are scanned 8 bytes at a time when no byte needs a look: a special byte at every offset of strings of
// many lengths must still be escaped exactly as nlohmann does.
TEST(HubTelemetryEvent, WordAtATimeScanEscapesEveryOffsetLikeNlohmann) {
  for (char special : {'"', '\\', '\n', '\x01', '\x1f', '\x7f', ' ', '\xc3'}) {
    for (std::size_t length = 1; length <= 40; ++length) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string text(length, 'a');
        text[at] = special;
        if (special == '\xc3' && at + 1 < length) text[at + 1] = '\xa9';  // valid UTF-8 (é) where it fits
        std::string out;
        append_json_string(out, text);
        ASSERT_EQ(out, json(text).dump(-1, ' ', false, json::error_handler_t::replace))
            << "length " << length << " at " << at << " byte " << int(static_cast<unsigned char>(special));
      }
    }
  }
}

TEST(HubTelemetryEvent, EscapesControlCharactersQuotesAndBackslashesLikeNlohmann) {
  std::string body = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f end";
  auto in = input("k%0A%22=%5C%01v", body);
  EXPECT_EQ(written(in), oracle(in));
  EXPECT_EQ(json::parse(written(in))["body"], body);
}

TEST(HubTelemetryEvent, Utf8BodyIsKeptAndBinaryBodyIsNullWithBase64) {
  auto utf8 = input("",
                    "temp \xc2\xb0"
                    "C \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(written(utf8), oracle(utf8));
  auto binary = input("", std::string_view("\xff\x00\x01", 3));
  EXPECT_EQ(written(binary), oracle(binary));
  EXPECT_TRUE(json::parse(written(binary))["body"].is_null());
  EXPECT_EQ(json::parse(written(binary))["bodyBase64"], "/wAB");
}

TEST(HubTelemetryEvent, InvalidUtf8InPropertiesIsReplacedTheWayNlohmannDoes) {
  for (std::string_view bag : {"k=%FF", "%C3%28=v", "k=a%E2%82", "k=%ED%A0%80x", "k=%F4%90%80%80", "k=%C0%AF"}) {
    auto in = input(bag, "b");
    EXPECT_EQ(written(in), oracle(in)) << bag;
  }
}

TEST(HubTelemetryEvent, TimeStampsMatchIso8601AcrossSecondsAndDays) {
  std::string out;
  for (std::int64_t ms : {0LL, 999LL, 1000LL, 1700000000000LL, 1700000000999LL, 1700000001005LL, 1709251199999LL,
                          1709251200000LL, 4102444800123LL, 1700000000999LL}) {
    out.clear();
    append_iso8601_utc(out, ms);
    EXPECT_EQ(out, iso8601_utc(ms)) << ms;
  }
}

// Random bags and bodies over an alphabet that stresses escapes, percent-decoding and key collisions.
TEST(HubTelemetryEvent, RandomInputsMatchNlohmannByteForByte) {
  std::mt19937 rng(12345);
  const std::vector<std::string> pieces = {"a",   "b",   "=",      "&",  "%24.", "mid", "ct", "%20", "%0A", "%22",
                                           "%5C", "%FF", "%C3%A9", "\\", "\"",   "x",   "%2", "$.",  "to",  "%01"};
  for (int round = 0; round < 2000; ++round) {
    std::string bag, body;
    int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) bag += pieces[rng() % pieces.size()];
    int m = static_cast<int>(rng() % 20);
    for (int i = 0; i < m; ++i) body += static_cast<char>(rng() % 3 == 0 ? rng() % 256 : 'a' + rng() % 26);
    auto in = input(bag, body);
    in.sequence = static_cast<std::int64_t>(rng());
    in.retain = rng() % 2 == 0;
    if (rng() % 4 == 0) in.module_id = "m1";
    in.enqueued_ms = 1700000000000LL + static_cast<std::int64_t>(rng() % 100000000);
    std::string out;
    if (write_telemetry_event(in, out)) {
      ASSERT_EQ(out, oracle(in)) << "bag=" << bag;
    } else {  // malformed: the oracle (the old code) dropped every property; now the raw bag is kept
      auto event = json::parse(out);
      ASSERT_EQ(event["systemProperties"]["picohub-malformed-property-bag"],
                json(bag).dump(-1, ' ', false, json::error_handler_t::replace) == "null"
                    ? json(nullptr)
                    : json::parse(json(bag).dump(-1, ' ', false, json::error_handler_t::replace)))
          << "bag=" << bag;
    }
  }
}

}  // namespace
