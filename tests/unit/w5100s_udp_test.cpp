// UDP socket: send to ip:port, receive with the chip's 8-byte header stripped, header and payload split across
// the ring end, back-to-back datagrams, oversized datagrams, and framing the chip cannot have meant.
#include "drivers/w5100s/udp_socket.hpp"
#include "w5100s_test_util.hpp"

namespace picohub::w5100s::testing {
namespace {

class W5100sUdpTest : public W5100sTest {
 protected:
  void SetUp() override { bring_up(); }
  void open(std::uint16_t port = 68) { ASSERT_TRUE(socket.open(port)); }
  UdpSocket socket{chip, 1};
};

TEST_F(W5100sUdpTest, OpenPutsTheSocketInUdpModeOnItsPort) {
  open();
  EXPECT_EQ(fake.reg8(0x0500), 0x02);
  EXPECT_EQ(fake.reg16(0x0504), 68);
  EXPECT_EQ(fake.status(1), 0x22);
}

TEST_F(W5100sUdpTest, SendToSetsTheDestinationAndSendsOneDatagram) {
  open();
  auto payload = pattern(300);
  auto n = socket.send_to({{255, 255, 255, 255}, 67}, payload);
  ASSERT_TRUE(n) << n.error().what;
  EXPECT_EQ(*n, 300u);
  ASSERT_EQ(fake.udp_sent(1).size(), 1u);
  const auto& sent = fake.udp_sent(1)[0];
  EXPECT_EQ(sent.ip, (std::array<std::uint8_t, 4>{255, 255, 255, 255}));
  EXPECT_EQ(sent.port, 67);
  EXPECT_EQ(sent.payload, payload);
}

TEST_F(W5100sUdpTest, DestinationPortZeroIsRefused) {
  open();
  EXPECT_EQ(socket.send_to({{10, 0, 0, 1}, 0}, pattern(4)).error().code, Errc::invalid_argument);
  EXPECT_TRUE(fake.udp_sent(1).empty());
}

TEST_F(W5100sUdpTest, DatagramsLargerThanAFrameOrTheTxBufferAreRefused) {
  open();
  auto result = socket.send_to({{10, 0, 0, 1}, 53}, pattern(1473));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::too_large);
  BufferSizes sizes;
  sizes.tx_kib = {2, 1, 2, 2};
  ASSERT_TRUE(chip.set_buffer_sizes(sizes));
  open();
  EXPECT_FALSE(socket.send_to({{10, 0, 0, 1}, 53}, pattern(1100)));
  EXPECT_TRUE(socket.send_to({{10, 0, 0, 1}, 53}, pattern(1024)));
  EXPECT_TRUE(fake.udp_sent(1).size() == 1u && fake.udp_sent(1)[0].payload.size() == 1024u);
}

TEST_F(W5100sUdpTest, NextSendWaitsForSendOkAndCountsATimedOutOne) {
  fake.defer_sendok = true;
  open();
  ASSERT_TRUE(socket.send_to({{10, 0, 0, 1}, 53}, pattern(20)));
  auto blocked = socket.send_to({{10, 0, 0, 1}, 53}, pattern(20));
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, Errc::would_block);
  fake.complete_send(1);
  ASSERT_TRUE(socket.send_to({{10, 0, 0, 2}, 53}, pattern(20)));
  // ARP for 10.0.0.2 unanswered: Sn_IR.TIMEOUT instead of SENDOK; the datagram is lost, the socket stays usable.
  fake.fail_send(1);
  ASSERT_TRUE(socket.send_to({{10, 0, 0, 1}, 53}, pattern(20)));
  EXPECT_EQ(socket.send_timeouts(), 1u);
  EXPECT_EQ(fake.interrupts(1) & 0x08, 0);
  EXPECT_EQ(fake.udp_sent(1).size(), 3u);
}

TEST_F(W5100sUdpTest, ReceiveStripsTheHeaderAndReportsThePeer) {
  open();
  auto payload = pattern(48);
  ASSERT_TRUE(fake.deliver_udp(1, {203, 0, 113, 5}, 123, payload));
  std::vector<std::uint8_t> out(512);
  auto datagram = socket.receive(out);
  ASSERT_TRUE(datagram) << datagram.error().what;
  EXPECT_EQ(datagram->from, (Endpoint{{203, 0, 113, 5}, 123}));
  EXPECT_EQ(datagram->size, 48u);
  EXPECT_FALSE(datagram->truncated());
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), out.begin()));
  EXPECT_EQ(fake.received_size(1), 0);
  auto none = socket.receive(out);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::would_block);
}

TEST_F(W5100sUdpTest, BackToBackDatagramsComeOutOneAtATime) {
  open();
  ASSERT_TRUE(fake.deliver_udp(1, {10, 0, 0, 1}, 53, pattern(30, 1)));
  ASSERT_TRUE(fake.deliver_udp(1, {10, 0, 0, 2}, 54, pattern(7, 100)));
  std::vector<std::uint8_t> out(512);
  auto first = socket.receive(out);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->size, 30u);
  EXPECT_EQ(first->from.port, 53);
  auto second = socket.receive(out);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->size, 7u);
  EXPECT_EQ(second->from.ip[3], 2);
  EXPECT_EQ(out[0], 100);
}

// The header starts `header_before_end` bytes before the end of the 2 KiB ring.
class W5100sUdpWrapTest : public W5100sUdpTest, public ::testing::WithParamInterface<int> {};

TEST_P(W5100sUdpWrapTest, HeaderOrPayloadSplitAcrossTheRingEnd) {
  fake.pointer_after_open[1] = static_cast<std::uint16_t>(0x0800 - GetParam());
  open();
  auto payload = pattern(100, 3);
  ASSERT_TRUE(fake.deliver_udp(1, {198, 51, 100, 7}, 4242, payload));
  ASSERT_TRUE(fake.deliver_udp(1, {198, 51, 100, 8}, 4243, pattern(9, 50)));
  std::vector<std::uint8_t> out(512);
  auto datagram = socket.receive(out);
  ASSERT_TRUE(datagram) << datagram.error().what;
  EXPECT_EQ(datagram->from, (Endpoint{{198, 51, 100, 7}, 4242}));
  ASSERT_EQ(datagram->size, payload.size());
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), out.begin()));
  auto next = socket.receive(out);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->from.port, 4243);
  EXPECT_EQ(next->size, 9u);
  EXPECT_EQ(out[8], 58);
}

INSTANTIATE_TEST_SUITE_P(SplitPoints, W5100sUdpWrapTest, ::testing::Values(1, 3, 6, 8, 10, 60));

TEST_F(W5100sUdpTest, OversizedDatagramIsTruncatedToTheBufferAndTheRestSkipped) {
  open();
  auto big = pattern(600);
  ASSERT_TRUE(fake.deliver_udp(1, {10, 0, 0, 9}, 53, big));
  ASSERT_TRUE(fake.deliver_udp(1, {10, 0, 0, 9}, 53, pattern(4, 200)));
  std::vector<std::uint8_t> out(512);
  auto datagram = socket.receive(out);
  ASSERT_TRUE(datagram);
  EXPECT_TRUE(datagram->truncated());
  EXPECT_EQ(datagram->size, 512u);
  EXPECT_EQ(datagram->original_size, 600u);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), big.begin()));
  auto next = socket.receive(out);  // framing intact after the skip
  ASSERT_TRUE(next);
  EXPECT_EQ(next->size, 4u);
  EXPECT_EQ(out[0], 200);
}

TEST_F(W5100sUdpTest, LengthBeyondWhatWasReceivedDropsEverythingInsteadOfOverrunning) {
  open();
  const std::vector<std::uint8_t> garbage{10, 0, 0, 1, 0, 53, 0x0B, 0xB8, 1, 2, 3, 4};  // claims 3000 bytes
  fake.raw_rx(1, garbage, static_cast<std::uint16_t>(garbage.size()));
  std::vector<std::uint8_t> out(512);
  auto result = socket.receive(out);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::malformed);
  EXPECT_EQ(socket.framing_errors(), 1u);
  EXPECT_EQ(fake.received_size(1), 0);
  ASSERT_TRUE(fake.deliver_udp(1, {10, 0, 0, 1}, 53, pattern(3)));
  EXPECT_TRUE(socket.receive(out));
}

TEST_F(W5100sUdpTest, FewerBytesThanAHeaderAreDropped) {
  open();
  const std::vector<std::uint8_t> garbage{1, 2, 3, 4, 5};
  fake.raw_rx(1, garbage, 5);
  std::vector<std::uint8_t> out(64);
  auto result = socket.receive(out);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::malformed);
  EXPECT_EQ(fake.received_size(1), 0);
}

TEST_F(W5100sUdpTest, ClosedSocketRefusesToSendOrReceive) {
  std::vector<std::uint8_t> out(8);
  EXPECT_EQ(socket.receive(out).error().code, Errc::not_connected);
  EXPECT_EQ(socket.send_to({{10, 0, 0, 1}, 53}, out).error().code, Errc::not_connected);
  open();
  socket.close();
  EXPECT_EQ(fake.status(1), 0x00);
  EXPECT_FALSE(socket.is_open());
}

}  // namespace
}  // namespace picohub::w5100s::testing

namespace picohub::w5100s::testing {
namespace {

// Datagrams of every size from 0 to 300 bytes through a 1 KiB ring: headers and payloads land on every split.
TEST_F(W5100sUdpTest, ManyDatagramsKeepTheirFramingAcrossEverySplitPoint) {
  BufferSizes sizes;
  sizes.rx_kib = {2, 1, 2, 2};
  ASSERT_TRUE(chip.set_buffer_sizes(sizes));
  fake.pointer_after_open[1] = 0xFFF0;
  open();
  std::vector<std::uint8_t> out(512);
  for (std::uint16_t length = 0; length <= 300; ++length) {
    const auto payload = pattern(length, static_cast<std::uint8_t>(length));
    ASSERT_TRUE(fake.deliver_udp(1, {10, 1, 2, 3}, static_cast<std::uint16_t>(1000 + length), payload));
    auto datagram = socket.receive(out);
    ASSERT_TRUE(datagram) << datagram.error().what;
    ASSERT_EQ(datagram->from.port, 1000 + length);
    ASSERT_EQ(datagram->size, length);
    ASSERT_TRUE(std::equal(payload.begin(), payload.end(), out.begin()));
  }
}

}  // namespace
}  // namespace picohub::w5100s::testing
