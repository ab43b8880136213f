// SNTP client: request byte for byte (RFC 4330 §4), reply checks (mode, stratum, originate, LI, kiss-o'-death),
// time = transmit + half the network round trip, era handling across 2036, resync and back-off with fake time.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "netstack/sntp_client.hpp"
#include "netstack/sntp_message.hpp"
#include "netstack_test_util.hpp"

using namespace picohub::netstack;
using picohub::netstack::test::Bytes;
using picohub::netstack::test::ip;
using picohub::netstack::test::ScriptedRandom;

namespace {

constexpr Ipv4 time_server = ip(192, 0, 2, 123);
constexpr std::uint64_t nonce = 0x1122334455667788;
constexpr std::uint32_t t3_seconds = 0xEEBC56D0;  // 2026-12-03 21:00:00 UTC since 1900
constexpr std::uint64_t t3_unix_ms = 1'796'331'600'000;

struct Reply {
  unsigned first = 0x24;  // LI 0, VN 4, mode 4
  unsigned stratum = 2;
  std::array<unsigned, 4> reference_id{192, 0, 2, 1};
  std::uint64_t originate = nonce;
  std::uint64_t receive = (std::uint64_t{t3_seconds} << 32) | 0x40000000;   // .250
  std::uint64_t transmit = (std::uint64_t{t3_seconds} << 32) | 0x80000000;  // .500

  Bytes bytes() const {
    Bytes b;
    b.u8(first).u8(stratum).u8(6).u8(0xEC).u32(0).u32(0);
    for (auto v : reference_id) b.u8(v);
    b.u32(t3_seconds - 60).u32(0);  // reference timestamp
    b.u32(static_cast<std::uint32_t>(originate >> 32)).u32(static_cast<std::uint32_t>(originate));
    b.u32(static_cast<std::uint32_t>(receive >> 32)).u32(static_cast<std::uint32_t>(receive));
    b.u32(static_cast<std::uint32_t>(transmit >> 32)).u32(static_cast<std::uint32_t>(transmit));
    return b;
  }
};

TEST(SntpMessage, RequestIsByteExact) {
  std::array<std::uint8_t, sntp_message_size> out{};
  ASSERT_EQ(build_sntp_request(nonce, out), 48u);
  Bytes expected;
  expected.u8(0x23).zeros(39).raw({0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88});
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.end()), expected.b);
  std::array<std::uint8_t, 47> small{};
  EXPECT_FALSE(build_sntp_request(nonce, small));
}

TEST(SntpMessage, ConvertsNtpTimeToUnixWithTheRightEra) {
  EXPECT_EQ(ntp_to_unix_ms(std::uint64_t{t3_seconds} << 32), t3_unix_ms);
  EXPECT_EQ(ntp_to_unix_ms((std::uint64_t{t3_seconds} << 32) | 0x80000000), t3_unix_ms + 500);
  EXPECT_EQ(ntp_to_unix_ms((std::uint64_t{t3_seconds} << 32) | 0xFFFFFFFF), t3_unix_ms + 999);
  // 2024-01-01 itself, the default pivot.
  EXPECT_EQ(ntp_to_unix_ms(std::uint64_t{3'913'056'000} << 32), 1'704'067'200'000u);
  // Era 1 starts 2036-02-07 06:28:16 UTC = Unix 2085978496; small seconds are after it, not in 1900.
  EXPECT_EQ(ntp_to_unix_ms(0), 2'085'978'496'000u);
  EXPECT_EQ(ntp_to_unix_ms(std::uint64_t{100} << 32), 2'085'978'596'000u);
  EXPECT_EQ(ntp_to_unix_ms(std::uint64_t{0xFFFFFFFF} << 32), 2'085'978'495'000u);
  // A later pivot moves the window: 1970 in era 0 becomes 2106 in era 1.
  EXPECT_EQ(ntp_to_unix_ms(std::uint64_t{2'208'988'800} << 32, 2'085'978'496), 4'294'967'296'000u);
}

TEST(SntpMessage, RefusesWhatIsNotOurReply) {
  Reply r;
  EXPECT_TRUE(parse_sntp_reply(r.bytes().span(), nonce));
  EXPECT_FALSE(parse_sntp_reply(r.bytes().span(), nonce + 1)) << "originate mismatch";
  for (unsigned mode : {0u, 1u, 2u, 3u, 5u, 6u, 7u}) {
    Reply m;
    m.first = 0x20 | mode;
    EXPECT_FALSE(parse_sntp_reply(m.bytes().span(), nonce)) << "mode " << mode;
  }
  const Bytes full = r.bytes();
  for (std::size_t n = 0; n < full.size(); ++n) ASSERT_FALSE(parse_sntp_reply(full.span().first(n), nonce)) << n;
}

TEST(SntpMessage, JudgesServerAnswersThatGiveNoTime) {
  const auto verdict = [](Reply r) { return parse_sntp_reply(r.bytes().span(), nonce)->verdict; };
  Reply ok;
  EXPECT_EQ(verdict(ok), SntpVerdict::usable);
  Reply kod;
  kod.stratum = 0;
  kod.reference_id = {'R', 'A', 'T', 'E'};
  EXPECT_EQ(verdict(kod), SntpVerdict::kiss_of_death);
  auto kiss = parse_sntp_reply(kod.bytes().span(), nonce);
  EXPECT_EQ(std::string(kiss->kiss_code.data(), 4), "RATE");
  Reply alarm;
  alarm.first = 0xE4;  // LI 3
  EXPECT_EQ(verdict(alarm), SntpVerdict::unsynchronized);
  Reply stratum16;
  stratum16.stratum = 16;
  EXPECT_EQ(verdict(stratum16), SntpVerdict::bad_stratum);
  Reply stratum15;
  stratum15.stratum = 15;
  EXPECT_EQ(verdict(stratum15), SntpVerdict::usable);
  Reply no_time;
  no_time.transmit = 0;
  EXPECT_EQ(verdict(no_time), SntpVerdict::no_transmit_time);
  Reply v3;
  v3.first = 0x1C;  // VN 3 servers answer too
  EXPECT_EQ(verdict(v3), SntpVerdict::usable);
}

class SntpClientTest : public ::testing::Test {
 protected:
  std::optional<OutgoingDatagram> poll() { return client.poll_datagram(buf); }
  picohub::Result<void> deliver(const Reply& r, std::uint64_t now) {
    return client.on_datagram(r.bytes().span(), time_server, 123, now);
  }

  ScriptedRandom random{{0x11223344, 0x55667788}, 250};  // 250 % 1001 - 500: 250 ms early
  SntpClient client{SntpConfig{random.source()}};
  std::array<std::uint8_t, sntp_message_size> buf{};
};

TEST_F(SntpClientTest, SyncsToTransmitTimePlusHalfTheNetworkRoundTrip) {
  client.start(1'000, time_server);
  auto d = poll();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->to_ip, time_server);
  EXPECT_EQ(d->to_port, 123);
  EXPECT_EQ(d->size, 48u);
  EXPECT_EQ(buf[0], 0x23);
  ASSERT_TRUE(deliver(Reply{}, 1'600));
  EXPECT_EQ(client.state(), SntpState::synced);
  auto sync = client.poll_sync();
  ASSERT_TRUE(sync);
  // Round trip 600 ms, server held it 250 ms: 350 ms on the network, half of it on the way back.
  EXPECT_EQ(sync->unix_ms, t3_unix_ms + 500 + 175);
  EXPECT_EQ(sync->at_ms, 1'600u);
  EXPECT_EQ(sync->round_trip_ms, 600u);
  EXPECT_FALSE(client.poll_sync()) << "one sync per reply";
  EXPECT_EQ(client.next_deadline_ms(), 1'600u + 3'600'000u);
}

TEST_F(SntpClientTest, ImplausibleServerHoldTimeIsIgnored) {
  client.start(0, time_server);
  ASSERT_TRUE(poll());
  Reply r;
  r.receive = r.transmit + (std::uint64_t{1} << 32);  // received after it was sent
  ASSERT_TRUE(deliver(r, 100));
  EXPECT_EQ(client.poll_sync()->unix_ms, t3_unix_ms + 500 + 50);
}

TEST_F(SntpClientTest, SyncAcrossTheEraRollover) {
  client.start(0, time_server);
  ASSERT_TRUE(poll());
  Reply r;
  r.receive = (std::uint64_t{0xFFFFFFFF} << 32) | 0xC0000000;  // 2036-02-07 06:28:15.750
  r.transmit = (std::uint64_t{0} << 32) | 0x40000000;          // 2036-02-07 06:28:16.250 (era 1)
  ASSERT_TRUE(deliver(r, 1'000));
  // hold 500 ms (computed across the wrap), network 500 ms, half = 250.
  EXPECT_EQ(client.poll_sync()->unix_ms, 2'085'978'496'000u + 250 + 250);
}

TEST_F(SntpClientTest, RepliesThatAreNotOursAreIgnored) {
  client.start(0, time_server);
  ASSERT_TRUE(poll());
  Reply wrong_originate;
  wrong_originate.originate = nonce ^ 1;
  EXPECT_FALSE(deliver(wrong_originate, 10));
  Reply client_mode;
  client_mode.first = 0x23;
  EXPECT_FALSE(deliver(client_mode, 10));
  EXPECT_FALSE(client.on_datagram(Reply{}.bytes().span(), ip(192, 0, 2, 66), 123, 10)) << "other server";
  EXPECT_FALSE(client.on_datagram(Reply{}.bytes().span(), time_server, 1234, 10)) << "other port";
  EXPECT_EQ(client.state(), SntpState::waiting);
  EXPECT_FALSE(client.poll_sync());
  EXPECT_TRUE(deliver(Reply{}, 20));
}

TEST_F(SntpClientTest, KissOfDeathBacksOffTheLongestAndKeepsTheCode) {
  client.start(0, time_server);
  ASSERT_TRUE(poll());
  Reply kod;
  kod.stratum = 0;
  kod.reference_id = {'D', 'E', 'N', 'Y'};
  EXPECT_FALSE(deliver(kod, 50));
  EXPECT_EQ(client.state(), SntpState::backing_off);
  EXPECT_EQ(client.last_failure(), SntpFailure::kiss_of_death);
  EXPECT_EQ(std::string(client.kiss_code().data(), 4), "DENY");
  EXPECT_EQ(client.next_deadline_ms(), 50u + 64'000u);
  EXPECT_FALSE(client.poll_sync());
}

TEST_F(SntpClientTest, BadStratumAndLeapAlarmEndTheTry) {
  client.start(0, time_server);
  ASSERT_TRUE(poll());
  Reply bad;
  bad.stratum = 16;
  EXPECT_FALSE(deliver(bad, 10));
  EXPECT_EQ(client.last_failure(), SntpFailure::bad_stratum);
  EXPECT_EQ(client.state(), SntpState::backing_off);

  random.values = {0x11223344, 0x55667788};
  client.on_time(client.next_deadline_ms());
  ASSERT_TRUE(poll());
  Reply alarm;
  alarm.first = 0xE4;
  EXPECT_FALSE(deliver(alarm, client.next_deadline_ms() - 1));
  EXPECT_EQ(client.last_failure(), SntpFailure::unsynchronized);
  EXPECT_EQ(client.consecutive_failures(), 2u);
}

TEST_F(SntpClientTest, TimeoutsBackOffWithJitterAndNeverGiveUp) {
  client.start(0, time_server);
  ASSERT_TRUE(poll());
  std::uint64_t now = 0;
  // timeout 3 s, then back-off 2, 4, 8, ... 64 s, each 250 ms early (scripted jitter).
  for (std::uint64_t wait : {1'750u, 3'750u, 7'750u, 15'750u, 31'750u, 63'750u, 63'750u, 63'750u}) {
    now += 3'000;
    EXPECT_EQ(client.next_deadline_ms(), now);
    client.on_time(now);
    EXPECT_EQ(client.state(), SntpState::backing_off);
    EXPECT_EQ(client.last_failure(), SntpFailure::timeout);
    EXPECT_FALSE(poll());
    now += wait;
    EXPECT_EQ(client.next_deadline_ms(), now);
    client.on_time(now);
    EXPECT_EQ(client.state(), SntpState::waiting);
    ASSERT_TRUE(poll());
  }
}

TEST_F(SntpClientTest, ResyncsHourlyAndOnRequest) {
  client.start(0, time_server);
  ASSERT_TRUE(poll());
  ASSERT_TRUE(deliver(Reply{}, 100));
  ASSERT_TRUE(client.poll_sync());

  random.values = {0x11223344, 0x55667788};
  client.request_resync(60'000);
  EXPECT_EQ(client.state(), SntpState::waiting);
  ASSERT_TRUE(poll());
  client.request_resync(60'001);  // already asking: no second request
  EXPECT_FALSE(poll());
  ASSERT_TRUE(deliver(Reply{}, 60'100));
  ASSERT_TRUE(client.poll_sync());
  EXPECT_EQ(client.next_deadline_ms(), 60'100u + 3'600'000u);

  random.values = {0x11223344, 0x55667788};
  client.on_time(3'660'099);
  EXPECT_FALSE(poll());
  client.on_time(3'660'100);
  EXPECT_EQ(client.state(), SntpState::waiting);
  ASSERT_TRUE(poll());
  EXPECT_TRUE(client.has_synced());
}

TEST_F(SntpClientTest, EachRequestCarriesAFreshNonce) {
  client.start(0, time_server);
  ASSERT_TRUE(poll());
  client.on_time(3'000);  // timeout: draws the back-off jitter
  random.values = {0xAAAAAAAA, 0xBBBBBBBB};
  client.on_time(client.next_deadline_ms());
  ASSERT_TRUE(poll());
  EXPECT_EQ(buf[40], 0xAA);
  EXPECT_EQ(buf[47], 0xBB);
  EXPECT_FALSE(deliver(Reply{}, client.next_deadline_ms() - 1)) << "answer to the old nonce";
}

TEST(SntpClient, ABrokenRandomSourceStillGivesANonZeroNonceWithoutLooping) {
  ScriptedRandom zeros{{}, 0};
  SntpClient client{SntpConfig{zeros.source()}};
  client.start(0, time_server);
  std::array<std::uint8_t, sntp_message_size> out{};
  ASSERT_TRUE(client.poll_datagram(out));
  EXPECT_EQ(out[47], 1);
  EXPECT_EQ(zeros.calls, 2);
}

}  // namespace
