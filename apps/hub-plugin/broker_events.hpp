// The two plugin events picohub's mosquitto patch adds (patches/mosquitto/picohub-events.patch; docs/hub-acks.md):
// mosquitto 2.0.11's plugin API shows a plugin neither a client's PUBACK nor a Will. These definitions must match
// the patch's additions to mosquitto_broker.h; Debian's unpatched broker refuses to register them
// (MOSQ_ERR_NOT_SUPPORTED), which is how the plugin tells the two apart.
#pragma once

#include <cstdint>

struct mosquitto;

namespace picohub::plugin {

inline constexpr int kEventPuback = 100;  // MOSQ_EVT_PICOHUB_PUBACK
inline constexpr int kEventWill = 101;    // MOSQ_EVT_PICOHUB_WILL
inline constexpr int kEventSync = 102;    // MOSQ_EVT_PICOHUB_SYNC (optional: older patched brokers lack it)
// MOSQ_ERR_PICOHUB_HOLD_ACK: a MESSAGE callback's answer "taken; hold the QoS 1 PUBACK until the next SYNC event".
inline constexpr int kHoldAck = 1100;

// A client's PUBACK completed an outgoing QoS 1 message; the message is valid during the call.
struct PubackEvent {
  void* future;
  struct mosquitto* client;
  const char* topic;
  const void* payload;
  std::uint32_t payloadlen;
  std::uint16_t mid;
  void* future2[4];
};

// A client's Will is about to be published (before its ACL check). Return MOSQ_ERR_SUCCESS to let the broker
// publish it; anything else means the plugin took it.
struct WillEvent {
  void* future;
  struct mosquitto* client;
  const char* topic;
  const void* payload;
  std::uint32_t payloadlen;
  std::uint8_t qos;
  bool retain;
  void* future2[4];
};

// Once per loop iteration while PUBACKs are held: return MOSQ_ERR_SUCCESS once they are durable (the broker sends
// them), anything else to have the broker close those connections without them.
struct SyncEvent {
  void* future;
  int held;
  void* future2[4];
};

}  // namespace picohub::plugin
