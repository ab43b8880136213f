// DNS stub resolver: the query byte for byte (RFC 1035 §4.1), answers with compression pointers, CNAME chains,
// NXDOMAIN/SERVFAIL by name, loops and cuts refused, retries, TTL cache, IPv4 literals.
#include <gtest/gtest.h>

#include <array>
#include <string_view>
#include <vector>

#include "netstack/dns_message.hpp"
#include "netstack/dns_resolver.hpp"
#include "netstack_test_util.hpp"

using namespace picohub::netstack;
using picohub::netstack::test::Bytes;
using picohub::netstack::test::ip;
using picohub::netstack::test::ScriptedRandom;

namespace {

constexpr std::uint16_t id = 0xBEEF;
constexpr Ipv4 dns_server = ip(192, 0, 2, 53);
constexpr std::string_view host = "hub.example.com";

Bytes& name(Bytes& b, std::string_view dotted) {
  while (!dotted.empty()) {
    const auto dot = dotted.find('.');
    const auto label = dotted.substr(0, dot);
    b.u8(static_cast<unsigned>(label.size())).text(label);
    dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
  }
  return b.u8(0);
}

// Header + the question for hub.example.com A IN (the question name sits at offset 12, ends at 33).
Bytes response(std::uint16_t flags, unsigned answers, unsigned authority = 0, unsigned additional = 0,
               std::uint16_t reply_id = id) {
  Bytes b;
  b.u16(reply_id).u16(flags).u16(1).u16(answers).u16(authority).u16(additional);
  name(b, host).u16(1).u16(1);
  return b;
}

Bytes& record_header(Bytes& b, unsigned type, std::uint32_t ttl, unsigned rdlength) {
  return b.u16(type).u16(1).u32(ttl).u16(rdlength);
}

Bytes simple_answer(std::uint32_t ttl = 300) {
  Bytes b = response(0x8180, 1);
  b.raw({0xC0, 0x0C});  // pointer to the question name
  record_header(b, 1, ttl, 4).ip(ip(192, 0, 2, 10));
  return b;
}

// hub.example.com CNAME edge.example.com CNAME x.cdn.net, x.cdn.net A 198.51.100.7; all names compressed.
Bytes cname_chain() {
  Bytes b = response(0x8180, 3);
  b.raw({0xC0, 0x0C});                                                 // answer 1 at 33
  record_header(b, 5, 300, 7).raw({4, 'e', 'd', 'g', 'e', 0xC0, 16});  // rdata at 45: edge + ->"example.com"
  b.raw({0xC0, 45});                                                   // answer 2 at 52, owner -> edge.example.com
  record_header(b, 5, 60, 11);
  name(b, "x.cdn.net");  // rdata at 64
  b.raw({0xC0, 64});     // answer 3 owner -> x.cdn.net
  record_header(b, 1, 120, 4).ip(ip(198, 51, 100, 7));
  return b;
}

TEST(DnsMessage, QueryIsByteExact) {
  std::array<std::uint8_t, dns_message_capacity> out{};
  auto n = build_dns_query(id, host, out);
  ASSERT_TRUE(n);
  Bytes expected;
  expected.u16(id).u16(0x0100).u16(1).u16(0).u16(0).u16(0);
  name(expected, host).u16(1).u16(1);
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + static_cast<long>(*n)), expected.b);
  auto with_dot = build_dns_query(id, "hub.example.com.", out);
  ASSERT_TRUE(with_dot);
  EXPECT_EQ(*with_dot, *n);
}

TEST(DnsMessage, RefusesNamesThatCannotBeQueried) {
  std::array<std::uint8_t, dns_message_capacity> out{};
  const std::string long_label(64, 'a');
  const std::string label63(63, 'a');
  const std::string long_name = label63 + "." + label63 + "." + label63 + "." + label63 + ".ab";  // 258 > 253
  for (std::string_view bad : {std::string_view{}, std::string_view{"."}, std::string_view{"a..b"},
                               std::string_view{".a"}, std::string_view{long_label}, std::string_view{long_name}})
    EXPECT_FALSE(build_dns_query(id, bad, out)) << bad;
  std::array<std::uint8_t, 20> small{};
  EXPECT_FALSE(build_dns_query(id, host, small));
}

TEST(DnsMessage, ReadsACompressedAnswer) {
  auto r = parse_dns_response(simple_answer(300).span(), id, host);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, DnsStatus::address);
  EXPECT_EQ(r->address, ip(192, 0, 2, 10));
  EXPECT_EQ(r->ttl_s, 300u);
  EXPECT_TRUE(parse_dns_response(simple_answer().span(), id, "HUB.Example.COM.")) << "names compare case-insensitively";
}

TEST(DnsMessage, FollowsACnameChainAndTakesTheSmallestTtl) {
  auto r = parse_dns_response(cname_chain().span(), id, host);
  ASSERT_TRUE(r) << r.error().what;
  EXPECT_EQ(r->status, DnsStatus::address);
  EXPECT_EQ(r->address, ip(198, 51, 100, 7));
  EXPECT_EQ(r->ttl_s, 60u);
}

TEST(DnsMessage, FollowsACnameWhoseTargetComesFirst) {
  Bytes b = response(0x8180, 2);
  name(b, "x.cdn.net");
  record_header(b, 1, 50, 4).ip(ip(203, 0, 113, 9));
  b.raw({0xC0, 0x0C});
  record_header(b, 5, 500, 11);
  name(b, "x.cdn.net");
  auto r = parse_dns_response(b.span(), id, host);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->address, ip(203, 0, 113, 9));
  EXPECT_EQ(r->ttl_s, 50u);
}

TEST(DnsMessage, IgnoresRecordsForOtherNamesAndTypes) {
  Bytes b = response(0x8180, 2, 1, 1);
  name(b, "other.example.com");
  record_header(b, 1, 50, 4).ip(ip(203, 0, 113, 1));
  b.raw({0xC0, 0x0C});
  record_header(b, 28, 50, 16).zeros(16);  // AAAA
  b.raw({0xC0, 16});                       // authority: example.com NS (rdata skipped)
  record_header(b, 2, 50, 2).raw({0xC0, 16});
  b.u8(0);  // additional: root OPT-like record
  record_header(b, 41, 0, 0);
  auto r = parse_dns_response(b.span(), id, host);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, DnsStatus::no_address);
}

TEST(DnsMessage, ReportsErrorCodesByName) {
  const auto status = [](std::uint16_t flags) {
    auto r = parse_dns_response(response(flags, 0).span(), id, host);
    return r ? r->status : DnsStatus::address;
  };
  EXPECT_EQ(status(0x8183), DnsStatus::nxdomain);
  EXPECT_EQ(status(0x8182), DnsStatus::servfail);
  EXPECT_EQ(status(0x8185), DnsStatus::refused);
  EXPECT_EQ(status(0x8184), DnsStatus::other_error);
  EXPECT_EQ(status(0x8380), DnsStatus::truncated);
  EXPECT_EQ(status(0x8180), DnsStatus::no_address);
  EXPECT_STREQ(to_string(DnsStatus::nxdomain), "NXDOMAIN (the name does not exist)");
}

TEST(DnsMessage, RefusesResponsesToOtherQueries) {
  EXPECT_FALSE(parse_dns_response(simple_answer().span(), id + 1, host)) << "wrong id";
  EXPECT_FALSE(parse_dns_response(simple_answer().span(), id, "hub.example.org")) << "other name";
  EXPECT_FALSE(parse_dns_response(simple_answer().span(), id, "hub.example")) << "shorter name";
  Bytes query = simple_answer();
  query.b[2] = 0x01;  // QR clear
  EXPECT_FALSE(parse_dns_response(query.span(), id, host));
  Bytes aaaa = simple_answer();
  aaaa.b[30] = 28;  // QTYPE AAAA
  EXPECT_FALSE(parse_dns_response(aaaa.span(), id, host));
}

TEST(DnsMessage, EveryTruncationIsRefused) {
  for (const Bytes& full : {simple_answer(), cname_chain()}) {
    ASSERT_TRUE(parse_dns_response(full.span(), id, host));
    for (std::size_t n = 0; n < full.size(); ++n)
      ASSERT_FALSE(parse_dns_response(full.span().first(n), id, host)) << "cut at " << n;
  }
}

TEST(DnsMessage, CompressionLoopsAreRefused) {
  Bytes self = response(0x8180, 1);
  self.raw({0xC0, 33});  // the answer's name points at itself
  record_header(self, 1, 60, 4).ip(ip(192, 0, 2, 10));
  EXPECT_FALSE(parse_dns_response(self.span(), id, host));

  Bytes question_loop;
  question_loop.u16(id).u16(0x8180).u16(1).u16(0).u16(0).u16(0).raw({0xC0, 12}).u16(1).u16(1);
  EXPECT_FALSE(parse_dns_response(question_loop.span(), id, host));

  // Two CNAME targets pointing at each other: a ping-pong the chain walker must not follow forever.
  Bytes ping_pong = response(0x8180, 1);
  ping_pong.raw({0xC0, 0x0C});
  record_header(ping_pong, 5, 60, 4).raw({0xC0, 47, 0xC0, 45});  // rdata at 45: ->47, 47: ->45
  auto r = parse_dns_response(ping_pong.span(), id, host);
  EXPECT_FALSE(r);

  // A CNAME chain that loops by name (a -> b -> a) ends as "no address", not a hang.
  Bytes name_loop = response(0x8180, 2);
  name_loop.raw({0xC0, 0x0C});
  record_header(name_loop, 5, 60, 8);
  name(name_loop, "b.test");  // rdata at 45
  name_loop.raw({0xC0, 45});
  record_header(name_loop, 5, 60, 2).raw({0xC0, 0x0C});
  auto loop = parse_dns_response(name_loop.span(), id, host);
  ASSERT_TRUE(loop);
  EXPECT_EQ(loop->status, DnsStatus::no_address);
}

TEST(DnsMessage, RefusesReservedLabelTypesAndOverlongNames) {
  Bytes reserved = simple_answer();
  reserved.b[33] = 0x80;
  EXPECT_FALSE(parse_dns_response(reserved.span(), id, host));
  // A pointer chain that builds a name over 255 bytes: 5 labels of 63 each.
  Bytes big = response(0x8180, 1);
  for (int i = 0; i < 5; ++i) big.u8(63).text(std::string(63, 'a'));
  big.u8(0);
  record_header(big, 1, 60, 4).ip(ip(192, 0, 2, 10));
  EXPECT_FALSE(parse_dns_response(big.span(), id, host));
}

class DnsResolverTest : public ::testing::Test {
 protected:
  std::optional<OutgoingDatagram> poll() { return resolver.poll_datagram(buf); }
  picohub::Result<void> deliver(const Bytes& b, std::uint64_t now) {
    return resolver.on_datagram(b.span(), dns_server, 53, now);
  }

  ScriptedRandom random{{id}, 0};
  DnsResolver resolver{DnsConfig{random.source()}};
  std::array<std::uint8_t, dns_message_capacity> buf{};
};

TEST_F(DnsResolverTest, ResolvesThroughTheServer) {
  resolver.start(0, host, dns_server);
  EXPECT_EQ(resolver.state(), DnsState::querying);
  auto d = poll();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to_ip, dns_server);
  EXPECT_EQ(d->to_port, 53);
  EXPECT_EQ(buf[0], 0xBE);
  EXPECT_EQ(buf[1], 0xEF);
  ASSERT_TRUE(deliver(simple_answer(), 40));
  EXPECT_EQ(resolver.state(), DnsState::resolved);
  EXPECT_EQ(resolver.address(), ip(192, 0, 2, 10));
  EXPECT_EQ(resolver.next_deadline_ms(), no_deadline);
}

TEST_F(DnsResolverTest, RetriesThreeTimesThenTimesOut) {
  resolver.start(0, host, dns_server);
  ASSERT_TRUE(poll());
  const std::vector<std::uint8_t> first(buf.begin(), buf.begin() + 33);
  EXPECT_EQ(resolver.next_deadline_ms(), 2'000u);
  resolver.on_time(1'999);
  EXPECT_FALSE(poll());
  resolver.on_time(2'000);
  ASSERT_TRUE(poll());
  EXPECT_EQ(std::vector<std::uint8_t>(buf.begin(), buf.begin() + 33), first) << "same query, same id";
  resolver.on_time(4'000);
  ASSERT_TRUE(poll());
  resolver.on_time(6'000);
  EXPECT_FALSE(poll());
  EXPECT_EQ(resolver.state(), DnsState::failed);
  EXPECT_EQ(resolver.failure(), DnsFailure::timeout);
}

TEST_F(DnsResolverTest, LateAnswerToAnEarlierTryIsAccepted) {
  resolver.start(0, host, dns_server);
  ASSERT_TRUE(poll());
  resolver.on_time(2'000);
  ASSERT_TRUE(poll());
  ASSERT_TRUE(deliver(simple_answer(), 2'100));
  EXPECT_EQ(resolver.state(), DnsState::resolved);
}

TEST_F(DnsResolverTest, NxdomainAndServfailFailByName) {
  resolver.start(0, host, dns_server);
  ASSERT_TRUE(poll());
  ASSERT_TRUE(deliver(response(0x8183, 0), 10));
  EXPECT_EQ(resolver.state(), DnsState::failed);
  EXPECT_EQ(resolver.failure(), DnsFailure::nxdomain);
  EXPECT_STREQ(to_string(resolver.failure()), "NXDOMAIN (the name does not exist)");

  random.values = {id};
  resolver.start(20, host, dns_server);
  ASSERT_TRUE(poll());
  ASSERT_TRUE(deliver(response(0x8182, 0), 30));
  EXPECT_EQ(resolver.failure(), DnsFailure::servfail);
}

TEST_F(DnsResolverTest, IgnoresStrangersAndGarbageThenAcceptsTheRealAnswer) {
  resolver.start(0, host, dns_server);
  ASSERT_TRUE(poll());
  EXPECT_FALSE(resolver.on_datagram(simple_answer().span(), ip(192, 0, 2, 99), 53, 1)) << "other server";
  EXPECT_FALSE(resolver.on_datagram(simple_answer().span(), dns_server, 5353, 1)) << "other port";
  EXPECT_FALSE(deliver(response(0x8180, 1, 0, 0, id ^ 1), 1)) << "other id";
  Bytes cut = simple_answer();
  cut.b.pop_back();
  EXPECT_FALSE(deliver(cut, 1));
  EXPECT_EQ(resolver.state(), DnsState::querying);
  EXPECT_TRUE(deliver(simple_answer(), 2));
}

TEST_F(DnsResolverTest, CachesOneNameForItsTtl) {
  resolver.start(0, host, dns_server);
  ASSERT_TRUE(poll());
  ASSERT_TRUE(deliver(simple_answer(300), 100));
  resolver.start(200'000, "HUB.example.com", dns_server);
  EXPECT_EQ(resolver.state(), DnsState::resolved);
  EXPECT_TRUE(resolver.answered_from_cache());
  EXPECT_EQ(resolver.address(), ip(192, 0, 2, 10));
  EXPECT_FALSE(poll());

  random.values = {id};
  resolver.start(300'100, host, dns_server);
  EXPECT_EQ(resolver.state(), DnsState::querying) << "TTL over: ask again";
  EXPECT_TRUE(poll());
}

TEST_F(DnsResolverTest, ZeroTtlIsNotCached) {
  resolver.start(0, host, dns_server);
  ASSERT_TRUE(poll());
  ASSERT_TRUE(deliver(simple_answer(0), 100));
  random.values = {id};
  resolver.start(101, host, dns_server);
  EXPECT_EQ(resolver.state(), DnsState::querying);
}

TEST_F(DnsResolverTest, Ipv4LiteralResolvesWithoutAQuery) {
  resolver.start(0, "192.0.2.10", dns_server);
  EXPECT_EQ(resolver.state(), DnsState::resolved);
  EXPECT_EQ(resolver.address(), ip(192, 0, 2, 10));
  EXPECT_FALSE(poll());
  EXPECT_EQ(random.calls, 0);
}

TEST_F(DnsResolverTest, InvalidNameFailsAtOnce) {
  resolver.start(0, "bad..name", dns_server);
  EXPECT_EQ(resolver.state(), DnsState::failed);
  EXPECT_EQ(resolver.failure(), DnsFailure::invalid_name);
  EXPECT_FALSE(poll());
}

}  // namespace
