#include "drivers/w5100s/tcp_socket.hpp"

#include "drivers/w5100s/registers.hpp"
#include "drivers/w5100s/socket_buffer.hpp"

namespace picohub::w5100s {
namespace {

bool can_carry_data(std::uint8_t status) noexcept {
  return status == reg::sock_established || status == reg::sock_close_wait;
}

}  // namespace

Result<void> TcpSocket::connect(const Ipv4& ip, std::uint16_t port, std::uint16_t local_port) noexcept {
  const bool any = ip == Ipv4{0, 0, 0, 0};
  const bool broadcast = ip == Ipv4{255, 255, 255, 255};
  if (any || broadcast || port == 0 || local_port == 0)
    return fail(Errc::invalid_argument, "TCP connect needs an IPv4 address and ports");
  send_in_flight_ = false;
  if (auto ok = chip_.open_socket(socket_, reg::mode_tcp, local_port, reg::sock_init); !ok) return ok;
  chip_.write(Chip::socket_register(socket_, reg::Sn_DIPR), ip);
  chip_.write16(Chip::socket_register(socket_, reg::Sn_DPORT), port);
  return chip_.socket_command(socket_, reg::cmd_connect);
}

Result<bool> TcpSocket::poll_connect() noexcept {
  const std::uint8_t interrupts = chip_.socket_interrupts(socket_);
  const std::uint8_t status = chip_.socket_status(socket_);
  if (can_carry_data(status)) {
    chip_.clear_socket_interrupts(socket_, interrupts & reg::ir_con);
    return true;
  }
  if (interrupts & reg::ir_timeout) {
    chip_.clear_socket_interrupts(socket_, reg::ir_timeout);
    (void)chip_.socket_command(socket_, reg::cmd_close);
    return fail(Errc::timeout, "TCP connect timed out: no answer (check the address and gateway)");
  }
  if (status == reg::sock_closed)
    return fail(Errc::connect_failed, "TCP connect refused by the peer (reset): check the host and port");
  return false;  // INIT (command still being carried out), SYNSENT, or ARP in progress
}

Result<void> TcpSocket::settle_previous_send() noexcept {
  if (!send_in_flight_) return {};
  const std::uint8_t interrupts = chip_.socket_interrupts(socket_);
  if (interrupts & reg::ir_timeout) {
    send_in_flight_ = false;
    return tl::unexpected(closed_error(interrupts));
  }
  if (!(interrupts & reg::ir_sendok)) {
    // A reset by the peer closes the socket without SENDOK or TIMEOUT: this send will never settle.
    if (chip_.socket_status(socket_) == reg::sock_closed) {
      send_in_flight_ = false;
      return tl::unexpected(closed_error(interrupts));
    }
    return fail(Errc::would_block, "TCP send in progress");
  }
  chip_.clear_socket_interrupts(socket_, reg::ir_sendok);
  send_in_flight_ = false;
  return {};
}

Result<std::size_t> TcpSocket::send(std::span<const std::uint8_t> data) noexcept {
  if (auto ok = settle_previous_send(); !ok) return tl::unexpected(ok.error());
  const std::uint8_t status = chip_.socket_status(socket_);
  if (!can_carry_data(status)) return tl::unexpected(closed_error(chip_.socket_interrupts(socket_)));
  if (data.empty()) return std::size_t{0};
  const std::uint16_t free = tx_free(chip_, socket_);
  if (free == 0) return fail(Errc::would_block, "TCP transmit buffer full");
  const std::size_t n = data.size() < free ? data.size() : free;
  TxCursor cursor(chip_, socket_);
  cursor.put(data.first(n));
  if (auto ok = cursor.send(); !ok) return tl::unexpected(ok.error());
  send_in_flight_ = true;
  return n;
}

Result<std::size_t> TcpSocket::receive(std::span<std::uint8_t> out) noexcept {
  if (out.empty()) return std::size_t{0};
  // Cleared before looking, so data that lands after this read raises it again.
  chip_.clear_socket_interrupts(socket_, reg::ir_recv);
  const std::uint16_t received = rx_received(chip_, socket_);
  if (received == 0) {
    const std::uint8_t status = chip_.socket_status(socket_);
    if (status == reg::sock_established) return fail(Errc::would_block, "no TCP data yet");
    if (status == reg::sock_close_wait) return fail(Errc::connection_closed, "the peer closed the TCP connection");
    return tl::unexpected(closed_error(chip_.socket_interrupts(socket_)));
  }
  const std::size_t n = out.size() < received ? out.size() : received;
  RxCursor cursor(chip_, socket_);
  cursor.take(out.first(n));
  if (auto ok = cursor.release(); !ok) return tl::unexpected(ok.error());
  return n;
}

void TcpSocket::disconnect() noexcept {
  send_in_flight_ = false;
  const std::uint8_t status = chip_.socket_status(socket_);
  if (can_carry_data(status)) {
    (void)chip_.socket_command(socket_, reg::cmd_discon);
  } else if (status != reg::sock_closed) {
    (void)chip_.socket_command(socket_, reg::cmd_close);
  }
}

Error TcpSocket::closed_error(std::uint8_t interrupts) noexcept {
  if (interrupts & reg::ir_timeout) {
    chip_.clear_socket_interrupts(socket_, reg::ir_timeout);
    return Error{Errc::timeout, "TCP connection timed out: the peer stopped acknowledging"};
  }
  if (chip_.socket_status(socket_) == reg::sock_close_wait)
    return Error{Errc::connection_closed, "the peer closed the TCP connection"};
  return Error{Errc::io_failure, "TCP connection reset or closed"};
}

}  // namespace picohub::w5100s
