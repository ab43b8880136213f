// A UDP socket on one of the W5100S's hardware sockets. Sends go to ip:port through Sn_DIPR/Sn_DPORT; received
// datagrams come out of the RX ring framed by the chip's 8-byte header (peer IP, peer port, payload length),
// which this class strips: callers see the payload and where it came from. Never blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.hpp"
#include "drivers/w5100s/chip.hpp"

namespace picohub::w5100s {

struct Endpoint {
  Ipv4 ip{};
  std::uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct Datagram {
  Endpoint from{};
  std::size_t size = 0;           // payload bytes copied into the caller's buffer
  std::size_t original_size = 0;  // payload bytes the datagram carried (more than size: truncated)
  bool truncated() const noexcept { return original_size > size; }
};

// No IP fragmentation on the chip: a datagram must fit one 1500-byte Ethernet frame.
inline constexpr std::size_t max_udp_payload = 1472;

class UdpSocket {
 public:
  UdpSocket(Chip& chip, int socket) noexcept : chip_(chip), socket_(socket) {}

  Result<void> open(std::uint16_t local_port) noexcept;
  void close() noexcept;
  bool is_open() const noexcept { return open_; }

  // Sends one datagram (all of it or nothing). would_block while the previous datagram is still going out
  // (ARP, transmit) or the TX ring lacks room; too_large above max_udp_payload or the socket's TX buffer.
  // A previous datagram that timed out (ARP unanswered) counts in send_timeouts() and is otherwise lost, as
  // UDP datagrams are.
  Result<std::size_t> send_to(const Endpoint& to, std::span<const std::uint8_t> payload) noexcept;

  // Takes the next datagram. A payload larger than `out` is truncated to fit (the rest is discarded, see
  // Datagram::truncated()). would_block when none is queued; malformed when the chip's framing makes no sense
  // (everything received is then dropped, counted in framing_errors()).
  Result<Datagram> receive(std::span<std::uint8_t> out) noexcept;

  std::uint32_t send_timeouts() const noexcept { return send_timeouts_; }
  std::uint32_t framing_errors() const noexcept { return framing_errors_; }

 private:
  bool previous_send_done() noexcept;
  Result<Datagram> drop_everything(std::uint16_t received) noexcept;

  Chip& chip_;
  int socket_;
  bool open_ = false;
  bool send_in_flight_ = false;
  std::uint32_t send_timeouts_ = 0;
  std::uint32_t framing_errors_ = 0;
};

}  // namespace picohub::w5100s
