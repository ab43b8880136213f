#include "drivers/w5100s/tcp_transport.hpp"

namespace picohub::w5100s {
namespace {

constexpr std::uint16_t ephemeral_first = 49152;  // IANA dynamic port range 49152..65535

std::size_t append_decimal(std::span<char> out, std::size_t at, unsigned value) noexcept {
  char digits[5];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && n < sizeof digits);
  while (n > 0 && at < out.size()) out[at++] = digits[--n];
  return at;
}

}  // namespace

W5100sTcpTransport::W5100sTcpTransport(Chip& chip, int socket) noexcept
    : chip_(chip),
      socket_(chip, socket),
      next_local_port_(static_cast<std::uint16_t>(ephemeral_first + 1024 * socket)) {}

template <class T>
Result<T> W5100sTcpTransport::failed(const Error& error) noexcept {
  state_ = State::failed;
  wants_ = net::Wait::none;
  error_ = error;
  socket_.disconnect();
  return tl::unexpected(error);
}

Result<void> W5100sTcpTransport::start_connect(const Ipv4& ip, std::uint16_t port, std::uint16_t local_port) noexcept {
  describe_peer(ip, port);
  if (!chip_.ready()) return failed<void>({Errc::not_connected, "W5100S is not ready"});
  if (!chip_.link_up()) return failed<void>({Errc::not_connected, "Ethernet link is down: check the cable"});
  if (local_port == 0) {
    local_port = next_local_port_;
    next_local_port_ = next_local_port_ == 0xFFFF ? ephemeral_first : static_cast<std::uint16_t>(next_local_port_ + 1);
  }
  if (auto ok = socket_.connect(ip, port, local_port); !ok) return failed<void>(ok.error());
  state_ = State::connecting;
  wants_ = net::Wait::writable;  // as a connecting POSIX socket: writable once established
  return {};
}

Result<bool> W5100sTcpTransport::poll_connect() {
  switch (state_) {
    case State::connected: return true;
    case State::connecting: {
      if (!chip_.link_up()) return failed<bool>({Errc::not_connected, "Ethernet link is down: check the cable"});
      auto established = socket_.poll_connect();
      if (!established) return failed<bool>(established.error());
      if (!*established) return false;
      state_ = State::connected;
      wants_ = net::Wait::readable;
      return true;
    }
    case State::idle:
    case State::failed: break;
  }
  return tl::unexpected(error_);
}

Result<std::size_t> W5100sTcpTransport::read(std::span<std::uint8_t> out) {
  if (state_ != State::connected) return fail(Errc::not_connected, "TCP connection is not established");
  auto n = socket_.receive(out);
  if (n) return n;
  if (n.error().code == Errc::would_block) {
    wants_ = net::Wait::readable;
    return n;
  }
  if (n.error().code == Errc::connection_closed) {
    wants_ = net::Wait::none;
    return n;  // the caller closes; unread-side state stays for a final write if it wants one
  }
  return failed<std::size_t>(n.error());
}

Result<std::size_t> W5100sTcpTransport::write(std::span<const std::uint8_t> data) {
  if (state_ != State::connected) return fail(Errc::not_connected, "TCP connection is not established");
  auto n = socket_.send(data);
  if (n) {
    wants_ = net::Wait::readable;
    return n;
  }
  if (n.error().code == Errc::would_block) {
    wants_ = net::Wait::writable;
    return n;
  }
  if (n.error().code == Errc::connection_closed) return n;
  return failed<std::size_t>(n.error());
}

void W5100sTcpTransport::close() {
  if (state_ == State::connecting || state_ == State::connected) socket_.disconnect();
  state_ = State::idle;
  wants_ = net::Wait::none;
  error_ = Error{Errc::not_connected, "TCP connection closed"};
}

void W5100sTcpTransport::describe_peer(const Ipv4& ip, std::uint16_t port) noexcept {
  std::span<char> out(detail_);
  std::size_t at = 0;
  for (std::size_t i = 0; i < ip.size(); ++i) {
    at = append_decimal(out, at, ip[i]);
    if (at < out.size()) out[at++] = i + 1 < ip.size() ? '.' : ':';
  }
  detail_length_ = append_decimal(out, at, port);
}

}  // namespace picohub::w5100s
