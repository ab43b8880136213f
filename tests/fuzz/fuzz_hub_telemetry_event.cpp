// The hand-written telemetry event (src/hub/telemetry_event.cpp) against the nlohmann::json tree it replaced, on
// arbitrary property bags and payloads: any byte difference aborts. Input: flags byte, bag, '\n', payload.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "hub/codec.hpp"
#include "hub/message_limits.hpp"
#include "hub/telemetry_event.hpp"
#include "hub/telemetry_fields.hpp"
#include "../lib/telemetry_event_oracle.hpp"

using picohub::test::oracle;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto cut = rest.find('\n');
  picohub::hub::TelemetryEventInput in;
  in.sequence = static_cast<std::int64_t>(size) * 7919;
  in.device_id = "dev-1";
  in.module_id = (data[0] & 1) != 0 ? "mod.a" : "";
  in.retain = (data[0] & 2) != 0;
  in.enqueued_ms = 1700000000000 + static_cast<std::int64_t>(data[0]) * 86399999;
  in.property_bag = rest.substr(0, cut);
  in.payload = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
  std::string out;
  if (picohub::hub::write_telemetry_event(in, out)) {
    if (out != oracle(in)) std::abort();
  } else {
    // Malformed bag: the oracle (old code) dropped every property; now the decodable pairs and the raw bag stay.
    auto event = nlohmann::json::parse(out, nullptr, false);
    if (event.is_discarded() || !event["systemProperties"].contains("picohub-malformed-property-bag")) std::abort();
  }
  // state.db keeps payload + suffix; the rebuilt event must be the same bytes.
  std::string rebuilt;
  picohub::hub::append_event_body_fields(rebuilt, in.payload);
  rebuilt += picohub::hub::telemetry_event_suffix(out);
  if (rebuilt != out) std::abort();
  // state.db keeps the event's fields instead: they must render the same bytes, and the hub's check of the bag
  // must agree with the writer's verdict.
  std::string fields;
  picohub::hub::encode_telemetry_fields(in, fields);
  picohub::hub::TelemetryEventInput back;
  if (!picohub::hub::decode_telemetry_fields(fields, back)) std::abort();
  back.sequence = in.sequence;
  back.device_id = in.device_id;
  back.enqueued_ms = in.enqueued_ms;
  back.payload = in.payload;
  std::string rendered;
  const bool ok = picohub::hub::write_telemetry_event(back, rendered);
  if (rendered != out || ok != picohub::hub::property_bag_well_formed(in.property_bag)) std::abort();
  // Stored text is not trusted either: decoding any bytes must not crash.
  picohub::hub::TelemetryEventInput any;
  (void)picohub::hub::decode_telemetry_fields(std::string_view(reinterpret_cast<const char*>(data), size), any);
  // IoT Hub's size count: at least the body, never more than body + the bag's encoded text.
  const std::size_t counted = picohub::hub::d2c_counted_size(in.property_bag, in.payload.size());
  if (counted < in.payload.size() || counted > in.payload.size() + in.property_bag.size()) std::abort();
  return 0;
}
