// What can be wrong with a config block, as a value the firmware can print without the heap. Each fault has a
// static one-line summary (for Result<T>'s Error) and a message template that `describe` fills with the
// numbers that tell a person what to do: "config format version 2 is newer than this firmware (1)".
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "common/error.hpp"

namespace picohub::provisioning {

enum class ConfigFault : std::uint8_t {
  erased,                        // the sector is all 0xFF: nothing was ever provisioned
  bad_magic,                     // the sector holds something that is not a config block
  truncated,                     // fewer bytes than the header promises (found: have, expected: need)
  version_zero,                  // format version 0 does not exist
  version_too_new,               // written by a newer picohub (found: block, expected: ours)
  bad_header_size,               // header size does not match this format version
  payload_too_large,             // payload length beyond the sector (found, expected: limit)
  crc_mismatch,                  // bytes changed after writing (found: stored, expected: computed)
  record_overrun,                // a record's length runs past the payload (found: tag)
  duplicate_record,              // the same record twice (found: tag)
  bad_record_length,             // a fixed-size record has the wrong size (found: length, expected: size)
  missing_record,                // a required record is absent (found: tag, detail: its name)
  connection_string_too_long,    // (found: length, expected: limit)
  connection_string_malformed,   // the IoT Hub parser refused it (detail: its message)
  connection_string_not_key,     // SharedAccessSignature or x509: the board needs SharedAccessKey
  extra_ca_too_large,            // (found: length, expected: limit)
  interval_out_of_range,         // (found: ms)
  mac_not_unicast,               // multicast bit set, or all zero
  static_ip_invalid,             // address zero or netmask not contiguous (detail says which)
  sas_ttl_out_of_range,          // (found: seconds, expected: 0)
  output_too_small,              // encode: caller's buffer (found: size, expected: needed)
  model_id_invalid,              // not a DTMI, or longer than the limit (found: length)
  telemetry_queue_out_of_range,  // (found: readings, expected: the firmware's limit)
  dps_invalid,                   // a DPS record cannot be used (detail says which and why)
  websocket_invalid,             // the WebSocket record cannot be used (detail says why)
  x509_invalid,                  // the certificate or key records cannot be used (detail says which and why)
};

struct ConfigProblem {
  ConfigFault fault;
  std::uint32_t found = 0;
  std::uint32_t expected = 0;
  const char* detail = "";  // static storage
};

// Code + static summary, for callers that only carry an Error.
Error to_error(const ConfigProblem& problem) noexcept;

// The full message, written into `out` (truncated if it does not fit); returns the written part.
std::string_view describe(const ConfigProblem& problem, std::span<char> out) noexcept;

}  // namespace picohub::provisioning
