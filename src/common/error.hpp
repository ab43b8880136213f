// Errors are values: every fallible call returns Result<T>. No exceptions, no heap: an Error is a code plus a
// pointer to a static string that says what went wrong in words a person can act on.
#pragma once

#include <cstdint>
#include <tl/expected.hpp>

// A check's own words on the host; on the board (PICOHUB_SHORT_TEXTS), whose flash is tight, the one sentence
// its kind of fault shares with the others (the Errc says which kind). The board image carries only the shared ones.
#if defined(PICOHUB_SHORT_TEXTS)
#define PICOHUB_TEXT(shared, detailed) (shared)
#else
#define PICOHUB_TEXT(shared, detailed) ((void)(shared), (detailed))
#endif

namespace picohub {

enum class Errc : std::uint8_t {
  invalid_argument,     // caller passed something unusable (bad id, empty key, ...)
  malformed,            // input does not follow the grammar (packet, token, connection string, property bag)
  truncated,            // input ended before the item was complete
  too_large,            // item does not fit its limit or the caller's buffer
  protocol_violation,   // well-formed but not allowed here (unexpected packet, wrong flags, ...)
  buffer_full,          // a fixed-capacity queue or window is full; retry later
  not_connected,        // operation needs a live session
  would_block,          // non-blocking I/O: nothing to do now, poll again
  connection_closed,    // the peer closed the connection
  timeout,              // a deadline passed
  resolve_failed,       // name resolution failed
  connect_failed,       // TCP connect failed
  tls_failure,          // TLS handshake or record error
  certificate_invalid,  // server certificate or host name did not verify
  auth_refused,         // the broker or hub refused the credentials
  io_failure,           // any other I/O error
  crypto_failure,       // a crypto primitive failed
};

const char* to_string(Errc code) noexcept;

struct Error {
  Errc code;
  const char* what;  // static storage, never owned
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(Errc code, const char* what) noexcept {
  return tl::unexpected<Error>(Error{code, what});
}

}  // namespace picohub
