// What the main loop was doing, in one word the watchdog keeps: the loop records its current activity in
// WATCHDOG SCRATCH2 (which survives a watchdog reset) before each step, so after a watchdog timeout the next boot
// can say where the previous one hung ("the previous boot hung during: the TLS handshake with the hub").
#pragma once

#include <cstdint>
#include <optional>

#include "hub_connection.hpp"
#include "network_bringup.hpp"

namespace picohub::firmware {

enum class LoopActivity : std::uint8_t {
  status_led = 1,
  heartbeat,
  network_chip,  // W5100S reset and check
  network_link,  // waiting for the Ethernet link
  network_dhcp,
  network_sntp,
  hub_waiting,  // between attempts (back-off) or waiting for the network
  hub_dns,
  hub_tls_handshake,
  hub_mqtt_connect,
  hub_session,       // connected: telemetry, C2D, keep-alive
  sleeping,          // waiting for the next deadline or interrupt
  dps_registration,  // connected to DPS: register, poll, wait for the assignment
};

const char* describe(LoopActivity activity) noexcept;

// The scratch word: a tag in the top half so a word left by anything else (or a power-on 0) reads as nothing.
std::uint32_t encode_activity(LoopActivity activity) noexcept;
std::optional<LoopActivity> decode_activity(std::uint32_t word) noexcept;

// The application's activity from its network stage and hub phase (either may be absent before configure()).
LoopActivity app_activity(const NetworkBringup* network, const HubConnection* hub) noexcept;

}  // namespace picohub::firmware
