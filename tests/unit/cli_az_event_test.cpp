#include "az_event.hpp"

#include <gtest/gtest.h>

using nlohmann::json;
using picohub::cli::to_az_event;

namespace {

json hub_event() {
  return json::parse(R"({
    "body": "{\"temperature\":24.3}",
    "bodyBase64": "eyJ0ZW1wZXJhdHVyZSI6MjQuM30=",
    "deviceId": "dev1",
    "enqueuedTime": "2026-12-04T03:12:35.232Z",
    "moduleId": null,
    "properties": {"color": "red"},
    "sequence": 42,
    "systemProperties": {
      "message-id": "m-7",
      "content-type": "application/json",
      "content-encoding": "utf-8",
      "dt-subject": "thermostat1",
      "iothub-connection-device-id": "dev1",
      "iothub-enqueuedtime": "2026-12-04T03:12:35.232Z"
    }
  })");
}

TEST(AzEvent, CarriesOriginPropertiesAnnotationsAndJsonPayload) {
  json e = to_az_event(hub_event())["event"];
  EXPECT_EQ(e["origin"], "dev1");
  EXPECT_EQ(e["module"], "");
  EXPECT_EQ(e["component"], "thermostat1");
  EXPECT_EQ(e["interface"], "");
  EXPECT_EQ(e["properties"]["application"], json({{"color", "red"}}));
  EXPECT_EQ(e["properties"]["system"],
            json({{"message_id", "m-7"}, {"content_type", "application/json"}, {"content_encoding", "utf-8"}}));
  EXPECT_EQ(e["annotations"]["iothub-connection-device-id"], "dev1");
  EXPECT_EQ(e["annotations"]["iothub-message-source"], "Telemetry");
  EXPECT_EQ(e["annotations"]["x-opt-sequence-number"], 42);
  EXPECT_EQ(e["annotations"]["x-opt-offset"], "42");
  EXPECT_EQ(e["annotations"]["x-opt-enqueued-time"], 1796353955232LL);
  EXPECT_FALSE(e["annotations"].contains("message-id"));
  EXPECT_EQ(e["payload"], json({{"temperature", 24.3}}));
}

TEST(AzEvent, PayloadStaysTextUnlessTheContentTypeSaysJson) {
  json event = hub_event();
  event["systemProperties"].erase("content-type");
  EXPECT_EQ(to_az_event(event)["event"]["payload"], "{\"temperature\":24.3}");
  EXPECT_EQ(to_az_event(event, "application/json")["event"]["payload"], json({{"temperature", 24.3}}));
}

TEST(AzEvent, ModuleAndBinaryBody) {
  json event = hub_event();
  event["moduleId"] = "m1";
  event["body"] = nullptr;
  json e = to_az_event(event)["event"];
  EXPECT_EQ(e["module"], "m1");
  EXPECT_EQ(e["payload"], "eyJ0ZW1wZXJhdHVyZSI6MjQuM30=");
}

}  // namespace
