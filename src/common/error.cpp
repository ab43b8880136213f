#include "common/error.hpp"

namespace picohub {

const char* to_string(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_argument: return "invalid argument";
    case Errc::malformed: return "malformed input";
    case Errc::truncated: return "truncated input";
    case Errc::too_large: return "too large";
    case Errc::protocol_violation: return "protocol violation";
    case Errc::buffer_full: return "buffer full";
    case Errc::not_connected: return "not connected";
    case Errc::would_block: return "would block";
    case Errc::connection_closed: return "connection closed";
    case Errc::timeout: return "timeout";
    case Errc::resolve_failed: return "name resolution failed";
    case Errc::connect_failed: return "connect failed";
    case Errc::tls_failure: return "TLS failure";
    case Errc::certificate_invalid: return "certificate invalid";
    case Errc::auth_refused: return "authentication refused";
    case Errc::io_failure: return "I/O failure";
    case Errc::crypto_failure: return "crypto failure";
  }
  return "unknown error";
}

}  // namespace picohub
