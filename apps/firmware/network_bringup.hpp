// NetworkBringup: the board's way onto the LAN, one stage at a time and never blocking:
//
//   W5100S reset + VERSIONR check   (a chip that does not answer is reported by name and retried every 2 s)
//   -> Ethernet link                (waits, and says so, while no cable is in)
//   -> address                      (DHCP lease, or the config block's static address)
//   -> time                         (SNTP from DHCP option 42, else a public pool found through DNS)
//   -> ready
//
// Once ready it keeps the lease renewed, the clock resynced and the link watched; losing the link or the lease
// bumps epoch() so the hub connection starts over. It also resolves host names for the hub connection. Every
// stage that fails says on the console what failed and what it does next. Portable: W5100S driver + netstack
// + platform interfaces only, so host tests drive it against a fake chip.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "device/tutorial_app.hpp"
#include "drivers/w5100s/chip.hpp"
#include "drivers/w5100s/udp_socket.hpp"
#include "netstack/dhcp_client.hpp"
#include "netstack/dns_resolver.hpp"
#include "netstack/sntp_client.hpp"
#include "platform/clock.hpp"

namespace picohub::firmware {

// W5100S sockets: 0 carries the hub's TCP (TLS) connection, the others one UDP protocol each.
inline constexpr int hub_socket = 0, dhcp_socket = 1, dns_socket = 2, sntp_socket = 3;

enum class NetworkStage : std::uint8_t { chip_reset, chip_retry_wait, link_wait, addressing, time_sync, ready };

struct NetworkOptions {
  w5100s::MacAddress mac{};
  std::optional<netstack::DhcpLease> static_lease;  // from the config block; empty: DHCP
  std::string_view hostname;                        // DHCP option 12 (the device id); must outlive this
  std::string_view ntp_fallback = "pool.ntp.org";   // when DHCP offers no time server
  netstack::RandomSource random;                    // ids and jitter (need not be the TRNG)
};

enum class ResolveState : std::uint8_t { idle, pending, resolved, failed };

class NetworkBringup {
 public:
  NetworkBringup(w5100s::Chip& chip, platform::UnixClock& unix_clock, device::ConsoleSink& console,
                 const NetworkOptions& options) noexcept;
  NetworkBringup(const NetworkBringup&) = delete;
  NetworkBringup& operator=(const NetworkBringup&) = delete;

  void start(std::uint64_t now_ms) noexcept;
  void poll(std::uint64_t now_ms) noexcept;
  std::uint64_t next_deadline_ms() const noexcept;

  NetworkStage stage() const noexcept { return stage_; }
  bool ready() const noexcept { return stage_ == NetworkStage::ready; }
  // Bumped whenever the address goes away (link or lease lost): connections made before are dead.
  std::uint32_t epoch() const noexcept { return epoch_; }
  const netstack::DhcpLease* lease() const noexcept { return dhcp_.lease(); }
  std::uint32_t chip_retries() const noexcept { return chip_retries_; }

  // The hub refused a token: the clock may be wrong. Asks SNTP again (the next token is signed after it).
  void request_time_resync(std::uint64_t now_ms) noexcept;

  // One name at a time (IPv4 literals resolve at once). Needs ready().
  void resolve(std::string_view name, std::uint64_t now_ms) noexcept;
  ResolveState resolve_state() const noexcept { return resolve_state_; }
  netstack::Ipv4 resolved_address() const noexcept { return dns_.address(); }
  const char* resolve_failure() const noexcept { return netstack::to_string(dns_.failure()); }

 private:
  bool awaiting_reply() const noexcept;
  void poll_chip(std::uint64_t now_ms) noexcept;
  void poll_link(std::uint64_t now_ms) noexcept;
  void poll_dhcp(std::uint64_t now_ms) noexcept;
  void poll_time(std::uint64_t now_ms) noexcept;
  void poll_dns(std::uint64_t now_ms) noexcept;
  void on_link_up(std::uint64_t now_ms) noexcept;
  void on_address(std::uint64_t now_ms) noexcept;
  void start_time_sync(std::uint64_t now_ms) noexcept;
  void lose_network(const char* why, std::uint64_t now_ms) noexcept;
  void say(std::string_view line) noexcept { console_.write_line(line); }

  w5100s::Chip& chip_;
  platform::UnixClock& unix_clock_;
  device::ConsoleSink& console_;
  NetworkOptions options_;
  w5100s::UdpSocket dhcp_socket_;
  w5100s::UdpSocket dns_socket_;
  w5100s::UdpSocket sntp_socket_;
  netstack::DhcpClient dhcp_;
  netstack::DnsResolver dns_;
  netstack::SntpClient sntp_;
  std::array<std::uint8_t, 600> datagram_{};  // one UDP payload in or out (DHCP needs 548)

  NetworkStage stage_ = NetworkStage::chip_reset;
  std::uint64_t wake_ms_ = 0;  // chip retry / link poll / progress notes
  std::uint64_t last_poll_ms_ = 0;
  std::uint64_t stage_since_ms_ = 0;
  std::uint64_t next_note_ms_ = 0;
  std::uint64_t next_link_check_ms_ = 0;
  std::uint32_t epoch_ = 0;
  std::uint32_t chip_retries_ = 0;
  std::uint32_t sntp_failures_seen_ = 0;
  bool ntp_by_name_ = false;  // resolving options_.ntp_fallback before SNTP can start
  ResolveState resolve_state_ = ResolveState::idle;
};

}  // namespace picohub::firmware
