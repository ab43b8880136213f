// The client side of RFC 6455's opening handshake (§4.1), sans-I/O: a random key, the HTTP/1.1 upgrade request
// asking for one subprotocol, and the check of the server's answer. A mismatched Sec-WebSocket-Accept means
// the server (or a proxy on the way) did not understand the request; it is refused, never worked around.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/error.hpp"
#include "platform/entropy.hpp"

namespace picohub::websocket {

// base64 of 16 random bytes (24 characters) and base64 of a SHA-1 digest (28 characters).
inline constexpr std::size_t kKeyChars = 24;
inline constexpr std::size_t kAcceptChars = 28;

struct HandshakeKey {
  char text[kKeyChars + 1] = {};
  std::string_view view() const noexcept { return {text, kKeyChars}; }
};

struct UpgradeTarget {
  std::string_view host;         // Host header (and TLS server name, chosen by the caller)
  std::uint16_t port = 443;      // written into Host only when it is not 443
  std::string_view path = "/";   // e.g. "/$iothub/websocket"
  std::string_view subprotocol;  // e.g. "mqtt"
};

// Errc::crypto_failure when the entropy source refuses.
Result<HandshakeKey> make_key(platform::Entropy& entropy);

// base64(SHA-1(key + RFC 6455 GUID)) into `out` (>= kAcceptChars); the view of what was written.
Result<std::string_view> accept_value(std::string_view key, std::span<char> out);

// The GET upgrade request into `out`; its length. Errc::too_large when it does not fit, invalid_argument for
// a host, path or subprotocol with characters that cannot appear in the request line or a header.
Result<std::size_t> write_upgrade_request(const UpgradeTarget& target, std::string_view key, std::span<char> out);

// The first line of a (possibly partial) response, without its CR LF: for messages such as "the server
// answered HTTP/1.1 404 Not Found".
std::string_view status_line(std::string_view response) noexcept;

// Checks a response received so far. 0: the header is not complete yet (read more); n > 0: the header is
// complete, valid, and n bytes long (anything after it is already WebSocket frames). Errors name the problem:
// protocol_violation for a status other than 101, a missing upgrade, a wrong accept value or subprotocol;
// too_large when `max_header` bytes arrived without the end of the header.
Result<std::size_t> check_upgrade_response(std::string_view response, std::string_view key,
                                           std::string_view subprotocol, std::size_t max_header = 1024);

}  // namespace picohub::websocket
