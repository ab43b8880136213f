// The IoT Plug and Play model of the tutorial's device (what TutorialApp sends and answers): the DTDL document is
// models/picohub-tutorial-device-1.json, checked against this id and the app's telemetry fields by
// tests/unit/device_tutorial_model_test.cpp. `picohub sim` and `picohub board uf2` announce it by default.
#pragma once

#include <string_view>

namespace picohub::device {

inline constexpr std::string_view tutorial_model_id = "dtmi:picohub:TutorialDevice;1";

}  // namespace picohub::device
