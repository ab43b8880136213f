// The raw address types the W5100S driver, the net stack and the provisioning block all exchange: a MAC address
// and an IPv4 address as its four octets in network order. One definition, so no conversions between modules.
#pragma once

#include <array>
#include <cstdint>

namespace picohub::platform {

using MacAddress = std::array<std::uint8_t, 6>;
using Ipv4Octets = std::array<std::uint8_t, 4>;

}  // namespace picohub::platform
