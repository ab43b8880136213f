#include "net/posix_tcp.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace picohub::net {
namespace {

std::string address_text(const sockaddr* sa, std::uint16_t port) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
    return std::string(buf) + " port " + std::to_string(port);
  }
  inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  return "[" + std::string(buf) + "] port " + std::to_string(port);
}

bool set_nonblocking(int fd) {
  const int flags = fcntl(fd, F_GETFL, 0);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

void set_nodelay(int fd) {
  // MQTT packets are small and latency-bound; Nagle only delays them.
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

const char* connect_message(int err) {
  switch (err) {
    case ECONNREFUSED:
      return "connection refused: nothing listens on that host and port (is the hub running? is the port right?)";
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EADDRNOTAVAIL:
    case EAFNOSUPPORT: return "host unreachable: check the host address and the network connection";
    case ETIMEDOUT: return "TCP connect timed out: check the host address, the port and any firewall in between";
    default: return "TCP connect failed: check the host, the port and the network";
  }
}

}  // namespace

PosixTcp::~PosixTcp() { close(); }

Result<void> PosixTcp::start_connect(const std::string& host, std::uint16_t port) {
  close();
  candidates_.clear();
  next_ = 0;
  last_errno_ = 0;
  detail_.clear();
  host_ = host;
  state_ = State::idle;

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
  // A numeric address (including ::1 on hosts whose only IPv6 is loopback) must not be filtered by ADDRCONFIG.
  {
    in6_addr probe6{};
    in_addr probe4{};
    if (inet_pton(AF_INET6, host.c_str(), &probe6) == 1 || inet_pton(AF_INET, host.c_str(), &probe4) == 1) {
      hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    }
  }
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  const int rc = host.empty() ? EAI_NONAME : getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) {
    detail_ = "cannot resolve " + (host.empty() ? std::string("an empty host name") : host) + ": " +
              (rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc));
    state_ = State::failed;
    error_ = Error{Errc::resolve_failed, "cannot resolve the host name: check the spelling and the DNS settings"};
    return tl::unexpected(error_);
  }
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    Candidate c;
    c.family = ai->ai_family;
    const auto* bytes = reinterpret_cast<const unsigned char*>(ai->ai_addr);
    c.address.assign(bytes, bytes + ai->ai_addrlen);
    c.text = address_text(ai->ai_addr, port);
    candidates_.push_back(std::move(c));
  }
  freeaddrinfo(list);
  if (candidates_.empty()) {
    detail_ = "cannot resolve " + host + ": no IPv4 or IPv6 address";
    state_ = State::failed;
    error_ = Error{Errc::resolve_failed, "cannot resolve the host name: it has no IPv4 or IPv6 address"};
    return tl::unexpected(error_);
  }
  auto started = try_next_address();
  if (!started) return tl::unexpected(started.error());
  return {};
}

void PosixTcp::adopt(int fd) {
  close();
  fd_ = fd;
  (void)set_nonblocking(fd_);
  set_nodelay(fd_);
  state_ = State::connected;
  wants_ = Wait::readable;
}

void PosixTcp::note_attempt_error(const std::string& text, int err) {
  last_errno_ = err;
  if (!detail_.empty()) detail_ += "; ";
  detail_ += "connect to " + text + ": " + std::strerror(err);
}

// Starts connecting to the next candidate. true = connected at once, false = in progress.
Result<bool> PosixTcp::try_next_address() {
  while (next_ < candidates_.size()) {
    const Candidate& c = candidates_[next_++];
    peer_ = c.text;
    fd_ = ::socket(c.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      note_attempt_error(c.text, errno);
      continue;
    }
    set_nodelay(fd_);
    const int rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(c.address.data()),
                             static_cast<socklen_t>(c.address.size()));
    if (rc == 0) {
      state_ = State::connected;
      wants_ = Wait::readable;
      return true;
    }
    if (errno == EINPROGRESS || errno == EINTR) {
      state_ = State::connecting;
      wants_ = Wait::writable;
      return false;
    }
    note_attempt_error(c.text, errno);
    ::close(fd_);
    fd_ = -1;
  }
  return fail_connect();
}

Result<bool> PosixTcp::fail_connect() {
  state_ = State::failed;
  wants_ = Wait::none;
  error_ = Error{Errc::connect_failed, connect_message(last_errno_)};
  return tl::unexpected(error_);
}

Result<bool> PosixTcp::poll_connect() {
  switch (state_) {
    case State::connected: return true;
    case State::failed: return tl::unexpected(error_);
    case State::idle:
    case State::closed: return fail(Errc::not_connected, "not connected: start_connect() first");
    case State::connecting: break;
  }
  pollfd p{fd_, POLLOUT, 0};
  const int n = ::poll(&p, 1, 0);
  if (n == 0 || (n < 0 && errno == EINTR)) {
    wants_ = Wait::writable;
    return false;
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (n < 0 || getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == 0) {
    state_ = State::connected;
    wants_ = Wait::readable;
    return true;
  }
  note_attempt_error(peer_, err);
  ::close(fd_);
  fd_ = -1;
  return try_next_address();
}

Result<std::size_t> PosixTcp::read(std::span<std::uint8_t> out) {
  if (state_ != State::connected) return fail(Errc::not_connected, "read on a TCP socket that is not connected");
  if (out.empty()) return std::size_t{0};
  for (;;) {
    const ssize_t n = ::recv(fd_, out.data(), out.size(), 0);
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) {
      wants_ = Wait::none;
      return fail(Errc::connection_closed, "the peer closed the TCP connection");
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wants_ = Wait::readable;
      return fail(Errc::would_block, "no data yet");
    }
    detail_ = "recv from " + peer_ + ": " + std::strerror(errno);
    if (errno == ECONNRESET) return fail(Errc::connection_closed, "the peer reset the TCP connection");
    return fail(Errc::io_failure, "TCP receive failed");
  }
}

Result<std::size_t> PosixTcp::write(std::span<const std::uint8_t> data) {
  if (state_ != State::connected) return fail(Errc::not_connected, "write on a TCP socket that is not connected");
  if (data.empty()) return std::size_t{0};
  for (;;) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wants_ = Wait::writable;
      return fail(Errc::would_block, "socket send buffer full");
    }
    detail_ = "send to " + peer_ + ": " + std::strerror(errno);
    if (errno == EPIPE || errno == ECONNRESET)
      return fail(Errc::connection_closed, "the peer closed the TCP connection");
    return fail(Errc::io_failure, "TCP send failed");
  }
}

void PosixTcp::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (state_ != State::idle) state_ = State::closed;
  wants_ = Wait::none;
}

}  // namespace picohub::net
