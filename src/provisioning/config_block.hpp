// The device's provisioning: what `picohub board uf2` writes into the last flash sector and the firmware reads
// in place at boot. The board has no file system and no MAC EEPROM, so everything a device needs to join the
// network and the hub travels in this one block.
//
// Layout (all integers little-endian, no alignment assumed: the decoder reads bytes, never words):
//   header, 16 bytes:  magic "phcf" (0x66636870) u32 | format version u16 | header size u16 (16)
//                      | payload length u32 | CRC-32 (zlib) u32 over header bytes 0..11 and the payload
//   payload: records   tag u8 | length u16 | value[length]
//     1 connection string (UTF-8, SharedAccessKey form)        required
//     2 extra CA (exactly what mbedTLS parses: DER, or PEM with its terminating NUL)   optional
//     3 telemetry interval, u32 milliseconds                    required
//     4 static IPv4: address, netmask, gateway, DNS (16 bytes)  optional (absent: DHCP)
//     5 MAC address (6 bytes)                                   required
//     6 SAS token lifetime, u32 seconds                         required from format 2 (format 1: 60 min)
//     7 Plug and Play model id (a DTMI, UTF-8)                  optional (an older firmware skips it: the
//                                                               board then connects without announcing it)
//     8 telemetry queue length, u16 readings held while the hub is away   optional (absent: 16; an older
//                                                               firmware skips it and keeps its own behaviour)
//     9 DPS id scope (UTF-8)                                   } DPS instead of record 1: the board registers
//    10 DPS registration id (UTF-8)                            } with the Device Provisioning Service and
//    11 DPS key: kind u8 (0 individual, 1 derived from a group } connects to the hub it assigns (an older
//       key) | the device's key in base64                      } firmware refuses the block: no record 1)
//    12 DPS endpoint "host[:port]" (UTF-8)                     optional (absent: the global endpoint, 8883)
//    13 MQTT over WebSockets: u16 port (wss://host:port/$iothub/ optional (absent: MQTT over TLS on 8883; an
//       websocket, subprotocol mqtt; not with DPS)              older firmware skips it and uses 8883)
//    14 device certificate (DER)                                } both with an x509=true connection string, which
//    15 its private key: curve u8 (1 = P-256) | the 32-byte     } an older firmware refuses by name ("the board
//       private scalar, big-endian                              } needs SharedAccessKey")
//   Unknown tags are skipped, so a later picohub can add optional records without a version bump; anything an
//   older firmware must not ignore bumps the format version, which older firmware refuses by name. Format 2
//   added the token lifetime: a format-1 firmware would silently sign 60-minute tokens where the user asked for
//   another lifetime, so it refuses the block by name instead. This decoder still reads format 1.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include <tl/expected.hpp>

#include "provisioning/config_problem.hpp"
#include "platform/addresses.hpp"

namespace picohub::provisioning {

// W5100S-EVB-Pico: 2 MiB W25Q16JV; the firmware's linker script keeps its last 64 KiB free for this block.
inline constexpr std::uint32_t flash_base_address = 0x10000000;
inline constexpr std::uint32_t flash_size = 2 * 1024 * 1024;
inline constexpr std::uint32_t config_sector_size = 64 * 1024;
inline constexpr std::uint32_t config_sector_address = flash_base_address + flash_size - config_sector_size;

inline constexpr std::uint32_t config_magic = 0x66636870;         // "phcf" in memory order
inline constexpr std::uint16_t config_format_version = 2;         // what the encoder writes
inline constexpr std::uint16_t oldest_config_format_version = 1;  // the oldest the decoder reads
inline constexpr std::size_t config_header_size = 16;
inline constexpr std::size_t max_connection_string_bytes = 1024;
inline constexpr std::size_t max_extra_ca_bytes = 8 * 1024;
inline constexpr std::uint32_t min_telemetry_interval_ms = 1000;
inline constexpr std::uint32_t max_telemetry_interval_ms = 24u * 60 * 60 * 1000;
// SAS token lifetime: renewed at 80 % of it (see iothub::SasRenewal). 30 s is for tests of renewal; a day is
// plenty for a device that signs its own tokens (a leaked token is then good for a day at most).
inline constexpr std::uint32_t default_sas_ttl_s = 60 * 60;
inline constexpr std::uint32_t min_sas_ttl_s = 30;
inline constexpr std::uint32_t max_sas_ttl_s = 24u * 60 * 60;
// Readings held in RAM while the hub is unreachable (about 100 bytes each; the firmware reserves the maximum).
inline constexpr std::uint16_t default_telemetry_queue = 16;
inline constexpr std::uint16_t max_telemetry_queue = 32;
// MQTT over WebSockets (for networks that block 8883): IoT Hub serves it on the HTTPS port.
inline constexpr std::uint16_t default_websocket_port = 443;
// Part of the sentence an older image, built before X.509 joined the board image (without PICOHUB_BOARD_X509),
// refuses an x509=true config with: `picohub board uf2` looks for it in the firmware so it can warn before flashing.
inline constexpr std::string_view firmware_without_x509_marker = "built without PICOHUB_BOARD_X509";

using MacAddress = platform::MacAddress;
using Ipv4Address = platform::Ipv4Octets;

struct StaticIp {
  Ipv4Address address{};
  Ipv4Address netmask{};
  Ipv4Address gateway{};
  Ipv4Address dns{};
};

inline constexpr std::size_t max_dps_text_bytes = 128;  // scope, registration id, key, endpoint: each at most

// Device Provisioning Service enrollment (symmetric key). The key is the device's own: for a group enrollment
// `picohub board uf2` derives it from the group key (which never goes onto a device).
struct DpsSettings {
  std::string_view id_scope{};         // empty: no DPS, the connection string says where to connect
  std::string_view registration_id{};  // also the device id DPS normally assigns
  std::string_view key_base64{};
  bool group_key_derived = false;  // for the console: which enrollment kind the key belongs to
  std::string_view endpoint{};     // "host[:port]"; empty: dps_default_endpoint
};
inline constexpr std::string_view dps_default_endpoint = "global.azure-devices-provisioning.net";

// X.509 client-certificate authentication (x509=true). The key is stored raw, not as PEM/PKCS#8, so the board needs
// no key parser: it loads the scalar straight into mbedTLS (and can only use P-256, which an M0+ signs in well
// under a second, where RSA would take seconds).
inline constexpr std::size_t max_certificate_bytes = 2048;
inline constexpr std::size_t p256_private_key_bytes = 32;
inline constexpr std::uint8_t key_curve_p256 = 1;
struct X509Identity {
  std::span<const std::uint8_t> certificate_der{};  // empty: SAS (or DPS) authentication
  std::span<const std::uint8_t> private_key{};      // the P-256 scalar, p256_private_key_bytes
};

// After decoding, the views point into the bytes that were decoded (the flash): nothing is copied.
struct DeviceConfig {
  std::string_view connection_string{};
  std::span<const std::uint8_t> extra_ca{};  // empty: only the built-in trust store
  std::uint32_t telemetry_interval_ms = 5000;
  std::optional<StaticIp> static_ip{};  // empty: DHCP
  MacAddress mac{};
  std::uint32_t sas_ttl_s = default_sas_ttl_s;
  std::string_view model_id{};                              // empty: no Plug and Play model announced
  std::uint16_t telemetry_queue = default_telemetry_queue;  // readings held while offline (oldest dropped)
  DpsSettings dps{};                                        // id_scope set: register first (no connection string)
  std::uint16_t websocket_port = 0;                         // 0: MQTT over TLS; else over WebSockets to this port
  X509Identity x509{};                                      // with an x509=true connection string
  std::uint16_t format_version = config_format_version;     // decode: the block's; encode: ignored (writes ours)
};

template <class T>
using ConfigResult = tl::expected<T, ConfigProblem>;

// The rules both sides apply: a SharedAccessKey connection string the IoT Hub parser accepts (or an x509=true one
// with a certificate and key, or, instead of it, complete DPS settings), limits on sizes
// and the interval, a unicast MAC, a usable static IP. Returns the first problem found, if any.
std::optional<ConfigProblem> check_config(const DeviceConfig& config) noexcept;

// Bytes encode_config_block will write for `config`.
std::size_t config_block_size(const DeviceConfig& config) noexcept;

// Writes the block into `out` (checked first); returns its size.
ConfigResult<std::size_t> encode_config_block(const DeviceConfig& config, std::span<std::uint8_t> out) noexcept;

// Validates and decodes a block at the start of `flash` (the whole sector, or just the block). Every length is
// bounds-checked against `flash`; the result's views point into it.
ConfigResult<DeviceConfig> decode_config_block(std::span<const std::uint8_t> flash) noexcept;

}  // namespace picohub::provisioning
