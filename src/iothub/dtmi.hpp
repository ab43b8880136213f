// Digital Twin Model Identifiers (DTMI), the `model-id` an IoT Plug and Play device announces in its CONNECT
// user name: "dtmi:" path segments separated by ':' and ";" version, e.g. "dtmi:picohub:W5100sEvbPico;1".
// A segment starts with a letter, holds letters, digits and '_', and does not end with '_'; the version is
// 1..999999999 without leading zeros (DTDL v3 also allows a minor version: ";1.2").
#pragma once

#include <cstddef>
#include <string_view>

namespace picohub::iothub {

// What the board's config block and the CLI accept; DTDL itself allows longer ids, IoT Hub's user name does not
// need them.
inline constexpr std::size_t max_model_id_bytes = 256;

bool is_valid_dtmi(std::string_view id) noexcept;

}  // namespace picohub::iothub
