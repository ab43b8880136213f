// state.db keeps a telemetry event's inputs instead of its text (src/hub/telemetry_fields.hpp): what a reader
// renders from them must be the very bytes write_telemetry_event() makes, and the hub's check of the property bag
// must give the writer's verdict.
#include "hub/telemetry_fields.hpp"

#include <gtest/gtest.h>

#include <random>

#include "hub/store.hpp"
#include "hub/telemetry_event.hpp"
#include "hub_test_util.hpp"

using namespace picohub::hub;

namespace {

TelemetryEventInput sample() {
  TelemetryEventInput in;
  in.sequence = 7;
  in.device_id = "dev1";
  in.module_id = "mod:1";
  in.model_id = "dtmi:com:example:Thermostat;12";
  in.generation_id = "638000000000000001";
  in.enqueued_ms = 1700000000123;
  in.property_bag = "%24.mid=m1&%24.ct=application%2Fjson&k=v&flag";
  in.retain = true;
  in.payload = "{\"t\":21.5}";
  return in;
}

TEST(HubTelemetryFields, RoundTripKeepsEveryField) {
  for (bool empty : {false, true}) {
    TelemetryEventInput in = sample();
    if (empty) in = TelemetryEventInput{};
    std::string text;
    encode_telemetry_fields(in, text);
    EXPECT_TRUE(is_telemetry_fields(text));
    TelemetryEventInput back;
    ASSERT_TRUE(decode_telemetry_fields(text, back));
    EXPECT_EQ(back.module_id, in.module_id);
    EXPECT_EQ(back.model_id, in.model_id);
    EXPECT_EQ(back.generation_id, in.generation_id);
    EXPECT_EQ(back.property_bag, in.property_bag);
    EXPECT_EQ(back.retain, in.retain);
  }
}

TEST(HubTelemetryFields, OtherTextIsNotFields) {
  TelemetryEventInput in;
  EXPECT_FALSE(is_telemetry_fields("\"deviceId\":\"dev1\"}"));  // an older row's event suffix
  for (std::string_view bad : {std::string_view(""), std::string_view("\x01"),
                               std::string_view("\x01"
                                                "5:ab"),
                               std::string_view("\x01"
                                                "0:0:0:"),
                               std::string_view("\x01"
                                                "0:0:0:2"),
                               std::string_view("\x01"
                                                "x:0:0:1"),
                               std::string_view("\x01"
                                                ":0:0:1"),
                               std::string_view("\x01"
                                                "99999999999999999999999:0:0:1")}) {
    EXPECT_FALSE(decode_telemetry_fields(bad, in)) << bad;
  }
}

TEST(HubTelemetryFields, BagCheckAgreesWithTheWriter) {
  std::mt19937 rng(777);
  const std::vector<std::string> pieces = {"a",      "=",  "&", "%24.", "mid", "%20", "%2", "%G1", "%FF",
                                           "%C3%A9", "$.", "%", "4",    "f",   "&=",  "%%", "Z"};
  for (int round = 0; round < 20000; ++round) {
    std::string bag;
    const int n = static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) bag += pieces[rng() % pieces.size()];
    TelemetryEventInput in = sample();
    in.property_bag = bag;
    std::string out;
    ASSERT_EQ(property_bag_well_formed(bag), write_telemetry_event(in, out)) << bag;
  }
}

// The store renders what it read: byte for byte the event the hub publishes live.
TEST(HubTelemetryFields, StoredRowsReadBackAsTheWrittenEvent) {
  auto store = hubtest::memory_store();
  ASSERT_TRUE(store);
  std::vector<std::string> expected;
  const std::string binary("\xff\x00\x01", 3);
  for (int i = 0; i < 4; ++i) {
    TelemetryEventInput in = sample();
    in.sequence = store->next_telemetry_sequence();
    if (i == 1) in.payload = binary;
    if (i == 2) in = TelemetryEventInput{in.sequence, "dev1", "", "", "", 1700000000999, "x=%G1", false, ""};
    if (i == 3) in.property_bag = "";
    std::string fields, event;
    encode_telemetry_fields(in, fields);
    write_telemetry_event(in, event);
    expected.push_back(event);
    ASSERT_TRUE(store->telemetry_append_parts(in.sequence, in.device_id, in.enqueued_ms, in.payload, fields, 100));
  }
  ASSERT_TRUE(store->flush());
  auto rows = store->telemetry_query("dev1", 0, 10);
  ASSERT_EQ(rows.size(), expected.size());
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].event_json, expected[i]) << i;
  auto first = store->telemetry_first("", 0, 0, 10);
  ASSERT_EQ(first.size(), expected.size());
  EXPECT_EQ(first[1].event_json, expected[1]);
}

}  // namespace
