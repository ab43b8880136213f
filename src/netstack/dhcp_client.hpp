// DHCP client state machine (RFC 2131 §4.4), sans-I/O: fed datagrams (UDP payload + source) and the monotonic time,
// it hands back datagrams to send and its next deadline. INIT -> SELECTING (DISCOVER, wait OFFER) -> REQUESTING
// (REQUEST, wait ACK/NAK) -> BOUND -> at T1 RENEWING (unicast REQUEST to the server) -> at T2 REBINDING (broadcast)
// -> at expiry back to INIT. A static configuration skips all of it. No heap, never blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/error.hpp"
#include "netstack/dhcp_message.hpp"
#include "netstack/ipv4.hpp"
#include "netstack/retry_backoff.hpp"

namespace picohub::netstack {

struct DhcpLease {
  Ipv4 ip;
  Ipv4 subnet_mask;
  Ipv4 gateway;
  std::array<Ipv4, 2> dns{};
  std::uint8_t dns_count = 0;
  std::array<Ipv4, 2> ntp{};  // time servers the network offers (option 42); none: the caller's default
  std::uint8_t ntp_count = 0;
  std::uint32_t lease_s = 0;  // 0xFFFFFFFF = infinite (and for a static configuration)
  Ipv4 server_id;             // zero for a static configuration
};

enum class DhcpState : std::uint8_t { idle, selecting, requesting, bound, renewing, rebinding, static_config };

// What the caller must act on (reprogram the W5100S addresses, tell the user).
enum class DhcpEvent : std::uint8_t {
  lease_acquired,  // a new lease (or the static configuration): apply lease()
  lease_renewed,   // same address, new times; addresses unchanged
  lease_lost,      // NAK while bound or the lease expired: stop using the address (back to 0.0.0.0)
  nak_received,    // the server refused our REQUEST while selecting; DISCOVER restarts
};

const char* to_string(DhcpState state) noexcept;
const char* to_string(DhcpEvent event) noexcept;

struct DhcpConfig {
  MacAddress mac{};
  std::string_view hostname;       // option 12; the device id is a good default. Must outlive the client.
  RandomSource random;             // transaction ids and retransmission jitter
  RetryBackoff backoff{};          // RFC 2131 §4.1: 4 s doubling to 64 s, +-1 s
  std::uint8_t request_tries = 4;  // REQUESTs sent while REQUESTING before DISCOVER starts over
};

class DhcpClient {
 public:
  explicit DhcpClient(const DhcpConfig& config) noexcept : config_(config) {}

  void start(std::uint64_t now_ms) noexcept;                                 // INIT: DISCOVER now
  void start_static(const DhcpLease& lease, std::uint64_t now_ms) noexcept;  // no DHCP traffic at all
  void stop() noexcept;                                                      // idle, lease forgotten

  // A datagram received on the client socket (port 68). Refused ones (wrong xid/chaddr/op/cookie/port, malformed,
  // not expected in this state) leave the state unchanged; the error says why.
  Result<void> on_datagram(std::span<const std::uint8_t> payload, Ipv4 from, std::uint16_t from_port,
                           std::uint64_t now_ms) noexcept;
  void on_time(std::uint64_t now_ms) noexcept;
  // The datagram due now, if any, written into `buf` (at least dhcp_message_capacity bytes; otherwise it stays due).
  std::optional<OutgoingDatagram> poll_datagram(std::span<std::uint8_t> buf) noexcept;
  std::optional<DhcpEvent> poll_event() noexcept;
  std::uint64_t next_deadline_ms() const noexcept;

  DhcpState state() const noexcept { return state_; }
  // The address in use: set in bound, renewing, rebinding and static_config.
  const DhcpLease* lease() const noexcept;
  // Where the lease ends (monotonic ms); no_deadline for infinite and static leases.
  std::uint64_t lease_expires_at_ms() const noexcept { return expiry_ms_; }

 private:
  void enter_init(std::uint64_t now_ms) noexcept;
  void send_now(std::uint64_t now_ms) noexcept;
  void schedule_retry(std::uint64_t now_ms) noexcept;
  void on_offer(const DhcpReply& reply, std::uint64_t now_ms) noexcept;
  void on_ack(const DhcpReply& reply) noexcept;
  void on_nak(std::uint64_t now_ms) noexcept;
  void push(DhcpEvent event) noexcept;
  bool has_lease_state() const noexcept;

  DhcpConfig config_;
  DhcpState state_ = DhcpState::idle;
  DhcpLease lease_{};
  Ipv4 offered_ip_;
  Ipv4 offer_server_;
  std::uint32_t xid_ = 0;
  std::uint32_t attempt_ = 0;
  std::uint64_t exchange_started_ms_ = 0;  // for the secs field
  std::uint64_t request_sent_ms_ = 0;      // lease times count from when the REQUEST went out
  std::uint64_t retry_at_ms_ = no_deadline;
  std::uint64_t t1_ms_ = no_deadline, t2_ms_ = no_deadline, expiry_ms_ = no_deadline;
  bool send_due_ = false;
  std::uint16_t secs_ = 0;
  std::array<DhcpEvent, 4> events_{};
  std::uint8_t event_head_ = 0, event_count_ = 0;
};

}  // namespace picohub::netstack
