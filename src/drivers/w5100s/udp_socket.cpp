#include "drivers/w5100s/udp_socket.hpp"

#include <array>

#include "drivers/w5100s/registers.hpp"
#include "drivers/w5100s/socket_buffer.hpp"

namespace picohub::w5100s {

Result<void> UdpSocket::open(std::uint16_t local_port) noexcept {
  send_in_flight_ = false;
  open_ = false;
  if (auto ok = chip_.open_socket(socket_, reg::mode_udp, local_port, reg::sock_udp); !ok) return ok;
  open_ = true;
  return {};
}

void UdpSocket::close() noexcept {
  (void)chip_.socket_command(socket_, reg::cmd_close);
  open_ = false;
  send_in_flight_ = false;
}

bool UdpSocket::previous_send_done() noexcept {
  if (!send_in_flight_) return true;
  const std::uint8_t interrupts = chip_.socket_interrupts(socket_);
  const std::uint8_t done = interrupts & (reg::ir_sendok | reg::ir_timeout);
  if (done == 0) return false;
  if (done & reg::ir_timeout) ++send_timeouts_;
  chip_.clear_socket_interrupts(socket_, done);
  send_in_flight_ = false;
  return true;
}

Result<std::size_t> UdpSocket::send_to(const Endpoint& to, std::span<const std::uint8_t> payload) noexcept {
  if (!open_) return fail(Errc::not_connected, "UDP socket is not open");
  if (to.port == 0 || to.ip == Ipv4{0, 0, 0, 0})
    return fail(Errc::invalid_argument, "UDP destination is 0.0.0.0 or port 0");
  if (payload.size() > max_udp_payload || payload.size() > chip_.tx_size(socket_))
    return fail(Errc::too_large, "UDP datagram too large");
  if (!previous_send_done()) return fail(Errc::would_block, "UDP transmit buffer full");
  if (tx_free(chip_, socket_) < payload.size()) return fail(Errc::would_block, "UDP transmit buffer full");
  chip_.write(Chip::socket_register(socket_, reg::Sn_DIPR), to.ip);
  chip_.write16(Chip::socket_register(socket_, reg::Sn_DPORT), to.port);
  TxCursor cursor(chip_, socket_);
  cursor.put(payload);
  if (auto ok = cursor.send(); !ok) return tl::unexpected(ok.error());
  send_in_flight_ = true;
  return payload.size();
}

Result<Datagram> UdpSocket::receive(std::span<std::uint8_t> out) noexcept {
  if (!open_) return fail(Errc::not_connected, "UDP socket is not open");
  chip_.clear_socket_interrupts(socket_, reg::ir_recv);
  const std::uint16_t received = rx_received(chip_, socket_);
  if (received == 0) return fail(Errc::would_block, "no UDP datagram yet");
  if (received < reg::udp_header_size) return drop_everything(received);

  RxCursor cursor(chip_, socket_);
  std::array<std::uint8_t, reg::udp_header_size> header{};
  cursor.take(header);
  Datagram datagram;
  datagram.from.ip = {header[0], header[1], header[2], header[3]};
  datagram.from.port = static_cast<std::uint16_t>((header[4] << 8) | header[5]);
  const std::uint16_t length = static_cast<std::uint16_t>((header[6] << 8) | header[7]);
  if (length > received - reg::udp_header_size) return drop_everything(received);

  datagram.original_size = length;
  datagram.size = length < out.size() ? length : out.size();
  cursor.take(out.first(datagram.size));
  cursor.skip(static_cast<std::uint16_t>(length - datagram.size));
  if (auto ok = cursor.release(); !ok) return tl::unexpected(ok.error());
  return datagram;
}

// The header claims more than the chip says it holds: nothing after this point can be framed reliably.
Result<Datagram> UdpSocket::drop_everything(std::uint16_t received) noexcept {
  ++framing_errors_;
  RxCursor cursor(chip_, socket_);
  cursor.skip(received);
  if (auto ok = cursor.release(); !ok) return tl::unexpected(ok.error());
  return fail(Errc::malformed, "W5100S UDP receive framing is inconsistent");
}

}  // namespace picohub::w5100s
