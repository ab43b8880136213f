// DTMI syntax: what a device may announce as its Plug and Play model-id.
#include "iothub/dtmi.hpp"

#include <gtest/gtest.h>

#include <string>

using picohub::iothub::is_valid_dtmi;

TEST(Dtmi, AcceptsModelIdsOfTheDtdlShape) {
  for (const char* ok : {"dtmi:picohub:W5100sEvbPico;1", "dtmi:com:example:Thermostat;1", "dtmi:a;999999999",
                         "dtmi:x_1:y2;12", "dtmi:com:example:Thermostat;2.0", "dtmi:a:b;1.15"}) {
    EXPECT_TRUE(is_valid_dtmi(ok)) << ok;
  }
}

TEST(Dtmi, RefusesWhatIsNotADtmi) {
  for (const char* bad : {"", "dtmi:", "dtmi:a", "dtmi:a;", "dtmi:a;0", "dtmi:a;01", "dtmi:a;1000000000", "dtmi:1a;1",
                          "dtmi:a_;1", "dtmi:a::b;1", "dtmi::a;1", "dtmi:a-b;1", "dtmi:a b;1", "DTMI:a;1", "urn:a;1",
                          "dtmi:a;1.", "dtmi:a;1.01", "dtmi:a;1;2", "dtmi:a;x"}) {
    EXPECT_FALSE(is_valid_dtmi(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_dtmi("dtmi:" + std::string(250, 'a') + ";1"));  // over 256 bytes
  EXPECT_TRUE(is_valid_dtmi("dtmi:" + std::string(249, 'a') + ";1"));
}
