// W5100sTcpTransport: net::Transport over a W5100S TCP socket, what TLS runs on for the board. It takes an IPv4
// address (name resolution is the DNS module's job); start_connect() + poll_connect() mirror PosixTcp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "drivers/w5100s/chip.hpp"
#include "drivers/w5100s/tcp_socket.hpp"
#include "net/transport.hpp"

namespace picohub::w5100s {

class W5100sTcpTransport final : public net::Transport {
 public:
  // `socket` is the hardware socket (0..3) this transport owns.
  W5100sTcpTransport(Chip& chip, int socket) noexcept;

  // Opens the socket and sends the SYN. `local_port` 0 takes the next port of an ephemeral range (pass a
  // random one from the entropy source to avoid reusing a 4-tuple across reboots). Errors: not_connected when
  // the chip is not initialised or the Ethernet link is down; io_failure if the chip refuses the socket.
  Result<void> start_connect(const Ipv4& ip, std::uint16_t port, std::uint16_t local_port = 0) noexcept;

  Result<bool> poll_connect() override;
  Result<std::size_t> read(std::span<std::uint8_t> out) override;
  Result<std::size_t> write(std::span<const std::uint8_t> data) override;
  void close() override;
  net::Wait wants() const override { return wants_; }
  // "a.b.c.d:port" of the peer being connected to, for console lines.
  std::string_view last_error_detail() const override { return {detail_.data(), detail_length_}; }

 private:
  enum class State : std::uint8_t { idle, connecting, connected, failed };

  template <class T>
  Result<T> failed(const Error& error) noexcept;
  void describe_peer(const Ipv4& ip, std::uint16_t port) noexcept;

  Chip& chip_;
  TcpSocket socket_;
  State state_ = State::idle;
  net::Wait wants_ = net::Wait::none;
  std::uint16_t next_local_port_;
  Error error_{Errc::not_connected, "TCP connection not started"};
  std::array<char, 24> detail_{};
  std::size_t detail_length_ = 0;
};

}  // namespace picohub::w5100s
