// A TCP client on one of the W5100S's four hardware sockets: OPEN -> SOCK_INIT -> CONNECT -> ESTABLISHED, data
// through the socket's rings, peer close (CLOSE_WAIT), DISCON / CLOSE. Every call does a bounded amount of SPI
// work and returns; "not yet" is false (poll_connect) or would_block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.hpp"
#include "drivers/w5100s/chip.hpp"

namespace picohub::w5100s {

class TcpSocket {
 public:
  TcpSocket(Chip& chip, int socket) noexcept : chip_(chip), socket_(socket) {}

  // Opens the socket in TCP mode on `local_port` and issues CONNECT to ip:port.
  Result<void> connect(const Ipv4& ip, std::uint16_t port, std::uint16_t local_port) noexcept;
  // True once ESTABLISHED. Errors: timeout (Sn_IR TIMEOUT: ARP or SYN retries ran out), connect_failed (the
  // socket fell back to CLOSED: the peer answered with a reset).
  Result<bool> poll_connect() noexcept;

  // Queues up to the free TX space and issues SEND; one SEND is in flight at a time, so while the previous one
  // has not reported SENDOK this returns would_block. Errors: timeout (retransmissions ran out),
  // connection_closed / io_failure once the connection is gone.
  Result<std::size_t> send(std::span<const std::uint8_t> data) noexcept;
  // Copies received bytes (at most out.size()). would_block when nothing is there yet; connection_closed once
  // the peer has closed and everything it sent has been read; io_failure on a reset, timeout on retries.
  Result<std::size_t> receive(std::span<std::uint8_t> out) noexcept;

  bool send_in_flight() const noexcept { return send_in_flight_; }
  // Graceful when connected (DISCON sends FIN; the chip finishes on its own), otherwise CLOSE. The next
  // connect() closes the socket first in any case.
  void disconnect() noexcept;

 private:
  Result<void> settle_previous_send() noexcept;
  Error closed_error(std::uint8_t interrupts) noexcept;

  Chip& chip_;
  int socket_;
  bool send_in_flight_ = false;
};

}  // namespace picohub::w5100s
