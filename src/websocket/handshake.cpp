#include "websocket/handshake.hpp"

#include <algorithm>

#include "common/bounded_writer.hpp"
#include "iothub/base64.hpp"
#include "websocket/sha1.hpp"

namespace picohub::websocket {

namespace {

// Whatever part of a 101 answer is wrong, the server (or a proxy) did not take the upgrade as asked: one sentence.
constexpr const char* kBadUpgrade =
    "the server's 101 answer is not the upgrade asked for (Upgrade, Connection, Accept, subprotocol or extensions)";

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 §1.3

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_nocase(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True when the comma-separated list `value` holds `token` (case-insensitive), e.g. "keep-alive, Upgrade".
bool has_token(std::string_view value, std::string_view token) noexcept {
  while (!value.empty()) {
    const auto comma = value.find(',');
    if (equal_nocase(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// Characters that would let a value break out of its request line or header.
bool printable(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 127; });
}

struct ResponseHeaders {
  std::string_view upgrade, connection, accept, protocol, extensions;
};

// Collects the headers the handshake depends on from the lines after the status line.
ResponseHeaders read_headers(std::string_view lines) noexcept {
  ResponseHeaders h;
  while (!lines.empty()) {
    const auto eol = lines.find("\r\n");
    const auto line = lines.substr(0, eol);
    lines.remove_prefix(eol == std::string_view::npos ? lines.size() : eol + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto name = line.substr(0, colon), value = trim(line.substr(colon + 1));
    if (equal_nocase(name, "Upgrade")) h.upgrade = value;
    else if (equal_nocase(name, "Connection")) h.connection = value;
    else if (equal_nocase(name, "Sec-WebSocket-Accept")) h.accept = value;
    else if (equal_nocase(name, "Sec-WebSocket-Protocol")) h.protocol = value;
    else if (equal_nocase(name, "Sec-WebSocket-Extensions")) h.extensions = value;
  }
  return h;
}

}  // namespace

Result<HandshakeKey> make_key(platform::Entropy& entropy) {
  std::uint8_t nonce[16];
  if (auto r = entropy.fill(nonce); !r) return tl::unexpected(r.error());
  HandshakeKey key;
  auto text = iothub::base64_encode(nonce, key.text);  // ours: the board's mbedTLS has no base64
  if (!text || text->size() != kKeyChars) return fail(Errc::crypto_failure, "cannot encode the WebSocket key");
  return key;
}

Result<std::string_view> accept_value(std::string_view key, std::span<char> out) {
  if (out.size() < kAcceptChars) return fail(Errc::too_large, "cannot encode the WebSocket key");
  Sha1 sha;  // ours: the board's mbedTLS has no SHA-1 (websocket/sha1.hpp)
  sha.update({reinterpret_cast<const std::uint8_t*>(key.data()), key.size()});
  sha.update({reinterpret_cast<const std::uint8_t*>(kGuid.data()), kGuid.size()});
  const auto digest = sha.finish();
  auto text = iothub::base64_encode(digest, out.first(kAcceptChars));
  if (!text || text->size() != kAcceptChars) return fail(Errc::crypto_failure, "cannot encode the WebSocket key");
  return *text;
}

Result<std::size_t> write_upgrade_request(const UpgradeTarget& target, std::string_view key, std::span<char> out) {
  if (target.host.empty() || !printable(target.host) || target.path.empty() || target.path.front() != '/' ||
      !printable(target.path) || !printable(target.subprotocol) || !printable(key))
    return fail(Errc::invalid_argument, "WebSocket host, path or subprotocol has a space or control character");
  BoundedWriter w{out};
  w.text("GET ");
  w.text(target.path);
  w.text(" HTTP/1.1\r\nHost: ");
  w.text(target.host);
  if (target.port != 443) {
    w.text(":");
    w.number(target.port);
  }
  w.text("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
  w.text(key);
  w.text("\r\nSec-WebSocket-Version: 13\r\n");
  if (!target.subprotocol.empty()) {
    w.text("Sec-WebSocket-Protocol: ");
    w.text(target.subprotocol);
    w.text("\r\n");
  }
  w.text("\r\n");
  auto request = w.result("WebSocket upgrade request does not fit its buffer");
  if (!request) return tl::unexpected(request.error());
  return request->size();
}

std::string_view status_line(std::string_view response) noexcept {
  return response.substr(0, std::min(response.find("\r\n"), response.size()));
}

Result<std::size_t> check_upgrade_response(std::string_view response, std::string_view key,
                                           std::string_view subprotocol, std::size_t max_header) {
  const auto end = response.find("\r\n\r\n");
  if (end == std::string_view::npos || end + 4 > max_header) {
    if (response.size() >= max_header) return fail(Errc::too_large, "WebSocket upgrade response is too long");
    return std::size_t{0};
  }
  const auto status = status_line(response);
  if (!status.starts_with("HTTP/1.1 101 ") && status != "HTTP/1.1 101")
    return fail(Errc::protocol_violation, "the server did not switch to WebSocket (HTTP status is not 101)");
  const auto h = read_headers(response.substr(status.size() + 2, end + 2 - status.size() - 2));
  if (!equal_nocase(h.upgrade, "websocket") || !has_token(h.connection, "upgrade"))
    return fail(Errc::protocol_violation, kBadUpgrade);
  char expected[kAcceptChars];
  auto accept = accept_value(key, expected);
  if (!accept) return tl::unexpected(accept.error());
  if (h.accept != *accept) return fail(Errc::protocol_violation, kBadUpgrade);
  if (!subprotocol.empty() && h.protocol != subprotocol) return fail(Errc::protocol_violation, kBadUpgrade);
  if (!h.extensions.empty()) return fail(Errc::protocol_violation, kBadUpgrade);
  return end + 4;
}

}  // namespace picohub::websocket
