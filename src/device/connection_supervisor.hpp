// device::ConnectionSupervisor: when to open, close and reopen the connection to the hub, sans-I/O. It never
// touches a socket or a clock: the shell (host DeviceLink, firmware main loop) feeds it what happened and the
// monotonic time, takes the actions it yields one by one, and comes back at next_deadline_ms().
//
//   start(now)                 -> open_transport
//   on_connected(now)          the client is ready (CONNACK accepted): the back-off starts again from the bottom
//   on_lost(reason, now, rnd)  -> close_transport, then open_transport after a back-off with jitter, or give_up
//                              once max_attempts attempts in a row have failed
//   on_refused(why, now, rnd)  credentials refused (CONNACK 4/5, expired SAS): -> give_up (host), or
//                              close_transport, then resync_time resync_lead_ms before the retry (so the next
//                              token is signed with a clock read just before it), open_transport after 1 min,
//                              backing off to 30 min
//   reprovision                a DPS-provisioned device whose assigned hub refused its credentials
//                              reprovision_after_refusals times in a row: before the next open_transport (still
//                              after the refusal schedule's wait), register with DPS again; on_provisioned(now)
//                              once DPS has assigned a hub, and the next open_transport goes there
//   on_renewal_due(now)        the client has sent its DISCONNECT: keep reading (closing) until the hub closes
//                              (on_lost) or renewal_drain_ms pass, so the PUBACKs of telemetry in flight arrive
//                              (dropping them would send those messages twice); then -> close_transport,
//                              open_transport right away (a fresh SAS token is signed then)
//   connect timeout            an attempt that is not connected within connect_timeout_ms counts as lost
//
// Jitter: every back-off decision takes a random 32-bit value from the caller (the board's entropy source, the
// host's PRNG), so a fleet that lost the hub at the same moment does not come back in lock-step. The delay for
// attempt n is uniform in [max(initial, 3/4 step), min(max, 5/4 step)] with step = initial * 2^(n-1) capped at
// max: never below the policy's first delay, never above its ceiling, and spread at the ceiling too.
#pragma once

#include <cstdint>

#include "mqtt/packet.hpp"

namespace picohub::device {

// Why a connection (or an attempt to make one) ended. Shells print describe(reason).
enum class LossReason : std::uint8_t {
  none,
  link_down,            // Ethernet PHY link lost / interface down
  dhcp_failed,          // no DHCP lease
  dns_failed,           // the hub's name did not resolve
  tcp_failed,           // TCP connect refused, reset or timed out
  tls_failed,           // TLS handshake or record error
  certificate_invalid,  // the hub's certificate did not verify
  connect_timeout,      // TCP + TLS + CONNACK took longer than connect_timeout_ms
  connack_timeout,      // no CONNACK in time
  server_unavailable,   // CONNACK 3: retry later
  keep_alive_timeout,   // no PINGRESP: the link is dead
  server_closed,        // the hub closed the connection
  protocol_error,       // the hub sent something the client cannot accept
  write_failed,         // the transport refused our bytes
  read_failed,          // the transport failed while reading
  entropy_failed,       // the random source failed its health tests: TLS cannot run
};
const char* describe(LossReason reason) noexcept;

// Why the hub will not take these credentials; retrying them unchanged only gets a device throttled.
enum class RefusalReason : std::uint8_t {
  bad_protocol,          // CONNACK 1
  identifier_rejected,   // CONNACK 2
  bad_credentials,       // CONNACK 4
  not_authorized,        // CONNACK 5
  sas_expired,           // the connection string's SharedAccessSignature expired before we could use it
  provisioning_refused,  // DPS refused the registration (CONNACK or an answer that assigns nothing)
};
const char* describe(RefusalReason reason) noexcept;
// CONNACK codes 1, 2, 4, 5 map to a RefusalReason; 3 (server unavailable) is a loss, not a refusal.
RefusalReason refusal_for(mqtt::ConnectReturnCode code) noexcept;

struct Backoff {
  std::uint32_t initial_ms = 500;
  std::uint32_t max_ms = 10'000;
};

// Delay before attempt `attempt` (1-based) with `random` as the jitter source. Pure.
std::uint32_t backoff_delay_ms(const Backoff& backoff, std::uint32_t attempt, std::uint32_t random) noexcept;

struct SupervisorPolicy {
  Backoff lost{};                             // after a lost connection or a failed attempt
  std::uint32_t max_attempts = 5;             // failed attempts in a row before give_up; 0 = never give up
  bool stop_when_refused = true;              // refused credentials: give_up (host) instead of retrying (board)
  Backoff refused{60'000, 1'800'000};         // retry schedule after a refusal when not stopping
  bool resync_time_when_refused = false;      // a wrong clock makes a valid key sign an expired token
  std::uint32_t resync_lead_ms = 5'000;       // ask for the time this long before the retry after a refusal
  std::uint32_t connect_timeout_ms = 15'000;  // one attempt: transport open + TLS + CONNACK
  std::uint32_t renewal_drain_ms = 2'000;  // after a renewal's DISCONNECT: wait this long at most for the hub to close
  // DPS-provisioned devices: after this many refusals in a row by the assigned hub (CONNACK 4/5), register with DPS
  // again instead of retrying that hub; 0 = never (a connection string has nowhere else to go).
  std::uint32_t reprovision_after_refusals = 0;
  std::uint32_t max_refusals = 0;  // refusals in a row before give_up when not stopping at the first; 0 = never
};

// IoT Hub refuses a device it no longer knows (deleted, disabled, its key rolled, moved to another hub) with CONNACK
// 4/5, and DPS knows where it lives now. The first refusal may still be our clock (the board asks SNTP again before
// the retry); a second one in a row with a fresh clock means the hub has disowned the device. More would only add
// refusal waits (1 min, then 2 min on the board) before the one step that can help.
constexpr std::uint32_t dps_reprovision_refusals = 2;

// `picohub sim`: 0.5 s -> 10 s, give up after `retries` attempts, stop on refused credentials.
// `provisioned` (sim --dps): refusals are retried 2 s -> 1 min (a desktop tool; the waits still double) and the
// device registers again after dps_reprovision_refusals of them; it gives up when the hub it was assigned after
// a new registration refuses it that often too.
constexpr SupervisorPolicy host_policy(std::uint32_t retries = 5, bool provisioned = false) noexcept {
  SupervisorPolicy p;
  p.lost = Backoff{500, 10'000};
  p.max_attempts = retries;
  p.stop_when_refused = !provisioned;
  p.connect_timeout_ms = 15'000;
  if (provisioned) {
    p.refused = Backoff{2'000, 60'000};
    p.reprovision_after_refusals = dps_reprovision_refusals;
    p.max_refusals = 2 * dps_reprovision_refusals;
  }
  return p;
}

// The board: 1 s -> 2 min, never give up; refused -> resync SNTP, retry after 1 min, back off to 30 min;
// `provisioned` (DPS): register again after dps_reprovision_refusals refusals in a row.
// Its connect timeout allows for a software ECDHE handshake on a Cortex-M0+.
constexpr SupervisorPolicy board_policy(bool provisioned = false) noexcept {
  SupervisorPolicy p;
  p.lost = Backoff{1'000, 120'000};
  p.max_attempts = 0;
  p.stop_when_refused = false;
  p.refused = Backoff{60'000, 1'800'000};
  p.resync_time_when_refused = true;
  p.connect_timeout_ms = 30'000;
  if (provisioned) p.reprovision_after_refusals = dps_reprovision_refusals;
  return p;
}

enum class SupervisorAction : std::uint8_t {
  none,             // nothing to do before next_deadline_ms()
  reprovision,      // forget the assigned hub: the next open_transport registers with DPS (then on_provisioned)
  open_transport,   // open a transport (DNS, TCP, TLS), then DeviceClient::connect()
  close_transport,  // close it and call DeviceClient::on_transport_reset()
  resync_time,      // ask SNTP for the time again (the SAS expiry depends on it)
  give_up,          // stop: report last_loss() / last_refusal() and end
};

enum class SupervisorState : std::uint8_t {
  idle,        // before start()
  connecting,  // an attempt is under way
  connected,   // the client is ready
  closing,     // renewal: the DISCONNECT is out, reading the hub's last answers until it closes
  waiting,     // backing off until retry_at_ms()
  stopped,     // gave up (attempts exhausted, or refused credentials under a stopping policy)
};

class ConnectionSupervisor {
 public:
  static constexpr std::uint64_t no_deadline = UINT64_MAX;

  explicit ConnectionSupervisor(SupervisorPolicy policy) noexcept : policy_(policy) {}

  // Begins (or begins again after stopped): the next action is open_transport, with a fresh schedule.
  void start(std::uint64_t now_ms) noexcept;
  void on_connected(std::uint64_t now_ms) noexcept;
  void on_lost(LossReason reason, std::uint64_t now_ms, std::uint32_t random) noexcept;
  void on_refused(RefusalReason reason, std::uint64_t now_ms, std::uint32_t random) noexcept;
  void on_renewal_due(std::uint64_t now_ms) noexcept;
  // DPS assigned a hub: the next attempt goes there at once. The refusals in a row carry on (a hub that refuses
  // again meets longer waits), the count of lost attempts starts over (the network worked).
  void on_provisioned(std::uint64_t now_ms) noexcept;

  // The next thing to do now, or none. Call until none after every event and at next_deadline_ms().
  // `random` is used only when an attempt overruns connect_timeout_ms and a back-off must be chosen.
  SupervisorAction poll_action(std::uint64_t now_ms, std::uint32_t random) noexcept;
  std::uint64_t next_deadline_ms() const noexcept;

  SupervisorState state() const noexcept { return state_; }
  // Attempts made since the last successful connection (0 while connected or before the first loss).
  std::uint32_t attempt() const noexcept { return attempt_; }
  std::uint32_t max_attempts() const noexcept { return policy_.max_attempts; }
  std::uint32_t last_delay_ms() const noexcept { return last_delay_ms_; }  // the back-off just chosen
  std::uint64_t retry_at_ms() const noexcept { return retry_at_ms_; }
  LossReason last_loss() const noexcept { return last_loss_; }
  bool refused() const noexcept { return refused_; }
  std::uint32_t refusals() const noexcept { return refused_attempt_; }  // in a row, since the last connection
  RefusalReason last_refusal() const noexcept { return last_refusal_; }
  std::uint32_t connections() const noexcept { return connections_; }  // successful connections so far
  const SupervisorPolicy& policy() const noexcept { return policy_; }

 private:
  void finish_renewal(std::uint64_t now_ms) noexcept;
  void note_disowned(RefusalReason reason) noexcept;
  void schedule_retry(const Backoff& backoff, std::uint32_t attempt, std::uint64_t now_ms,
                      std::uint32_t random) noexcept;
  void begin_attempt(std::uint64_t now_ms) noexcept;

  SupervisorPolicy policy_;
  SupervisorState state_ = SupervisorState::idle;
  bool close_pending_ = false;
  bool resync_pending_ = false;
  bool open_pending_ = false;
  bool give_up_pending_ = false;
  bool refused_ = false;
  std::uint32_t attempt_ = 0;          // lost-connection attempts in a row
  std::uint32_t refused_attempt_ = 0;  // retries after refusals in a row
  std::uint32_t disowned_ = 0;         // CONNACK 4/5 from the assigned hub in a row, since the last registration
  bool reprovision_pending_ = false;
  std::uint32_t last_delay_ms_ = 0;
  std::uint32_t connections_ = 0;
  std::uint64_t retry_at_ms_ = no_deadline;
  std::uint64_t attempt_deadline_ms_ = no_deadline;
  std::uint64_t closing_deadline_ms_ = no_deadline;
  std::uint64_t resync_at_ms_ = 0;
  LossReason last_loss_ = LossReason::none;
  RefusalReason last_refusal_ = RefusalReason::not_authorized;
};

}  // namespace picohub::device
