#include <gtest/gtest.h>

#include "provisioning/device_mac.hpp"

namespace picohub::provisioning {
namespace {

TEST(DeviceMac, IsLocallyAdministeredUnicast) {
  for (const char* id : {"board-1", "board-2", "", "a", "x-very-long-device-id-0123456789"}) {
    const MacAddress mac = mac_from_device_id(id);
    EXPECT_EQ(mac[0] & 0x01, 0) << id;  // unicast
    EXPECT_EQ(mac[0] & 0x02, 2) << id;  // locally administered
  }
}

TEST(DeviceMac, IsStableForAnIdAndDiffersBetweenIds) {
  EXPECT_EQ(mac_from_device_id("board-1"), mac_from_device_id("board-1"));
  EXPECT_NE(mac_from_device_id("board-1"), mac_from_device_id("board-2"));
}

TEST(DeviceMac, FollowsTheDocumentedFnv1aDerivation) {
  // FNV-1a 64 of "a" is 0xAF63DC4C8601EC8C: octet 1 from the low byte 0x8C -> 0x8E, then the top five bytes.
  EXPECT_EQ(mac_from_device_id("a"), (MacAddress{0x8E, 0xAF, 0x63, 0xDC, 0x4C, 0x86}));
}

}  // namespace
}  // namespace picohub::provisioning
