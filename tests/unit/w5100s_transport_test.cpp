// W5100sTcpTransport against the net::Transport contract: connect steps, wants(), would_block, short writes,
// orderly end of stream, errors with static messages (link down, refused, timeout), reconnect after close().
#include <string>

#include "drivers/w5100s/tcp_transport.hpp"
#include "w5100s_test_util.hpp"

namespace picohub::w5100s::testing {
namespace {

class W5100sTransportTest : public W5100sTest {
 protected:
  void SetUp() override { bring_up(); }
  void connect() {
    ASSERT_TRUE(transport.start_connect({192, 0, 2, 10}, 8883));
    fake.establish(0);
    auto up = transport.poll_connect();
    ASSERT_TRUE(up && *up);
  }
  W5100sTcpTransport transport{chip, 0};
};

TEST_F(W5100sTransportTest, PollConnectReturnsFalseUntilEstablishedThenTrueForGood) {
  ASSERT_TRUE(transport.start_connect({192, 0, 2, 10}, 8883));
  EXPECT_EQ(transport.last_error_detail(), "192.0.2.10:8883");
  EXPECT_EQ(transport.wants(), net::Wait::writable);
  for (int i = 0; i < 3; ++i) {
    auto pending = transport.poll_connect();
    ASSERT_TRUE(pending);
    EXPECT_FALSE(*pending);
  }
  fake.establish(0);
  EXPECT_TRUE(*transport.poll_connect());
  EXPECT_TRUE(*transport.poll_connect());
  EXPECT_EQ(transport.wants(), net::Wait::readable);
}

TEST_F(W5100sTransportTest, LinkDownIsNotConnectedWithAHint) {
  fake.set_link(false);
  auto started = transport.start_connect({192, 0, 2, 10}, 8883);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, Errc::not_connected);
  EXPECT_NE(std::string(started.error().what).find("link is down"), std::string::npos);
  EXPECT_EQ(transport.poll_connect().error().code, Errc::not_connected);
}

TEST_F(W5100sTransportTest, LinkLostWhileConnectingFailsTheConnect) {
  ASSERT_TRUE(transport.start_connect({192, 0, 2, 10}, 8883));
  fake.set_link(false);
  auto result = transport.poll_connect();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::not_connected);
}

TEST_F(W5100sTransportTest, ChipNotResetIsNotConnected) {
  FakeChip other;
  Chip cold(other, other.reset_pin());
  W5100sTcpTransport t(cold, 0);
  auto started = t.start_connect({192, 0, 2, 10}, 8883);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, Errc::not_connected);
}

TEST_F(W5100sTransportTest, RefusedAndTimedOutConnectsAreDistinctErrors) {
  ASSERT_TRUE(transport.start_connect({192, 0, 2, 10}, 8883));
  fake.refuse(0);
  auto refused = transport.poll_connect();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::connect_failed);
  EXPECT_EQ(transport.poll_connect().error().code, Errc::connect_failed);  // stays failed until restarted

  ASSERT_TRUE(transport.start_connect({192, 0, 2, 10}, 8883));
  fake.time_out(0);
  auto timed_out = transport.poll_connect();
  ASSERT_FALSE(timed_out);
  EXPECT_EQ(timed_out.error().code, Errc::timeout);
}

TEST_F(W5100sTransportTest, ReadWouldBlockUntilBytesArrive) {
  connect();
  std::vector<std::uint8_t> out(64);
  auto none = transport.read(out);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::would_block);
  EXPECT_EQ(transport.wants(), net::Wait::readable);
  fake.deliver(0, pattern(12));
  auto n = transport.read(out);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 12u);
}

TEST_F(W5100sTransportTest, ShortWriteThenTheRestIsOfferedAgain) {
  connect();
  auto data = pattern(3000);
  std::span<const std::uint8_t> rest(data);
  auto n = transport.write(rest);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2048u);
  rest = rest.subspan(*n);
  n = transport.write(rest);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, rest.size());
  EXPECT_EQ(fake.tcp_sent(0), data);
}

TEST_F(W5100sTransportTest, WriteWouldBlockWhileASendIsInFlightAndWantsWritable) {
  fake.defer_sendok = true;
  connect();
  auto data = pattern(100);
  ASSERT_TRUE(transport.write(data));
  auto blocked = transport.write(data);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, Errc::would_block);
  EXPECT_EQ(transport.wants(), net::Wait::writable);
  fake.complete_send(0);
  ASSERT_TRUE(transport.write(data));
  EXPECT_EQ(fake.tcp_sent(0).size(), 200u);
}

TEST_F(W5100sTransportTest, PeerCloseIsAnOrderlyEndOfStream) {
  connect();
  fake.deliver(0, pattern(3));
  fake.peer_close(0);
  std::vector<std::uint8_t> out(64);
  ASSERT_EQ(*transport.read(out), 3u);
  auto end = transport.read(out);
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().code, Errc::connection_closed);
  transport.close();
  EXPECT_TRUE(fake.fin_sent(0));
  transport.close();  // idempotent
  EXPECT_EQ(transport.read(out).error().code, Errc::not_connected);
}

TEST_F(W5100sTransportTest, ConnectionTimeoutWhileEstablishedFailsTheTransport) {
  fake.defer_sendok = true;
  connect();
  ASSERT_TRUE(transport.write(pattern(10)));
  fake.fail_send(0);
  auto result = transport.write(pattern(10));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::timeout);
  EXPECT_EQ(transport.poll_connect().error().code, Errc::timeout);
}

TEST_F(W5100sTransportTest, ReconnectAfterCloseUsesAFreshLocalPort) {
  connect();
  const std::uint16_t first_port = fake.reg16(0x0404);
  transport.close();
  connect();
  EXPECT_NE(fake.reg16(0x0404), first_port);
  ASSERT_TRUE(transport.write(pattern(4)));
  transport.close();
  ASSERT_TRUE(transport.start_connect({192, 0, 2, 10}, 8883, 61000));
  EXPECT_EQ(fake.reg16(0x0404), 61000);
}

}  // namespace
}  // namespace picohub::w5100s::testing

namespace picohub::w5100s::testing {
namespace {

TEST_F(W5100sTransportTest, ReconnectWhileThePreviousConnectionIsStillClosingClosesItFirst) {
  fake.linger_after_discon = true;
  connect();
  transport.close();
  EXPECT_EQ(fake.status(0), 0x18);  // FIN_WAIT: the chip finishes on its own
  connect();                        // CLOSE, then OPEN from CLOSED, as the chip requires
  EXPECT_EQ(fake.status(0), 0x17);
}

// A long exchange through the 2 KiB rings in uneven pieces, starting just before the 16-bit pointer wrap: every
// byte must come out in order whatever the split points.
TEST_F(W5100sTransportTest, LongStreamsSurviveManyRingAndPointerWraps) {
  fake.pointer_after_open[0] = 0xFC00;
  connect();
  std::uint32_t seed = 12345;
  auto next = [&seed](std::uint32_t bound) {
    seed = seed * 1103515245u + 12345u;
    return 1 + (seed >> 8) % bound;
  };
  auto upstream = pattern(20000, 9);
  std::size_t offered = 0;
  while (offered < upstream.size()) {
    const std::size_t piece = std::min<std::size_t>(next(3000), upstream.size() - offered);
    auto n = transport.write(std::span<const std::uint8_t>(upstream).subspan(offered, piece));
    ASSERT_TRUE(n) << n.error().what;
    offered += *n;
  }
  EXPECT_EQ(fake.tcp_sent(0), upstream);

  auto downstream = pattern(20000, 77);
  std::vector<std::uint8_t> received;
  std::size_t delivered = 0;
  while (received.size() < downstream.size()) {
    const std::size_t piece = std::min<std::size_t>(next(1500), downstream.size() - delivered);
    delivered += fake.deliver(0, std::span<const std::uint8_t>(downstream).subspan(delivered, piece));
    std::vector<std::uint8_t> out(next(700));
    auto n = transport.read(out);
    if (!n) {
      ASSERT_EQ(n.error().code, Errc::would_block);
      continue;
    }
    received.insert(received.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  EXPECT_EQ(received, downstream);
}

}  // namespace
}  // namespace picohub::w5100s::testing
