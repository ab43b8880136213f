// Twin patch parse + merge + views on arbitrary bytes: a patch that parses must merge without crashing, the
// merged section must stay valid JSON, and a failed merge must leave the twin untouched.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "hub/twin.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace picohub::hub;
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto patch = parse_twin_patch(text, error);
  if (!patch) {
    if (error.empty()) std::abort();
    return 0;
  }
  TwinRecord twin;
  twin.device_id = "dev1";
  for (auto section : {TwinSection::reported, TwinSection::desired}) {
    for (int round = 0; round < 2; ++round) {
      TwinRecord before = twin;
      auto failure = apply_twin_patch(twin, section, *patch, 1700000000000 + round);
      if (failure && (twin.reported_json != before.reported_json || twin.desired_json != before.desired_json ||
                      twin.reported_version != before.reported_version)) {
        std::abort();
      }
    }
  }
  auto device = twin_device_view(twin);
  auto service = twin_service_view(twin);
  if (!device["desired"].contains("$version") || !service["properties"]["reported"].contains("$metadata")) std::abort();
  (void)device.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
