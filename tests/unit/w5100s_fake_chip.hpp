// FakeChip: a W5100S on the far side of an SpiBus, built from the datasheet facts (reference §3), not from the
// driver: SPI frames (0xF0 write / 0x0F read, 16-bit address, auto-increment), the register file with its reset
// values, 8 KiB TX and RX memory split per RMSR/TMSR, free-running 16-bit ring pointers that only take effect on
// SEND / RECV, the socket command state machine, UDP receive framing, Sn_IR write-1-to-clear, RSTn. Tests play
// the network side (establish, deliver, peer close, time out) and inspect what the driver made the chip do.
// Anything a real chip would not accept is recorded in violations() instead of being guessed at.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "platform/spi_bus.hpp"

namespace picohub::w5100s::testing {

struct SentDatagram {
  std::array<std::uint8_t, 4> ip{};
  std::uint16_t port = 0;
  std::vector<std::uint8_t> payload;
};

struct MemoryFrame {
  std::uint16_t address = 0;
  std::size_t length = 0;
  bool write = false;
};

class FakeChip final : public platform::SpiBus {
 public:
  FakeChip();

  void transaction(std::span<const std::uint8_t> header, std::span<const std::uint8_t> data_out,
                   std::span<std::uint8_t> data_in) override;

  // RSTn as the driver sees it: low holds the chip in reset, the rising edge restores reset values.
  platform::DigitalOut& reset_pin() { return reset_pin_; }
  bool held_in_reset() const { return in_reset_; }

  // Knobs.
  std::uint8_t version = 0x51;                        // VERSIONR; 0x00 with `absent` for a chip that is not there
  bool absent = false;                                // every read returns 0x00 (MISO pulled low), writes go nowhere
  int soft_reset_reads = 2;                           // MR reads with RST still set after MR = 0x80
  bool commands_stick = false;                        // Sn_CR never reads back 0
  bool defer_sendok = false;                          // SEND stays in flight until complete_send()
  bool linger_after_discon = false;                   // DISCON leaves the socket in FIN_WAIT (peer not done yet)
  std::array<std::uint16_t, 4> pointer_after_open{};  // where OPEN leaves the four ring pointers
  void set_link(bool up);

  // Network side.
  void establish(int s);      // SYNSENT -> ESTABLISHED, Sn_IR.CON
  void refuse(int s);         // RST to our SYN: SYNSENT -> CLOSED
  void time_out(int s);       // retries exhausted: -> CLOSED, Sn_IR.TIMEOUT
  void peer_close(int s);     // FIN: ESTABLISHED -> CLOSE_WAIT, Sn_IR.DISCON
  void complete_send(int s);  // deferred SEND done: Sn_IR.SENDOK
  void fail_send(int s);      // deferred SEND gave up (ARP unanswered): Sn_IR.TIMEOUT
  std::size_t deliver(int s, std::span<const std::uint8_t> bytes);  // TCP stream bytes; returns accepted
  bool deliver_udp(int s, std::array<std::uint8_t, 4> ip, std::uint16_t port, std::span<const std::uint8_t> payload);
  // Garbage as the chip could present it: `bytes` at the read pointer and Sn_RX_RSR = received.
  void raw_rx(int s, std::span<const std::uint8_t> bytes, std::uint16_t received);
  // The next 2-byte read of Sn_RX_RSR sees its high byte before `bytes` arrive and its low byte after.
  void deliver_during_next_rsr_read(int s, std::vector<std::uint8_t> bytes);

  // Inspection.
  std::uint8_t reg8(std::uint16_t address) const { return mem_[address]; }
  std::uint16_t reg16(std::uint16_t address) const;
  std::uint8_t status(int s) const;
  std::uint8_t interrupts(int s) const;
  std::uint16_t received_size(int s) const;
  std::uint16_t tx_size(int s) const;
  std::uint16_t rx_size(int s) const;
  const std::vector<std::uint8_t>& tcp_sent(int s) const { return sockets_[idx(s)].tcp_sent; }
  const std::vector<SentDatagram>& udp_sent(int s) const { return sockets_[idx(s)].udp_sent; }
  bool fin_sent(int s) const { return sockets_[idx(s)].fin_sent; }
  const std::vector<std::string>& violations() const { return violations_; }
  const std::vector<MemoryFrame>& memory_frames() const { return memory_frames_; }
  int rsr_reads() const { return rsr_reads_; }
  void clear_log() { memory_frames_.clear(); }

 private:
  struct Socket {
    std::uint16_t tx_rd = 0;  // chip's TX read pointer (advanced by SEND)
    std::uint16_t rx_wr = 0;  // chip's RX write pointer (advanced by arriving data)
    std::uint16_t rx_rd = 0;  // RX read pointer as of the last RECV
    bool send_in_flight = false;
    bool fin_sent = false;
    std::vector<std::uint8_t> tcp_sent;
    std::vector<SentDatagram> udp_sent;
    std::vector<std::uint8_t> tear_bytes;
  };

  class ResetPin final : public platform::DigitalOut {
   public:
    explicit ResetPin(FakeChip& chip) : chip_(chip) {}
    void write(bool high) override;

   private:
    FakeChip& chip_;
  };

  static std::size_t idx(int s) { return static_cast<std::size_t>(s); }
  static std::uint16_t sreg(int s, std::uint16_t offset) {
    return static_cast<std::uint16_t>(0x0400 + 0x100 * s + offset);
  }
  void reset_registers();
  std::uint8_t read_byte(std::uint16_t address);
  void write_byte(std::uint16_t address, std::uint8_t value);
  void check_memory_burst(std::uint16_t address, std::size_t length, bool write);
  void command(int s, std::uint8_t cr);
  void send(int s);
  void set_u16(std::uint16_t address, std::uint16_t value);
  std::uint16_t base(int s, bool tx) const;
  void ring_write(int s, std::uint16_t pointer, std::span<const std::uint8_t> bytes);
  std::vector<std::uint8_t> ring_read(int s, bool tx, std::uint16_t pointer, std::size_t length) const;
  void violation(std::string what) { violations_.push_back(std::move(what)); }

  std::array<std::uint8_t, 0x8000> mem_{};
  std::array<Socket, 4> sockets_{};
  ResetPin reset_pin_{*this};
  bool in_reset_ = false;
  bool link_up_ = true;
  int mr_reset_reads_left_ = 0;
  int rsr_reads_ = 0;
  std::vector<std::string> violations_;
  std::vector<MemoryFrame> memory_frames_;
};

}  // namespace picohub::w5100s::testing
