// TCP client socket: the OPEN/CONNECT state machine, connect timeout and refusal, data through both rings
// across the ring end and the 16-bit pointer wrap, one SEND in flight, peer close, reset, retransmission timeout.
#include "drivers/w5100s/tcp_socket.hpp"
#include "w5100s_test_util.hpp"

namespace picohub::w5100s::testing {
namespace {

class W5100sTcpTest : public W5100sTest {
 protected:
  void SetUp() override { bring_up(); }
  void connect_socket(int s = 0) {
    ASSERT_TRUE(socket.connect({192, 0, 2, 10}, 8883, 50000));
    fake.establish(s);
    auto up = socket.poll_connect();
    ASSERT_TRUE(up && *up);
  }
  TcpSocket socket{chip, 0};
};

TEST_F(W5100sTcpTest, ConnectOpensInTcpModeThenConnectsToThePeer) {
  ASSERT_TRUE(socket.connect({192, 0, 2, 10}, 8883, 50000));
  EXPECT_EQ(fake.reg8(0x0400), 0x01);    // Sn_MR = TCP
  EXPECT_EQ(fake.reg16(0x0404), 50000);  // Sn_PORT
  EXPECT_EQ(fake.reg8(0x040C), 192);     // Sn_DIPR
  EXPECT_EQ(fake.reg8(0x040F), 10);
  EXPECT_EQ(fake.reg16(0x0410), 8883);  // Sn_DPORT
  EXPECT_EQ(fake.status(0), 0x15);      // SYNSENT
  auto pending = socket.poll_connect();
  ASSERT_TRUE(pending);
  EXPECT_FALSE(*pending);
  fake.establish(0);
  auto up = socket.poll_connect();
  ASSERT_TRUE(up);
  EXPECT_TRUE(*up);
  EXPECT_EQ(fake.interrupts(0) & 0x01, 0);  // CON acknowledged
}

TEST_F(W5100sTcpTest, ConnectToNoAddressOrPortZeroIsRefusedWithoutTouchingTheSocket) {
  EXPECT_EQ(socket.connect({0, 0, 0, 0}, 8883, 50000).error().code, Errc::invalid_argument);
  EXPECT_EQ(socket.connect({255, 255, 255, 255}, 8883, 50000).error().code, Errc::invalid_argument);
  EXPECT_EQ(socket.connect({192, 0, 2, 10}, 0, 50000).error().code, Errc::invalid_argument);
  EXPECT_EQ(fake.status(0), 0x00);
}

TEST_F(W5100sTcpTest, ConnectTimeoutIsReportedAndClearedAndTheSocketClosed) {
  ASSERT_TRUE(socket.connect({192, 0, 2, 10}, 8883, 50000));
  fake.time_out(0);
  auto result = socket.poll_connect();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::timeout);
  EXPECT_EQ(fake.interrupts(0) & 0x08, 0);
  EXPECT_EQ(fake.status(0), 0x00);
}

TEST_F(W5100sTcpTest, PeerResetDuringConnectIsConnectRefused) {
  ASSERT_TRUE(socket.connect({192, 0, 2, 10}, 8883, 50000));
  fake.refuse(0);
  auto result = socket.poll_connect();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::connect_failed);
}

TEST_F(W5100sTcpTest, ReconnectAfterAFailureClosesAndReopensTheSocket) {
  ASSERT_TRUE(socket.connect({192, 0, 2, 10}, 8883, 50000));
  fake.refuse(0);
  ASSERT_FALSE(socket.poll_connect());
  connect_socket();
}

TEST_F(W5100sTcpTest, SendSplitsTheBurstAtTheRingEndAndWrapsThe16BitPointer) {
  fake.pointer_after_open[0] = 0xFFD0;  // ring offset 0x7D0: 48 bytes before the end of a 2 KiB ring
  connect_socket();
  fake.clear_log();
  auto data = pattern(100);
  auto n = socket.send(data);
  ASSERT_TRUE(n) << n.error().what;
  EXPECT_EQ(*n, 100u);
  EXPECT_EQ(fake.tcp_sent(0), data);
  EXPECT_EQ(fake.reg16(0x0424), 0x0034);  // Sn_TX_WR wrapped past 0xFFFF
  ASSERT_EQ(fake.memory_frames().size(), 2u);
  EXPECT_EQ(fake.memory_frames()[0].address, 0x4000 + 0x7D0);
  EXPECT_EQ(fake.memory_frames()[0].length, 48u);
  EXPECT_EQ(fake.memory_frames()[1].address, 0x4000);
  EXPECT_EQ(fake.memory_frames()[1].length, 52u);
}

TEST_F(W5100sTcpTest, ReceiveSplitsTheBurstAtTheRingEndAndHandsTheBytesBack) {
  fake.pointer_after_open[0] = 0x27F0;  // 16 bytes before the end of the ring
  connect_socket();
  auto data = pattern(40, 7);
  ASSERT_EQ(fake.deliver(0, data), data.size());
  fake.clear_log();
  std::vector<std::uint8_t> out(64);
  auto n = socket.receive(out);
  ASSERT_TRUE(n) << n.error().what;
  ASSERT_EQ(*n, 40u);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), out.begin()));
  ASSERT_EQ(fake.memory_frames().size(), 2u);
  EXPECT_EQ(fake.memory_frames()[0].length, 16u);
  EXPECT_EQ(fake.memory_frames()[1].address, 0x6000);
  EXPECT_EQ(fake.received_size(0), 0);  // RECV committed the new read pointer
  EXPECT_EQ(fake.reg16(0x0428), 0x27F0 + 40);
}

TEST_F(W5100sTcpTest, ReceiveIntoASmallBufferTakesTheRestOnTheNextCall) {
  connect_socket();
  auto data = pattern(10);
  fake.deliver(0, data);
  std::vector<std::uint8_t> out(4);
  ASSERT_EQ(*socket.receive(out), 4u);
  EXPECT_EQ(out[3], 4);
  EXPECT_EQ(fake.received_size(0), 6);
  std::vector<std::uint8_t> rest(16);
  ASSERT_EQ(*socket.receive(rest), 6u);
  EXPECT_EQ(rest[5], 10);
  auto none = socket.receive(rest);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::would_block);
}

TEST_F(W5100sTcpTest, OneSendInFlightAtATime) {
  fake.defer_sendok = true;
  connect_socket();
  auto first = pattern(10);
  ASSERT_EQ(*socket.send(first), 10u);
  EXPECT_TRUE(socket.send_in_flight());
  auto blocked = socket.send(first);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, Errc::would_block);
  fake.complete_send(0);
  ASSERT_EQ(*socket.send(first), 10u);
  EXPECT_EQ(fake.tcp_sent(0).size(), 20u);
  EXPECT_EQ(fake.interrupts(0) & 0x10, 0);  // SENDOK cleared when consumed
}

TEST_F(W5100sTcpTest, SendAcceptsOnlyWhatFitsTheFreeSpace) {
  connect_socket();
  auto data = pattern(3000);
  auto n = socket.send(data);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2048u);
  EXPECT_TRUE(std::equal(fake.tcp_sent(0).begin(), fake.tcp_sent(0).end(), data.begin()));
}

TEST_F(W5100sTcpTest, PeerCloseDeliversRemainingDataThenConnectionClosed) {
  connect_socket();
  auto data = pattern(5);
  fake.deliver(0, data);
  fake.peer_close(0);
  std::vector<std::uint8_t> out(16);
  ASSERT_EQ(*socket.receive(out), 5u);
  auto end = socket.receive(out);
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().code, Errc::connection_closed);
  // Half-closed: we may still send, then close gracefully with FIN.
  ASSERT_TRUE(socket.send(data));
  socket.disconnect();
  EXPECT_TRUE(fake.fin_sent(0));
  EXPECT_EQ(fake.status(0), 0x00);
}

TEST_F(W5100sTcpTest, ResetByThePeerIsAnError) {
  connect_socket();
  fake.refuse(0);
  std::vector<std::uint8_t> out(16);
  auto result = socket.receive(out);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::io_failure);
}

// The chip closes a reset connection without SENDOK or TIMEOUT: the send in flight never settles by itself.
TEST_F(W5100sTcpTest, ResetByThePeerDuringASendIsAnErrorNotAnEndlessWait) {
  fake.defer_sendok = true;
  connect_socket();
  ASSERT_TRUE(socket.send(pattern(10)));
  fake.refuse(0);
  auto result = socket.send(pattern(10));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::io_failure);
  EXPECT_FALSE(socket.send_in_flight());
}

TEST_F(W5100sTcpTest, RetransmissionTimeoutDuringASendIsATimeout) {
  fake.defer_sendok = true;
  connect_socket();
  ASSERT_TRUE(socket.send(pattern(10)));
  fake.time_out(0);
  auto result = socket.send(pattern(10));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::timeout);
  EXPECT_EQ(fake.interrupts(0) & 0x08, 0);
}

TEST_F(W5100sTcpTest, SocketsUseTheirOwnRings) {
  TcpSocket other(chip, 3);
  connect_socket();
  ASSERT_TRUE(other.connect({192, 0, 2, 11}, 80, 50001));
  fake.establish(3);
  ASSERT_TRUE(other.poll_connect());
  fake.clear_log();
  ASSERT_TRUE(other.send(pattern(8)));
  ASSERT_EQ(fake.memory_frames().size(), 1u);
  EXPECT_EQ(fake.memory_frames()[0].address, 0x5800);  // TX base of socket 3 with 2 KiB each
  EXPECT_EQ(fake.tcp_sent(3).size(), 8u);
  EXPECT_TRUE(fake.tcp_sent(0).empty());
}

}  // namespace
}  // namespace picohub::w5100s::testing
