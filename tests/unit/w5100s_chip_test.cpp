// Chip bring-up: RSTn timing, VERSIONR check (present and absent chip), soft reset, configuration registers,
// PHY link, 16-bit counters read consistently, interrupt bits, bounded command handshake.
#include <string>

#include "drivers/w5100s/tcp_socket.hpp"
#include "w5100s_test_util.hpp"

namespace picohub::w5100s::testing {
namespace {

TEST_F(W5100sTest, ResetHoldsRstnLowAtLeastTwoMsThenWaitsForThePllBeforeTalking) {
  chip.begin_reset(now);
  EXPECT_TRUE(fake.held_in_reset());
  std::uint64_t released_at = 0;
  for (std::uint64_t t = now; t < now + 500; ++t) {
    auto done = chip.poll_reset(t);
    ASSERT_TRUE(done) << done.error().what;
    if (released_at == 0 && !fake.held_in_reset()) released_at = t;
    if (*done) {
      EXPECT_GE(released_at - now, 2u);
      EXPECT_GE(t - released_at, 100u);  // settle time before the first SPI frame
      EXPECT_TRUE(chip.ready());
      return;
    }
  }
  FAIL() << "reset did not complete";
}

TEST_F(W5100sTest, ResetPollsMrUntilTheSoftResetBitClears) {
  fake.soft_reset_reads = 5;
  bring_up();
  EXPECT_TRUE(chip.ready());
  EXPECT_EQ(fake.reg8(0x0000), 0x03);  // MR's reset value
}

TEST_F(W5100sTest, AbsentChipIsReportedWithTheVersionItRead) {
  fake.absent = true;
  chip.begin_reset(now);
  Result<bool> result = false;
  for (int i = 0; i < 200 && result && !*result; ++i) result = chip.poll_reset(now++);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::io_failure);
  EXPECT_EQ(chip.version_read(), 0x00);
  EXPECT_FALSE(chip.ready());
  char line[80];
  const std::size_t n = chip.describe_reset_failure(line);
  EXPECT_EQ(std::string(line, n), "W5100S not responding (VERSIONR=0x00, expected 0x51)");
  // Polling again keeps failing (no fault, no hang) until the next begin_reset().
  EXPECT_FALSE(chip.poll_reset(now + 1000));
}

TEST_F(W5100sTest, WrongVersionIsNamedInTheMessage) {
  fake.version = 0x4A;
  chip.begin_reset(now);
  Result<bool> result = false;
  for (int i = 0; i < 200 && result && !*result; ++i) result = chip.poll_reset(now++);
  ASSERT_FALSE(result);
  char line[80];
  EXPECT_EQ(std::string(line, chip.describe_reset_failure(line)),
            "W5100S not responding (VERSIONR=0x4A, expected 0x51)");
  char small[10];
  EXPECT_EQ(chip.describe_reset_failure(small), sizeof small);  // truncated, never overrun
}

TEST_F(W5100sTest, ChipThatAppearsLaterIsFoundOnTheNextResetAttempt) {
  fake.absent = true;
  chip.begin_reset(now);
  Result<bool> result = false;
  for (int i = 0; i < 200 && result && !*result; ++i) result = chip.poll_reset(now++);
  ASSERT_FALSE(result);
  fake.absent = false;
  now += 2000;
  EXPECT_GT(bring_up(), 100u);
  EXPECT_TRUE(chip.ready());
}

TEST_F(W5100sTest, SoftResetThatNeverCompletesTimesOut) {
  fake.soft_reset_reads = 1 << 30;
  chip.begin_reset(now);
  Result<bool> result = false;
  int polls = 0;
  for (; polls < 1000 && result && !*result; ++polls) result = chip.poll_reset(now++);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::timeout);
  EXPECT_LT(polls, 300);
  char line[80];
  EXPECT_EQ(std::string(line, chip.describe_reset_failure(line)), result.error().what);
}

TEST_F(W5100sTest, ConfigureBeforeResetIsRefused) {
  auto result = chip.configure(ChipConfig{});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::invalid_argument);
}

TEST_F(W5100sTest, ConfigureWritesNetworkBufferAndRetryRegisters) {
  bring_up();
  ChipConfig config;
  config.network = {{0x02, 0x00, 0x5E, 0x10, 0x20, 0x30}, {192, 168, 1, 50}, {255, 255, 255, 0}, {192, 168, 1, 1}};
  config.buffers.tx_kib = {4, 2, 1, 1};
  config.buffers.rx_kib = {1, 1, 2, 4};
  config.retry = {1000, 5};
  ASSERT_TRUE(chip.configure(config));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(fake.reg8(static_cast<std::uint16_t>(0x0009 + i)), config.network.mac[i]);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(fake.reg8(static_cast<std::uint16_t>(0x000F + i)), config.network.ip[i]);
    EXPECT_EQ(fake.reg8(static_cast<std::uint16_t>(0x0005 + i)), config.network.subnet[i]);
    EXPECT_EQ(fake.reg8(static_cast<std::uint16_t>(0x0001 + i)), config.network.gateway[i]);
  }
  EXPECT_EQ(fake.reg16(0x0017), 1000);
  EXPECT_EQ(fake.reg8(0x0019), 5);
  EXPECT_EQ(fake.tx_size(0), 4096);
  EXPECT_EQ(fake.tx_size(1), 2048);
  EXPECT_EQ(fake.tx_size(3), 1024);
  EXPECT_EQ(fake.rx_size(3), 4096);
  EXPECT_EQ(chip.tx_base(1), 0x5000);
  EXPECT_EQ(chip.rx_base(3), 0x6000 + 4096);
  auto read_back = chip.network();
  EXPECT_EQ(read_back.mac, config.network.mac);
  EXPECT_EQ(read_back.ip, config.network.ip);
}

TEST_F(W5100sTest, BufferSizesBeyondEightKibOrOddSizesAreRefusedBeforeAnyWrite) {
  bring_up();
  BufferSizes sizes;
  sizes.tx_kib = {8, 1, 1, 1};
  auto result = chip.set_buffer_sizes(sizes);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::invalid_argument);
  sizes.tx_kib = {3, 2, 2, 1};
  EXPECT_FALSE(chip.set_buffer_sizes(sizes));
  EXPECT_EQ(fake.reg8(0x001B), 0x55);
  EXPECT_EQ(chip.tx_size(0), 2048);
}

TEST_F(W5100sTest, LinkStatusFollowsThePhy) {
  bring_up();
  EXPECT_TRUE(chip.link_up());
  fake.set_link(false);
  EXPECT_FALSE(chip.link_up());
}

TEST_F(W5100sTest, ReceivedSizeIsReReadUntilTwoReadsAgree) {
  bring_up();
  TcpSocket socket(chip, 0);
  ASSERT_TRUE(socket.connect({10, 0, 0, 2}, 80, 40000));
  fake.establish(0);
  ASSERT_TRUE(socket.poll_connect());
  auto first = pattern(0xFF);
  ASSERT_EQ(fake.deliver(0, first), first.size());
  // 0x00FF -> 0x0105 between the two bytes of one read: that read sees 0x0005.
  fake.deliver_during_next_rsr_read(0, pattern(6, 0xA0));
  std::vector<std::uint8_t> out(1000);
  auto n = socket.receive(out);
  ASSERT_TRUE(n) << n.error().what;
  EXPECT_EQ(*n, 0x105u);
  EXPECT_GE(fake.rsr_reads(), 3);
  EXPECT_EQ(out[0xFF], 0xA0);
}

TEST_F(W5100sTest, SocketInterruptShowsInIrAndClearsByWritingOne) {
  bring_up();
  TcpSocket socket(chip, 2);
  ASSERT_TRUE(socket.connect({10, 0, 0, 2}, 80, 40000));
  fake.establish(2);
  EXPECT_EQ(chip.interrupt_status() & 0x0F, 0x04);
  EXPECT_EQ(chip.socket_interrupts(2), 0x01);
  chip.clear_socket_interrupts(2, 0x01);
  EXPECT_EQ(fake.interrupts(2), 0);
  EXPECT_EQ(chip.interrupt_status() & 0x0F, 0);
}

TEST_F(W5100sTest, SocketInterruptMaskSetsSnImrAndTheSocketsImrBit) {
  bring_up();
  chip.set_socket_interrupt_mask(1, 0x1F);
  chip.set_socket_interrupt_mask(3, 0x04);
  EXPECT_EQ(fake.reg8(0x052C), 0x1F);
  EXPECT_EQ(fake.reg8(0x072C), 0x04);
  EXPECT_EQ(fake.reg8(0x0016), 0x0A);
  EXPECT_EQ(fake.reg8(0x0030) & 0x40, 0x40);  // MR2.G_IEN: INTn enabled
  chip.set_socket_interrupt_mask(1, 0);
  EXPECT_EQ(fake.reg8(0x0016), 0x08);
}

TEST_F(W5100sTest, CommandTheChipNeverAcceptsIsAnErrorNotAHang) {
  bring_up();
  fake.commands_stick = true;
  TcpSocket socket(chip, 0);
  auto result = socket.connect({10, 0, 0, 2}, 80, 40000);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::io_failure);
}

}  // namespace
}  // namespace picohub::w5100s::testing
