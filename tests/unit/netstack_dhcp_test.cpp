// DHCP client: messages byte for byte against RFC 2131/2132 layouts written out by hand, the full exchange, T1/T2/
// expiry with fake time, NAK, back-off, and replies that must be ignored (wrong xid/chaddr/op/cookie, every cut).
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "netstack/dhcp_client.hpp"
#include "netstack/dhcp_message.hpp"
#include "netstack_test_util.hpp"

using namespace picohub::netstack;
using picohub::netstack::test::Bytes;
using picohub::netstack::test::ip;
using picohub::netstack::test::ScriptedRandom;

namespace {

constexpr MacAddress mac{0x02, 0x00, 0x00, 0x12, 0x34, 0x56};
constexpr std::uint32_t xid = 0xA1B2C3D4;
constexpr std::uint32_t renew_xid = 0x0BADF00D;
constexpr Ipv4 server = ip(192, 0, 2, 1);
constexpr Ipv4 offered = ip(192, 0, 2, 50);
constexpr std::uint32_t no_jitter = 1000;  // 1000 % 2001 - 1000 == 0

Bytes& mac_bytes(Bytes& b) {
  for (auto o : mac) b.u8(o);
  return b;
}

// What a client message must look like, from the RFC 2131 figure, field by field.
Bytes expected_client_message(unsigned type, std::uint32_t id, std::uint16_t secs, Ipv4 ciaddr, Ipv4 requested,
                              Ipv4 server_id) {
  Bytes b;
  b.raw({1, 1, 6, 0}).u32(id).u16(secs).u16(ciaddr.is_zero() ? 0x8000 : 0).ip(ciaddr).zeros(12);
  mac_bytes(b).zeros(10).zeros(64).zeros(128).u32(0x63825363);
  b.raw({53, 1, type}).raw({61, 7, 1});
  mac_bytes(b);
  if (!requested.is_zero()) b.raw({50, 4}).ip(requested);
  if (!server_id.is_zero()) b.raw({54, 4}).ip(server_id);
  b.raw({12, 12}).text("picohub-dev1");
  b.raw({55, 8, 1, 3, 6, 15, 42, 51, 58, 59}).u8(255);
  if (b.size() < 300) b.zeros(300 - b.size());
  return b;
}

// A server reply as a DHCP server would send it. `options` excludes END, which is appended.
Bytes server_reply(std::uint32_t id, Ipv4 yiaddr, const Bytes& options, unsigned op = 2) {
  Bytes b;
  b.raw({op, 1, 6, 0}).u32(id).u16(0).u16(0x8000).zeros(4).ip(yiaddr).ip(server).zeros(4);
  mac_bytes(b).zeros(10).zeros(192).u32(0x63825363);
  b.b.insert(b.b.end(), options.b.begin(), options.b.end());
  b.u8(255);
  return b;
}

Bytes offer(std::uint32_t id = xid) {
  Bytes o;
  o.raw({53, 1, 2}).raw({54, 4}).ip(server).raw({51, 4}).u32(3600).raw({1, 4, 255, 255, 255, 0});
  return server_reply(id, offered, o);
}

Bytes ack(std::uint32_t id = xid, std::uint32_t lease_s = 3600, Ipv4 yiaddr = offered) {
  Bytes o;
  o.raw({53, 1, 5}).raw({54, 4}).ip(server).raw({51, 4}).u32(lease_s);
  o.raw({1, 4, 255, 255, 255, 0}).raw({3, 8}).ip(ip(192, 0, 2, 254)).ip(ip(192, 0, 2, 253));
  o.raw({6, 12}).ip(ip(192, 0, 2, 53)).ip(ip(198, 51, 100, 53)).ip(ip(203, 0, 113, 53));
  o.raw({42, 4}).ip(ip(192, 0, 2, 123));
  return server_reply(id, yiaddr, o);
}

Bytes nak(std::uint32_t id) {
  Bytes o;
  o.raw({53, 1, 6}).raw({54, 4}).ip(server);
  return server_reply(id, Ipv4{}, o);
}

class DhcpClientTest : public ::testing::Test {
 protected:
  std::optional<OutgoingDatagram> poll() { return client.poll_datagram(buf); }
  std::vector<std::uint8_t> sent(const OutgoingDatagram& d) {
    return {buf.begin(), buf.begin() + static_cast<long>(d.size)};
  }
  picohub::Result<void> deliver(const Bytes& b, std::uint64_t now, std::uint16_t port = 67) {
    return client.on_datagram(b.span(), server, port, now);
  }

  // DISCOVER at 0, OFFER, REQUEST at `at`, ACK: bound with a one-hour lease counted from `at`.
  void bind(std::uint64_t at = 1'000) {
    client.start(0);
    ASSERT_TRUE(poll());
    ASSERT_TRUE(deliver(offer(), at));
    ASSERT_TRUE(poll());
    ASSERT_TRUE(deliver(ack(), at + 10));
    ASSERT_EQ(client.state(), DhcpState::bound);
    ASSERT_EQ(client.poll_event(), DhcpEvent::lease_acquired);
  }

  ScriptedRandom random{{xid}, no_jitter};
  DhcpConfig config{mac, "picohub-dev1", random.source()};
  DhcpClient client{config};
  std::array<std::uint8_t, dhcp_message_capacity> buf{};
};

TEST_F(DhcpClientTest, DiscoverIsBroadcastAndByteExact) {
  client.start(0);
  EXPECT_EQ(client.state(), DhcpState::selecting);
  auto d = poll();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to_ip, ipv4_broadcast);
  EXPECT_EQ(d->to_port, 67);
  EXPECT_EQ(sent(*d), expected_client_message(1, xid, 0, {}, {}, {}).b);
  EXPECT_FALSE(poll()) << "one DISCOVER per send";
}

TEST_F(DhcpClientTest, OfferLeadsToBroadcastRequestWithRequestedIpAndServerId) {
  client.start(0);
  ASSERT_TRUE(poll());
  ASSERT_TRUE(deliver(offer(), 2'500));
  EXPECT_EQ(client.state(), DhcpState::requesting);
  auto d = poll();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to_ip, ipv4_broadcast);
  EXPECT_EQ(sent(*d), expected_client_message(3, xid, 2, {}, offered, server).b);
}

TEST_F(DhcpClientTest, AckBindsWithEveryLeaseField) {
  bind(1'000);
  const DhcpLease* lease = client.lease();
  ASSERT_NE(lease, nullptr);
  EXPECT_EQ(lease->ip, offered);
  EXPECT_EQ(lease->subnet_mask, ip(255, 255, 255, 0));
  EXPECT_EQ(lease->gateway, ip(192, 0, 2, 254));
  EXPECT_EQ(lease->dns_count, 2);
  EXPECT_EQ(lease->dns[0], ip(192, 0, 2, 53));
  EXPECT_EQ(lease->dns[1], ip(198, 51, 100, 53));
  EXPECT_EQ(lease->ntp_count, 1);
  EXPECT_EQ(lease->ntp[0], ip(192, 0, 2, 123));
  EXPECT_EQ(lease->lease_s, 3600u);
  EXPECT_EQ(lease->server_id, server);
  // T1 = lease/2, counted from when the REQUEST went out.
  EXPECT_EQ(client.next_deadline_ms(), 1'000u + 1'800'000u);
  EXPECT_EQ(client.lease_expires_at_ms(), 1'000u + 3'600'000u);
  EXPECT_FALSE(poll());
}

TEST_F(DhcpClientTest, RenewsAtT1WithUnicastRequestThenRebindsAtT2ThenLosesLeaseAtExpiry) {
  bind(0);
  random.values = {renew_xid};
  client.on_time(1'799'999);
  EXPECT_EQ(client.state(), DhcpState::bound);
  client.on_time(1'800'000);
  EXPECT_EQ(client.state(), DhcpState::renewing);
  auto d = poll();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to_ip, server) << "renewal goes to the server that leased the address";
  EXPECT_EQ(sent(*d), expected_client_message(3, renew_xid, 0, offered, {}, {}).b);

  // No answer: retransmit after half the time to T2 (T2 = 3150 s, so (3150-1800)/2 = 675 s).
  EXPECT_EQ(client.next_deadline_ms(), 1'800'000u + 675'000u);
  client.on_time(2'475'000);
  d = poll();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to_ip, server);

  client.on_time(3'150'000);
  EXPECT_EQ(client.state(), DhcpState::rebinding);
  d = poll();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to_ip, ipv4_broadcast) << "rebinding asks any server";
  EXPECT_EQ(sent(*d), expected_client_message(3, renew_xid, 1350, offered, {}, {}).b);
  EXPECT_NE(client.lease(), nullptr) << "the address stays usable until expiry";

  random.values = {0x5EED};
  client.on_time(3'600'000);
  EXPECT_EQ(client.state(), DhcpState::selecting);
  EXPECT_EQ(client.lease(), nullptr);
  EXPECT_EQ(client.poll_event(), DhcpEvent::lease_lost);
  d = poll();
  ASSERT_TRUE(d);
  EXPECT_EQ(sent(*d), expected_client_message(1, 0x5EED, 0, {}, {}, {}).b);
}

TEST_F(DhcpClientTest, AckWhileRenewingExtendsTheLease) {
  bind(0);
  random.values = {renew_xid};
  client.on_time(1'800'000);
  ASSERT_TRUE(poll());
  ASSERT_TRUE(deliver(ack(renew_xid, 7200), 1'800'050));
  EXPECT_EQ(client.state(), DhcpState::bound);
  EXPECT_EQ(client.poll_event(), DhcpEvent::lease_renewed);
  EXPECT_EQ(client.lease()->lease_s, 7200u);
  EXPECT_EQ(client.next_deadline_ms(), 1'800'000u + 3'600'000u);
  EXPECT_EQ(client.lease_expires_at_ms(), 1'800'000u + 7'200'000u);
}

TEST_F(DhcpClientTest, AckWithoutServerIdKeepsTheOfferingServerForRenewal) {
  client.start(0);
  ASSERT_TRUE(poll());
  ASSERT_TRUE(deliver(offer(), 0));
  ASSERT_TRUE(poll());
  Bytes o;
  o.raw({53, 1, 5}).raw({51, 4}).u32(3600);
  ASSERT_TRUE(deliver(server_reply(xid, offered, o), 0));
  EXPECT_EQ(client.lease()->server_id, server);
  client.on_time(1'800'000);
  auto d = poll();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to_ip, server);
}

TEST_F(DhcpClientTest, ServerT1AndT2AreHonoured) {
  client.start(0);
  ASSERT_TRUE(poll());
  ASSERT_TRUE(deliver(offer(), 0));
  ASSERT_TRUE(poll());
  Bytes o;
  o.raw({53, 1, 5}).raw({54, 4}).ip(server).raw({51, 4}).u32(1000).raw({58, 4}).u32(100).raw({59, 4}).u32(200);
  ASSERT_TRUE(deliver(server_reply(xid, offered, o), 0));
  EXPECT_EQ(client.next_deadline_ms(), 100'000u);
  client.on_time(100'000);
  EXPECT_EQ(client.state(), DhcpState::renewing);
  client.on_time(200'000);
  EXPECT_EQ(client.state(), DhcpState::rebinding);
}

TEST_F(DhcpClientTest, NakWhileRequestingRestartsDiscoveryWithANewXid) {
  client.start(0);
  ASSERT_TRUE(poll());
  ASSERT_TRUE(deliver(offer(), 100));
  ASSERT_TRUE(poll());
  random.values = {0x22222222};
  ASSERT_TRUE(deliver(nak(xid), 200));
  EXPECT_EQ(client.state(), DhcpState::selecting);
  EXPECT_EQ(client.poll_event(), DhcpEvent::nak_received);
  auto d = poll();
  ASSERT_TRUE(d);
  EXPECT_EQ(sent(*d), expected_client_message(1, 0x22222222, 0, {}, {}, {}).b);
}

TEST_F(DhcpClientTest, NakWhileRenewingLosesTheLease) {
  bind(0);
  random.values = {renew_xid};
  client.on_time(1'800'000);
  ASSERT_TRUE(poll());
  ASSERT_TRUE(deliver(nak(renew_xid), 1'800'100));
  EXPECT_EQ(client.state(), DhcpState::selecting);
  EXPECT_EQ(client.lease(), nullptr);
  EXPECT_EQ(client.poll_event(), DhcpEvent::lease_lost);
}

TEST_F(DhcpClientTest, DiscoverBacksOffFourSecondsDoublingToSixtyFour) {
  client.start(0);
  ASSERT_TRUE(poll());
  std::uint64_t now = 0;
  for (std::uint64_t expected_gap : {4'000u, 8'000u, 16'000u, 32'000u, 64'000u, 64'000u, 64'000u}) {
    EXPECT_EQ(client.next_deadline_ms() - now, expected_gap);
    now = client.next_deadline_ms();
    client.on_time(now - 1);
    EXPECT_FALSE(poll()) << "nothing before the deadline";
    client.on_time(now);
    auto d = poll();
    ASSERT_TRUE(d);
    EXPECT_EQ(sent(*d), expected_client_message(1, xid, static_cast<std::uint16_t>(now / 1000), {}, {}, {}).b)
        << "retransmissions keep the xid and count secs";
  }
}

TEST_F(DhcpClientTest, BackOffJitterStaysWithinOneSecond) {
  random.fallback = 0;  // most negative jitter
  client.start(0);
  EXPECT_EQ(client.next_deadline_ms(), 3'000u);
  DhcpClient other(config);
  random.values = {xid};
  random.fallback = 2000;  // most positive jitter
  other.start(0);
  EXPECT_EQ(other.next_deadline_ms(), 5'000u);
}

TEST_F(DhcpClientTest, UnansweredRequestsFallBackToDiscover) {
  client.start(0);
  ASSERT_TRUE(poll());
  ASSERT_TRUE(deliver(offer(), 0));
  ASSERT_TRUE(poll());
  for (int i = 0; i < 3; ++i) {
    client.on_time(client.next_deadline_ms());
    auto d = poll();
    ASSERT_TRUE(d);
    EXPECT_EQ(buf[242], 3) << "still a REQUEST";
  }
  client.on_time(client.next_deadline_ms());
  EXPECT_EQ(client.state(), DhcpState::selecting);
  ASSERT_TRUE(poll());
  EXPECT_EQ(buf[242], 1) << "back to DISCOVER";
}

TEST_F(DhcpClientTest, RepliesForSomeoneElseAreIgnored) {
  client.start(0);
  ASSERT_TRUE(poll());
  EXPECT_FALSE(deliver(offer(xid + 1), 10)) << "wrong xid";
  Bytes other_mac = offer();
  other_mac.b[33] ^= 1;
  EXPECT_FALSE(deliver(other_mac, 10)) << "wrong chaddr";
  Bytes request_op = offer();
  request_op.b[0] = 1;
  EXPECT_FALSE(deliver(request_op, 10)) << "op 1 is a request";
  Bytes cookie = offer();
  cookie.b[239] ^= 0xFF;
  EXPECT_FALSE(deliver(cookie, 10)) << "bad magic cookie";
  EXPECT_FALSE(deliver(offer(), 10, 68)) << "not from port 67";
  EXPECT_FALSE(deliver(ack(), 10)) << "ACK while selecting";
  EXPECT_EQ(client.state(), DhcpState::selecting);
  EXPECT_FALSE(poll());
  EXPECT_TRUE(deliver(offer(), 10));
}

TEST_F(DhcpClientTest, EveryTruncationOfAValidOfferIsRefused) {
  client.start(0);
  ASSERT_TRUE(poll());
  const Bytes full = offer();
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto r = client.on_datagram(full.span().first(n), server, 67, 10);
    ASSERT_FALSE(r) << "cut at " << n;
    ASSERT_EQ(client.state(), DhcpState::selecting);
  }
  EXPECT_TRUE(deliver(full, 10));
}

TEST_F(DhcpClientTest, EveryTruncationOfAValidAckIsRefusedByTheParser) {
  const Bytes full = ack();
  for (std::size_t n = 0; n < full.size(); ++n)
    ASSERT_FALSE(parse_dhcp_reply(full.span().first(n), xid, mac)) << "cut at " << n;
  auto r = parse_dhcp_reply(full.span(), xid, mac);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, DhcpMessageType::ack);
}

TEST(DhcpReplyParser, RefusesMalformedOptions) {
  const auto check = [](std::initializer_list<unsigned> options, const char* why) {
    Bytes o;
    o.raw(options);
    EXPECT_FALSE(parse_dhcp_reply(server_reply(xid, offered, o).span(), xid, mac)) << why;
  };
  check({54, 4, 192, 0, 2, 1}, "no message type");
  check({53, 2, 2, 0}, "message type of two bytes");
  check({53, 1, 9}, "unknown message type");
  check({53, 1, 2, 54, 3, 1, 2, 3}, "3-byte server id");
  check({53, 1, 2, 51, 2, 0, 1}, "2-byte lease time");
  check({53, 1, 2, 6, 5, 1, 2, 3, 4, 5}, "DNS list not n*4");
  check({53, 1, 2, 3, 0}, "empty router list");
  // Padding and unknown options are fine.
  Bytes fine;
  fine.raw({0, 0, 53, 1, 2, 0, 200, 3, 1, 2, 3, 15, 3, 'l', 'a', 'n'});
  EXPECT_TRUE(parse_dhcp_reply(server_reply(xid, offered, fine).span(), xid, mac));
}

TEST_F(DhcpClientTest, StaticModeYieldsTheConfiguredLeaseWithoutTraffic) {
  DhcpLease fixed;
  fixed.ip = ip(192, 0, 2, 77);
  fixed.subnet_mask = ip(255, 255, 255, 0);
  fixed.gateway = ip(192, 0, 2, 1);
  fixed.dns = {ip(192, 0, 2, 53), Ipv4{}};
  fixed.dns_count = 1;
  client.start_static(fixed, 0);
  EXPECT_EQ(client.state(), DhcpState::static_config);
  EXPECT_EQ(client.poll_event(), DhcpEvent::lease_acquired);
  ASSERT_NE(client.lease(), nullptr);
  EXPECT_EQ(client.lease()->ip, fixed.ip);
  EXPECT_EQ(client.lease()->gateway, fixed.gateway);
  EXPECT_EQ(client.next_deadline_ms(), no_deadline);
  client.on_time(1'000'000'000);
  EXPECT_FALSE(poll());
  EXPECT_FALSE(deliver(ack(), 1));
  EXPECT_EQ(client.state(), DhcpState::static_config);
}

TEST_F(DhcpClientTest, SmallBufferLeavesTheDatagramDue) {
  client.start(0);
  std::array<std::uint8_t, 100> small{};
  EXPECT_FALSE(client.poll_datagram(small));
  EXPECT_TRUE(poll());
}

TEST_F(DhcpClientTest, LongHostnameIsCutTo63Bytes) {
  DhcpRequestFields f;
  f.xid = 1;
  f.mac = mac;
  const std::string long_name(100, 'h');
  f.hostname = long_name;
  ASSERT_TRUE(build_dhcp_message(f, buf));
  // 53 (3 bytes) + 61 (9 bytes) come first, then option 12.
  EXPECT_EQ(buf[240 + 12], 12);
  EXPECT_EQ(buf[240 + 13], 63);
}

}  // namespace
