// The W5100S chip over an SpiBus: register access (single and burst frames), the non-blocking hardware + software
// reset with the VERSIONR check, network / buffer / retry configuration, PHY link and interrupt status, and the
// socket command handshake. Sockets (tcp_socket.hpp, udp_socket.hpp) build on it. No heap, never blocks: the
// only loops are bounded re-reads of registers the chip updates within microseconds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.hpp"
#include "platform/addresses.hpp"
#include "platform/spi_bus.hpp"

namespace picohub::w5100s {

using Ipv4 = platform::Ipv4Octets;
using MacAddress = platform::MacAddress;

struct NetworkConfig {
  MacAddress mac{};
  Ipv4 ip{};
  Ipv4 subnet{};
  Ipv4 gateway{};
};

// Per-socket buffer sizes in KiB (1, 2, 4 or 8); each direction holds 8 KiB in total and every socket gets at
// least 1 KiB, so 8 is only in the encoding: 4 + 2 + 1 + 1 is the most one socket can have.
struct BufferSizes {
  std::array<std::uint8_t, 4> tx_kib{2, 2, 2, 2};
  std::array<std::uint8_t, 4> rx_kib{2, 2, 2, 2};
};

// How hard the chip retries ARP and TCP segments before raising Sn_IR TIMEOUT (chip defaults: 200 ms, 8).
struct RetryConfig {
  std::uint16_t time_100us = 2000;
  std::uint8_t count = 8;
};

struct ChipConfig {
  NetworkConfig network{};
  BufferSizes buffers{};
  RetryConfig retry{};
};

// RSTn low for `low_ms`, then `settle_ms` before the first SPI frame, then up to `soft_reset_ms` for MR.RST to
// self-clear. The W5x00 family asks for far less (W5500: 500 us low, 1 ms PLL lock; the W5100S is quoted as
// shorter still); 2 ms covers "at least 1 ms" at millisecond resolution and 100 ms is what WIZnet's own RP2040
// port waits, so a marginal board still comes up.
struct ResetTiming {
  std::uint32_t low_ms = 2;
  std::uint32_t settle_ms = 100;
  std::uint32_t soft_reset_ms = 50;
};

class Chip {
 public:
  Chip(platform::SpiBus& bus, platform::DigitalOut& reset_n, ResetTiming timing = {}) noexcept;

  // Reset: begin_reset() pulls RSTn low; poll_reset() advances the sequence and returns true once the chip has
  // answered with VERSIONR 0x51 and finished its software reset. A chip that answers with anything else fails
  // with io_failure; version_read() then holds the value and describe_reset_failure() the console line.
  void begin_reset(std::uint64_t now_ms) noexcept;
  Result<bool> poll_reset(std::uint64_t now_ms) noexcept;
  bool ready() const noexcept { return phase_ == Phase::ready; }
  std::uint8_t version_read() const noexcept { return version_read_; }
  // The console line for a failed reset: "W5100S not responding (VERSIONR=0x00, expected 0x51)" when the version
  // check failed, the error's own text otherwise. Returns the length written (truncated to fit, no terminator).
  std::size_t describe_reset_failure(std::span<char> out) const noexcept;

  // Configuration (after poll_reset() returned true, else invalid_argument). Buffer sizes are checked before
  // anything is written.
  Result<void> configure(const ChipConfig& config) noexcept;
  Result<void> set_buffer_sizes(const BufferSizes& sizes) noexcept;
  void set_network(const NetworkConfig& network) noexcept;
  void set_retry(const RetryConfig& retry) noexcept;
  NetworkConfig network() noexcept;

  bool link_up() noexcept;
  // Common IR (socket bits 3:0 say which socket has a pending Sn_IR bit).
  std::uint8_t interrupt_status() noexcept;
  // INTn for a socket: Sn_IMR = `socket_bits` (Sn_IR bit layout) and the socket's IMR bit set when non-zero.
  // Optional: the main loop can poll without it; with it, INTn (GP21) says when polling is worth it.
  void set_socket_interrupt_mask(int socket, std::uint8_t socket_bits) noexcept;

  // Register access. read16_stable() re-reads until two consecutive reads agree (the chip may update a 16-bit
  // counter between its two bytes), at most a few times.
  std::uint8_t read8(std::uint16_t address) noexcept;
  void write8(std::uint16_t address, std::uint8_t value) noexcept;
  std::uint16_t read16(std::uint16_t address) noexcept;
  std::uint16_t read16_stable(std::uint16_t address) noexcept;
  void write16(std::uint16_t address, std::uint16_t value) noexcept;
  // One SPI frame for the whole run (burst): the address auto-increments.
  void read(std::uint16_t address, std::span<std::uint8_t> out) noexcept;
  void write(std::uint16_t address, std::span<const std::uint8_t> data) noexcept;

  // Socket registers.
  static std::uint16_t socket_register(int socket, std::uint16_t offset) noexcept;
  std::uint8_t socket_status(int socket) noexcept;
  std::uint8_t socket_interrupts(int socket) noexcept;
  void clear_socket_interrupts(int socket, std::uint8_t bits) noexcept;  // writes 1 to `bits`
  // Writes Sn_CR and waits (bounded) for the chip to accept it (Sn_CR reads 0 again).
  Result<void> socket_command(int socket, std::uint8_t command) noexcept;
  // CLOSE, clear Sn_IR, set Sn_MR and the local port, OPEN, and check Sn_SR reached `expected_status`.
  Result<void> open_socket(int socket, std::uint8_t mode, std::uint16_t local_port,
                           std::uint8_t expected_status) noexcept;

  // Socket buffer geometry (bytes) as configured.
  std::uint16_t tx_size(int socket) const noexcept { return tx_size_[static_cast<std::size_t>(socket)]; }
  std::uint16_t rx_size(int socket) const noexcept { return rx_size_[static_cast<std::size_t>(socket)]; }
  std::uint16_t tx_base(int socket) const noexcept;
  std::uint16_t rx_base(int socket) const noexcept;

 private:
  enum class Phase : std::uint8_t { idle, reset_low, settling, soft_reset, ready, failed };

  void remember_buffer_sizes(const BufferSizes& sizes) noexcept;

  platform::SpiBus& bus_;
  platform::DigitalOut& reset_n_;
  ResetTiming timing_;
  Phase phase_ = Phase::idle;
  std::uint64_t phase_since_ms_ = 0;
  std::uint8_t version_read_ = 0;
  const char* failure_ = nullptr;  // why the last reset failed, other than the version check
  std::array<std::uint16_t, 4> tx_size_{2048, 2048, 2048, 2048};
  std::array<std::uint16_t, 4> rx_size_{2048, 2048, 2048, 2048};
};

}  // namespace picohub::w5100s
