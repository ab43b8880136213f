// PosixTcp: a non-blocking TCP client socket (host). Resolves with getaddrinfo (IPv4 and IPv6) and tries each
// address in turn; the caller drives time (poll_connect + poll() on poll_fd(), or connect_blocking()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/transport.hpp"

namespace picohub::net {

class PosixTcp final : public Transport {
 public:
  PosixTcp() = default;
  ~PosixTcp() override;
  PosixTcp(const PosixTcp&) = delete;
  PosixTcp& operator=(const PosixTcp&) = delete;

  // Resolves host (getaddrinfo blocks for the duration of the DNS lookup) and starts a non-blocking connect
  // to the first address. Errors: resolve_failed, connect_failed (no address could even be tried).
  Result<void> start_connect(const std::string& host, std::uint16_t port);

  // Takes ownership of an already connected socket (servers, tests). The socket is made non-blocking.
  void adopt(int fd);

  Result<bool> poll_connect() override;
  Result<std::size_t> read(std::span<std::uint8_t> out) override;
  Result<std::size_t> write(std::span<const std::uint8_t> data) override;
  void close() override;
  Wait wants() const override { return wants_; }
  int poll_fd() const override { return fd_; }
  std::string_view last_error_detail() const override { return detail_; }

  // "ADDRESS port N" of the peer once connected (or being tried), for messages.
  const std::string& peer() const { return peer_; }

 private:
  struct Candidate {
    int family;
    std::vector<unsigned char> address;  // a sockaddr_in / sockaddr_in6
    std::string text;
  };
  enum class State : std::uint8_t { idle, connecting, connected, failed, closed };

  Result<bool> try_next_address();
  Result<bool> fail_connect();
  void note_attempt_error(const std::string& text, int err);

  int fd_ = -1;
  State state_ = State::idle;
  Wait wants_ = Wait::none;
  std::vector<Candidate> candidates_;
  std::size_t next_ = 0;
  int last_errno_ = 0;
  std::string host_;
  std::string peer_;
  std::string detail_;
  Error error_{Errc::not_connected, "not connected"};
};

}  // namespace picohub::net
