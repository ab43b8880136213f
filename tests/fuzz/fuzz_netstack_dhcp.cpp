// libFuzzer target: arbitrary bytes as a DHCP server reply, to parse_dhcp_reply() and to a DhcpClient in every
// state that listens (selecting, requesting, renewing, rebinding), each reached with well-formed replies first.
// Invariants (abort on violation): a parsed reply has at most 2 DNS servers and a valid message type; the client
// has a lease exactly in the lease states; what it sends is a BOOTREQUEST of 300..548 bytes with the magic cookie
// to port 67; its deadline never lies in the past after on_time().
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "netstack/dhcp_client.hpp"
#include "netstack/dhcp_message.hpp"

using namespace picohub::netstack;

namespace {

constexpr std::uint32_t fuzz_xid = 0x01020304;  // seeds use this xid and MAC
constexpr MacAddress fuzz_mac{0x02, 0x00, 0x00, 0x12, 0x34, 0x56};
constexpr Ipv4 server{{192, 0, 2, 1}};

void check(bool ok) {
  if (!ok) std::abort();
}

std::uint32_t constant_xid(void*) { return fuzz_xid; }

// A well-formed reply of `type` (2 OFFER, 5 ACK) with a one-hour lease.
std::span<const std::uint8_t> reply(std::array<std::uint8_t, 300>& b, std::uint8_t type) {
  b.fill(0);
  b[0] = 2;
  b[1] = 1;
  b[2] = 6;
  b[4] = 1, b[5] = 2, b[6] = 3, b[7] = 4;
  b[16] = 192, b[17] = 0, b[18] = 2, b[19] = 50;
  for (std::size_t i = 0; i < 6; ++i) b[28 + i] = fuzz_mac[i];
  const std::uint8_t tail[] = {0x63, 0x82, 0x53, 0x63, 53, 1, type, 54, 4, 192, 0, 2, 1, 51, 4, 0, 0, 0x0E, 0x10, 255};
  for (std::size_t i = 0; i < sizeof tail; ++i) b[236 + i] = tail[i];
  return b;
}

void check_client(DhcpClient& c, std::uint64_t now) {
  const bool lease_state = c.state() == DhcpState::bound || c.state() == DhcpState::renewing ||
                           c.state() == DhcpState::rebinding || c.state() == DhcpState::static_config;
  check((c.lease() != nullptr) == lease_state);
  static std::array<std::uint8_t, dhcp_message_capacity> out;
  if (auto d = c.poll_datagram(out)) {
    check(d->size >= 300 && d->size <= out.size());
    check(out[0] == 1 && out[236] == 0x63 && out[239] == 0x63);
    check(d->to_port == dhcp_server_port);
  }
  while (c.poll_event()) {
  }
  c.on_time(now);
  check(c.next_deadline_ms() > now || c.next_deadline_ms() == no_deadline);
}

void fuzz_client(std::span<const std::uint8_t> in) {
  const DhcpConfig config{fuzz_mac, "fuzz", RandomSource{constant_xid, nullptr}};
  std::array<std::uint8_t, 300> good{};
  // 0: selecting, 1: requesting, 2: renewing, 3: rebinding
  for (int target = 0; target < 4; ++target) {
    DhcpClient c(config);
    std::uint64_t now = 0;
    c.start(now);
    check_client(c, now);
    if (target >= 1) check(c.on_datagram(reply(good, 2), server, 67, now).has_value());
    if (target >= 2) {
      check(c.on_datagram(reply(good, 5), server, 67, now).has_value());
      now = target == 2 ? 1'800'000 : 3'150'000;
      c.on_time(now);
    }
    check_client(c, now);
    (void)c.on_datagram(in, server, 67, now + 1);
    check_client(c, now + 1);
    (void)c.on_datagram(in, server, 67, now + 2);  // the same bytes again, now in whatever state it left
    check_client(c, now + 3'600'000);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  if (auto r = parse_dhcp_reply(in, fuzz_xid, fuzz_mac)) {
    check(in.size() >= 241);
    check(r->dns_count <= 2);
    const auto type = static_cast<unsigned>(r->type);
    check(type >= 1 && type <= 8);
  } else {
    check(r.error().what != nullptr);
  }
  fuzz_client(in);
  return 0;
}
