#include "network_bringup.hpp"

#include <algorithm>

#include "console_line.hpp"
#include "netstack/ipv4.hpp"
#include "utc_text.hpp"

namespace picohub::firmware {
namespace {

constexpr std::uint32_t chip_retry_ms = 2'000;
constexpr std::uint32_t link_check_ms = 250;
constexpr std::uint32_t still_waiting_ms = 15'000;  // how often a stage that waits says so again
constexpr std::uint16_t dns_local_port = 53'053, sntp_local_port = 50'123;
constexpr std::size_t max_datagrams_per_poll = 4;
constexpr std::uint32_t reply_poll_ms = 5;  // a flood of broadcasts cannot starve the main loop

w5100s::Ipv4 to_chip(netstack::Ipv4 address) noexcept { return address.octets; }
netstack::Ipv4 from_chip(const w5100s::Ipv4& address) noexcept { return netstack::Ipv4{address}; }

ConsoleLine& ip_text(ConsoleLine& line, netstack::Ipv4 address) noexcept {
  std::array<char, netstack::ipv4_text_capacity> text{};
  const std::size_t n = netstack::format_ipv4(address, text);
  return line << std::string_view(text.data(), n);
}

int prefix_length(netstack::Ipv4 mask) noexcept {
  std::uint32_t bits = mask.to_u32();
  int n = 0;
  while ((bits & 0x8000'0000u) != 0) {
    ++n;
    bits <<= 1;
  }
  return n;
}

// Moves datagrams between one W5100S UDP socket and one sans-I/O netstack client.
template <class Client>
void pump_udp(w5100s::UdpSocket& socket, Client& client, std::span<std::uint8_t> buffer,
              std::uint64_t now_ms) noexcept {
  if (!socket.is_open()) return;
  for (std::size_t i = 0; i < max_datagrams_per_poll; ++i) {
    auto datagram = socket.receive(buffer);
    if (!datagram) break;  // would_block, or garbage the driver already dropped and counted
    if (datagram->truncated()) continue;
    (void)client.on_datagram(buffer.first(datagram->size), from_chip(datagram->from.ip), datagram->from.port, now_ms);
  }
  client.on_time(now_ms);
  while (auto out = client.poll_datagram(buffer)) {
    // A datagram the chip cannot take now is lost like any UDP datagram; the client's own retry resends it.
    if (!socket.send_to({to_chip(out->to_ip), out->to_port}, buffer.first(out->size))) break;
  }
}

}  // namespace

NetworkBringup::NetworkBringup(w5100s::Chip& chip, platform::UnixClock& unix_clock, device::ConsoleSink& console,
                               const NetworkOptions& options) noexcept
    : chip_(chip),
      unix_clock_(unix_clock),
      console_(console),
      options_(options),
      dhcp_socket_(chip, dhcp_socket),
      dns_socket_(chip, dns_socket),
      sntp_socket_(chip, sntp_socket),
      dhcp_(netstack::DhcpConfig{options.mac, options.hostname, options.random, {}, 4}),
      dns_(netstack::DnsConfig{options.random, 2'000, 3, 86'400}),
      sntp_(netstack::SntpConfig{
          options.random, 3'000, {2'000, 64'000, 500}, 3'600'000, netstack::default_era_pivot_unix_s}) {}

void NetworkBringup::start(std::uint64_t now_ms) noexcept {
  stage_ = NetworkStage::chip_reset;
  stage_since_ms_ = now_ms;
  chip_.begin_reset(now_ms);
}

bool NetworkBringup::awaiting_reply() const noexcept {
  const netstack::DhcpState dhcp = dhcp_.state();
  return dhcp == netstack::DhcpState::selecting || dhcp == netstack::DhcpState::requesting ||
         dhcp == netstack::DhcpState::renewing || dhcp == netstack::DhcpState::rebinding ||
         dns_.state() == netstack::DnsState::querying || sntp_.state() == netstack::SntpState::waiting;
}

void NetworkBringup::poll(std::uint64_t now_ms) noexcept {
  last_poll_ms_ = now_ms;
  switch (stage_) {
    case NetworkStage::chip_reset:
    case NetworkStage::chip_retry_wait: poll_chip(now_ms); return;
    case NetworkStage::link_wait: poll_link(now_ms); return;
    case NetworkStage::addressing:
    case NetworkStage::time_sync:
    case NetworkStage::ready: break;
  }
  if (now_ms >= next_link_check_ms_) {
    next_link_check_ms_ = now_ms + link_check_ms;
    if (!chip_.link_up()) {
      lose_network("Ethernet link lost", now_ms);
      return;
    }
  }
  poll_dhcp(now_ms);
  if (stage_ == NetworkStage::time_sync || stage_ == NetworkStage::ready) poll_time(now_ms);
  poll_dns(now_ms);
}

std::uint64_t NetworkBringup::next_deadline_ms() const noexcept {
  switch (stage_) {
    case NetworkStage::chip_reset:
    case NetworkStage::chip_retry_wait:
    case NetworkStage::link_wait: return wake_ms_;
    case NetworkStage::addressing:
    case NetworkStage::time_sync:
    case NetworkStage::ready: break;
  }
  std::uint64_t deadline = std::min({next_link_check_ms_, dhcp_.next_deadline_ms(), dns_.next_deadline_ms()});
  if (stage_ != NetworkStage::addressing) deadline = std::min(deadline, sntp_.next_deadline_ms());
  // A reply has no deadline of its own and the loop does not wake on the chip's INTn yet: while one is due,
  // look every few milliseconds (an SPI register read), so a LAN's sub-millisecond answers are not held back
  // for a quarter second — which would also skew SNTP's round-trip correction.
  if (awaiting_reply()) deadline = std::min(deadline, last_poll_ms_ + reply_poll_ms);
  return deadline;
}

void NetworkBringup::poll_chip(std::uint64_t now_ms) noexcept {
  if (stage_ == NetworkStage::chip_retry_wait) {
    if (now_ms < wake_ms_) return;
    stage_ = NetworkStage::chip_reset;
    chip_.begin_reset(now_ms);
  }
  auto up = chip_.poll_reset(now_ms);
  if (!up) {
    std::array<char, 96> why{};
    const std::size_t n = chip_.describe_reset_failure(why);
    ConsoleLine line;
    line << std::string_view(why.data(), n) << "; retrying in 2 s";
    say(line.text());
    ++chip_retries_;
    stage_ = NetworkStage::chip_retry_wait;
    wake_ms_ = now_ms + chip_retry_ms;
    return;
  }
  if (!*up) {
    wake_ms_ = now_ms + 1;  // the reset sequence has its own short waits
    return;
  }
  // 4 KiB each way for the hub's TLS connection, the rest for the three UDP protocols.
  w5100s::ChipConfig config{};
  config.network.mac = options_.mac;
  config.buffers.tx_kib = {4, 2, 1, 1};
  config.buffers.rx_kib = {4, 2, 1, 1};
  if (auto r = chip_.configure(config); !r) {
    ConsoleLine line;
    line << "W5100S configuration failed: " << r.error().what << "; resetting it in 2 s";
    say(line.text());
    stage_ = NetworkStage::chip_retry_wait;
    wake_ms_ = now_ms + chip_retry_ms;
    return;
  }
  ConsoleLine line;
  line << "W5100S ready (VERSIONR=0x";
  line.number(chip_.version_read(), 16) << "), MAC ";
  for (std::size_t i = 0; i < options_.mac.size(); ++i) {
    if (i != 0) line << ":";
    if (options_.mac[i] < 16) line << "0";
    line.number(options_.mac[i], 16);
  }
  say(line.text());
  stage_ = NetworkStage::link_wait;
  stage_since_ms_ = now_ms;
  next_note_ms_ = now_ms + 1'000;  // a link that comes up at once needs no note
  wake_ms_ = now_ms;
}

void NetworkBringup::poll_link(std::uint64_t now_ms) noexcept {
  if (chip_.link_up()) {
    on_link_up(now_ms);
    return;
  }
  if (now_ms >= next_note_ms_) {
    say(now_ms - stage_since_ms_ < still_waiting_ms ? "waiting for the Ethernet link (cable plugged in?)"
                                                    : "still no Ethernet link; waiting");
    next_note_ms_ = now_ms + still_waiting_ms;
  }
  wake_ms_ = now_ms + link_check_ms;
}

void NetworkBringup::on_link_up(std::uint64_t now_ms) noexcept {
  say("Ethernet link up");
  stage_ = NetworkStage::addressing;
  stage_since_ms_ = now_ms;
  next_note_ms_ = now_ms + still_waiting_ms;
  next_link_check_ms_ = now_ms + link_check_ms;
  if (options_.static_lease) {
    dhcp_.start_static(*options_.static_lease, now_ms);
  } else {
    if (auto r = dhcp_socket_.open(68); !r) {
      lose_network("cannot open a UDP socket", now_ms);
      return;
    }
    say("DHCP: asking for an address");
    dhcp_.start(now_ms);
  }
  poll_dhcp(now_ms);
}

void NetworkBringup::poll_dhcp(std::uint64_t now_ms) noexcept {
  pump_udp(dhcp_socket_, dhcp_, datagram_, now_ms);
  while (auto event = dhcp_.poll_event()) {
    switch (*event) {
      case netstack::DhcpEvent::lease_acquired: on_address(now_ms); break;
      case netstack::DhcpEvent::lease_renewed: break;
      case netstack::DhcpEvent::nak_received: say("DHCP: NAK from the server; starting over"); break;
      case netstack::DhcpEvent::lease_lost: lose_network("DHCP lease lost", now_ms); return;
    }
  }
  if (stage_ == NetworkStage::addressing && now_ms >= next_note_ms_) {
    say("DHCP: no lease yet (is there a DHCP server?); still asking");
    next_note_ms_ = now_ms + still_waiting_ms;
  }
}

void NetworkBringup::on_address(std::uint64_t now_ms) noexcept {
  const netstack::DhcpLease& lease = *dhcp_.lease();
  w5100s::NetworkConfig network{options_.mac, to_chip(lease.ip), to_chip(lease.subnet_mask), to_chip(lease.gateway)};
  chip_.set_network(network);
  ConsoleLine line;
  line << (options_.static_lease ? "static address: " : "DHCP: ");
  ip_text(line, lease.ip) << "/";
  line.number(prefix_length(lease.subnet_mask)) << ", gateway ";
  ip_text(line, lease.gateway);
  if (lease.dns_count > 0) ip_text(line << ", DNS ", lease.dns[0]);
  if (!options_.static_lease && lease.lease_s != 0xFFFF'FFFFu) {
    line << ", lease ";
    line.number(lease.lease_s) << " s";
  }
  say(line.text());
  if (stage_ == NetworkStage::addressing) start_time_sync(now_ms);
}

void NetworkBringup::start_time_sync(std::uint64_t now_ms) noexcept {
  stage_ = NetworkStage::time_sync;
  stage_since_ms_ = now_ms;
  next_note_ms_ = now_ms + still_waiting_ms;
  sntp_failures_seen_ = 0;
  const netstack::DhcpLease& lease = *dhcp_.lease();
  (void)dns_socket_.open(dns_local_port);
  if (auto r = sntp_socket_.open(sntp_local_port); !r) {
    lose_network("cannot open a UDP socket", now_ms);
    return;
  }
  if (lease.ntp_count > 0) {
    ConsoleLine line;
    ip_text(line << "SNTP: asking ", lease.ntp[0]) << " (from DHCP) for the time";
    say(line.text());
    sntp_.start(now_ms, lease.ntp[0]);
    return;
  }
  if (lease.dns_count == 0) {
    say("SNTP: no time server and no DNS server from the network; TLS and SAS need the clock");
    return;
  }
  ConsoleLine line;
  line << "SNTP: no time server from DHCP; looking up " << options_.ntp_fallback;
  say(line.text());
  ntp_by_name_ = true;
  resolve_state_ = ResolveState::pending;
  dns_.start(now_ms, options_.ntp_fallback, lease.dns[0]);
}

void NetworkBringup::poll_time(std::uint64_t now_ms) noexcept {
  pump_udp(sntp_socket_, sntp_, datagram_, now_ms);
  if (auto sync = sntp_.poll_sync()) {
    unix_clock_.set(sync->unix_ms, sync->at_ms);
    ConsoleLine line;
    line << "SNTP: time is ";
    append_utc(line, sync->unix_ms / 1000) << " (round trip ";
    line.number(sync->round_trip_ms) << " ms)";
    say(line.text());
    if (stage_ == NetworkStage::time_sync) {
      stage_ = NetworkStage::ready;
      say("network ready");
    }
    sntp_failures_seen_ = 0;
  }
  if (sntp_.consecutive_failures() > sntp_failures_seen_) {
    sntp_failures_seen_ = sntp_.consecutive_failures();
    ConsoleLine line;
    line << "SNTP: no usable answer (" << netstack::to_string(sntp_.last_failure()) << "); trying again";
    say(line.text());
  }
}

void NetworkBringup::poll_dns(std::uint64_t now_ms) noexcept {
  pump_udp(dns_socket_, dns_, datagram_, now_ms);
  if (resolve_state_ != ResolveState::pending) return;
  if (dns_.state() == netstack::DnsState::querying) return;
  resolve_state_ = dns_.state() == netstack::DnsState::resolved ? ResolveState::resolved : ResolveState::failed;
  if (!ntp_by_name_) return;
  ntp_by_name_ = false;
  if (resolve_state_ == ResolveState::failed) {
    ConsoleLine line;
    line << "DNS: " << options_.ntp_fallback << " did not resolve (" << resolve_failure() << "); retrying";
    say(line.text());
    resolve_state_ = ResolveState::pending;
    ntp_by_name_ = true;
    dns_.start(now_ms, options_.ntp_fallback, dhcp_.lease()->dns[0]);
    return;
  }
  sntp_.start(now_ms, dns_.address());
}

void NetworkBringup::request_time_resync(std::uint64_t now_ms) noexcept {
  if (stage_ == NetworkStage::ready || stage_ == NetworkStage::time_sync) sntp_.request_resync(now_ms);
}

void NetworkBringup::resolve(std::string_view name, std::uint64_t now_ms) noexcept {
  const netstack::DhcpLease* lease = dhcp_.lease();
  if (lease == nullptr || lease->dns_count == 0) {
    // Only literal addresses can work without a DNS server; the resolver answers those at once.
    dns_.start(now_ms, name, netstack::Ipv4{});
  } else {
    dns_.start(now_ms, name, lease->dns[0]);
  }
  ntp_by_name_ = false;
  resolve_state_ = ResolveState::pending;
  poll_dns(now_ms);
}

void NetworkBringup::lose_network(const char* why, std::uint64_t now_ms) noexcept {
  ConsoleLine line;
  line << why << "; the hub connection restarts when the network is back";
  say(line.text());
  ++epoch_;
  dhcp_.stop();
  sntp_.stop();
  dhcp_socket_.close();
  dns_socket_.close();
  sntp_socket_.close();
  chip_.set_network(w5100s::NetworkConfig{options_.mac, {}, {}, {}});
  resolve_state_ = ResolveState::idle;
  ntp_by_name_ = false;
  stage_ = NetworkStage::link_wait;
  stage_since_ms_ = now_ms;
  next_note_ms_ = now_ms + 1'000;
  wake_ms_ = now_ms + link_check_ms;
}

}  // namespace picohub::firmware
