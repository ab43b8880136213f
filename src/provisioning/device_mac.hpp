// The board has no MAC EEPROM, so each device needs an address that is stable across re-provisioning and
// unlikely to collide on one LAN. It is derived from the device id: FNV-1a (64-bit) over the id's bytes, the
// top five bytes of the hash become octets 2..6, and octet 1 is the hash's low byte with the
// locally-administered bit set and the multicast bit cleared ((h & 0xFC) | 0x02). Such an address never
// clashes with a vendor-assigned one; `picohub board uf2 --mac` overrides it.
#pragma once

#include <string_view>

#include "provisioning/config_block.hpp"

namespace picohub::provisioning {

MacAddress mac_from_device_id(std::string_view device_id) noexcept;

}  // namespace picohub::provisioning
