// "host", "host:port" or "[v6]:port" as the sim's options and connection strings give an endpoint.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace picohub::cli {

// Port 8883 when the text names none; false when the port is not 1-65535 or the host is empty.
bool split_endpoint(std::string_view text, std::string& host, std::uint16_t& port);

}  // namespace picohub::cli
