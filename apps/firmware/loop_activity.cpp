#include "loop_activity.hpp"

namespace picohub::firmware {
namespace {

constexpr std::uint32_t activity_tag = 0xAC71'0000u;
constexpr auto last_activity = static_cast<std::uint8_t>(LoopActivity::dps_registration);

}  // namespace

const char* describe(LoopActivity activity) noexcept {
  switch (activity) {
    case LoopActivity::status_led: return "the status LED step";
    case LoopActivity::heartbeat: return "the heartbeat report";
    case LoopActivity::network_chip: return "the W5100S reset";
    case LoopActivity::network_link: return "the Ethernet link wait";
    case LoopActivity::network_dhcp: return "DHCP";
    case LoopActivity::network_sntp: return "SNTP";
    case LoopActivity::hub_waiting: return "the wait for a hub attempt";
    case LoopActivity::hub_dns: return "the hub's DNS lookup";
    case LoopActivity::hub_tls_handshake: return "the TLS handshake with the hub";
    case LoopActivity::hub_mqtt_connect: return "the MQTT CONNECT";
    case LoopActivity::hub_session: return "the hub session";
    case LoopActivity::sleeping: return "the main loop's sleep";
    case LoopActivity::dps_registration: return "the DPS registration";
  }
  return "an unknown step";
}

std::uint32_t encode_activity(LoopActivity activity) noexcept {
  return activity_tag | static_cast<std::uint8_t>(activity);
}

std::optional<LoopActivity> decode_activity(std::uint32_t word) noexcept {
  const auto code = static_cast<std::uint8_t>(word & 0xFFu);
  if ((word & 0xFFFF'FF00u) != activity_tag || code == 0 || code > last_activity) return std::nullopt;
  return static_cast<LoopActivity>(code);
}

LoopActivity app_activity(const NetworkBringup* network, const HubConnection* hub) noexcept {
  if (network != nullptr && !network->ready()) {
    switch (network->stage()) {
      case NetworkStage::chip_reset:
      case NetworkStage::chip_retry_wait: return LoopActivity::network_chip;
      case NetworkStage::link_wait: return LoopActivity::network_link;
      case NetworkStage::addressing: return LoopActivity::network_dhcp;
      case NetworkStage::time_sync:
      case NetworkStage::ready: return LoopActivity::network_sntp;
    }
  }
  if (hub == nullptr) return LoopActivity::hub_waiting;
  switch (hub->phase()) {
    case HubPhase::idle:
    case HubPhase::wait_network: return LoopActivity::hub_waiting;
    case HubPhase::resolving: return LoopActivity::hub_dns;
    case HubPhase::handshaking: return LoopActivity::hub_tls_handshake;
    case HubPhase::registering: return LoopActivity::dps_registration;
    case HubPhase::upgrading:
    case HubPhase::mqtt_connecting: return LoopActivity::hub_mqtt_connect;
    case HubPhase::up:
    case HubPhase::closing: return LoopActivity::hub_session;
  }
  return LoopActivity::hub_waiting;
}

}  // namespace picohub::firmware
