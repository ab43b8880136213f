// Host shell around iothub::DpsClient: one blocking, bounded registration with the Device Provisioning Service
// over TCP + TLS (`picohub sim --dps`). The protocol and its timing (retry-after, attempts) are the client's;
// this opens the connection, moves bytes, sleeps in poll() and reports in words.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "common/error.hpp"
#include "iothub/dps_client.hpp"
#include "net/connect.hpp"

namespace picohub::link {

struct DpsAssignment {
  std::string assigned_hub;  // "host" or "host:port"
  std::string device_id;
  std::string substatus;
  int attempts = 0;  // requests sent (register + polls)
};

struct DpsOutcome {
  Result<DpsAssignment> result = DpsAssignment{};
  std::string detail;  // on failure: DPS's status, error code and message, or the transport's particulars
};

// Connects to `endpoint`, registers, polls until assigned or failed, disconnects. Errors: auth_refused (CONNACK
// refused, or DPS refused / did not assign: detail says what DPS said), timeout (no outcome within `timeout`, or
// the client's attempts ran out), network / TLS codes from the connection.
// `progress` gets a line per step (connected, assigning + the wait), may be empty.
DpsOutcome register_with_dps(const net::Endpoint& endpoint, const iothub::DpsRegistration& registration,
                             const iothub::DpsClientOptions& options, std::chrono::milliseconds timeout,
                             const std::function<void(const std::string&)>& progress = {});

// "host:port" (or "host", port 8883) from an assigned hub name; false when the port is not a number.
bool split_hub_name(const std::string& assigned_hub, std::string& host, std::uint16_t& port);

}  // namespace picohub::link
