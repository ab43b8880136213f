// Transport: a non-blocking, byte-oriented connection. PosixTcp (host), TlsTransport (over any Transport) and,
// later, the board's W5100S sockets implement it. No POSIX types here: this header also compiles for the board.
//
// Contract for every implementation:
//  - Nothing blocks. "Not now" is Errc::would_block (read/write) or false (poll_connect); wants() then says
//    what the transport is waiting for, so a host pump can sleep in poll() on poll_fd() and a board main loop
//    can simply come back on its next turn.
//  - poll_connect() advances the connect / TLS handshake by one bounded step per call; it returns true once
//    application bytes can flow, and keeps returning true after that.
//  - read() returns > 0 bytes, would_block, or connection_closed on an orderly end of stream.
//  - write() may accept fewer bytes than offered. After would_block (or a short write), offer the unsent bytes
//    again, first: TLS requires the retry to start with the same data.
//  - Errors carry a static message; last_error_detail() adds the run-time particulars (host names, addresses,
//    library error text) for host tools. It stays valid until the next call on the transport.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/error.hpp"

namespace picohub::net {

// What a transport waits for before the next call can make progress.
enum class Wait : std::uint8_t {
  none = 0,      // call again right away (e.g. a handshake step completed and another is due)
  readable = 1,  // incoming bytes
  writable = 2,  // room to send
};

class Transport {
 public:
  virtual ~Transport() = default;

  virtual Result<bool> poll_connect() = 0;
  virtual Result<std::size_t> read(std::span<std::uint8_t> out) = 0;
  virtual Result<std::size_t> write(std::span<const std::uint8_t> data) = 0;
  // Ends the connection (a TLS close_notify is best-effort) and releases it. Idempotent.
  virtual void close() = 0;

  virtual Wait wants() const = 0;
  // True when read() can return bytes without new input (e.g. TLS records already decrypted): do not sleep.
  virtual bool has_pending() const { return false; }
  // Host: the descriptor to poll() on; -1 where there is none.
  virtual int poll_fd() const { return -1; }
  virtual std::string_view last_error_detail() const { return {}; }
};

}  // namespace picohub::net
