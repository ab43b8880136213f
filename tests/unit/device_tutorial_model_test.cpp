// The DTDL model in models/ describes what the tutorial app really sends and answers, under the id it announces.
#include "device/tutorial_model.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <string>

#include "iothub/dtmi.hpp"

namespace {

nlohmann::json load_model() {
  std::ifstream in(std::string(PICOHUB_MODELS_DIR) + "/picohub-tutorial-device-1.json");
  EXPECT_TRUE(in) << "models/picohub-tutorial-device-1.json is missing";
  return nlohmann::json::parse(in);
}

bool has_type(const nlohmann::json& item, const std::string& type) {
  const auto& t = item.at("@type");
  if (t.is_string()) return t == type;
  for (const auto& each : t)
    if (each == type) return true;
  return false;
}

std::set<std::string> names_of(const nlohmann::json& model, const std::string& type) {
  std::set<std::string> out;
  for (const auto& item : model.at("contents"))
    if (has_type(item, type)) out.insert(item.at("name").get<std::string>());
  return out;
}

TEST(TutorialModel, TheModelFileHasTheIdTheDevicesAnnounce) {
  const auto model = load_model();
  EXPECT_EQ(model.at("@id").get<std::string>(), picohub::device::tutorial_model_id);
  EXPECT_TRUE(picohub::iothub::is_valid_dtmi(picohub::device::tutorial_model_id));
  EXPECT_EQ(model.at("@context"), "dtmi:dtdl:context;2");
  EXPECT_EQ(model.at("@type"), "Interface");
}

TEST(TutorialModel, DescribesTheAppsTelemetryPropertyAndCommands) {
  const auto model = load_model();
  EXPECT_EQ(names_of(model, "Telemetry"), (std::set<std::string>{"messageId", "temperature", "humidity"}));
  EXPECT_EQ(names_of(model, "Property"), (std::set<std::string>{"telemetryInterval"}));
  EXPECT_EQ(names_of(model, "Command"), (std::set<std::string>{"blink", "getStatus", "reboot"}));
}

}  // namespace
