#include "iothub/dps_response.hpp"

#include "iothub/json_scan.hpp"

namespace picohub::iothub {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char escaped_char(char c) noexcept {
  switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
  }
}

// Copies strings one after the other into the caller's buffer.
struct TextArena {
  std::span<char> out;
  std::size_t used = 0;

  // A string member of `object`, unescaped; empty when absent or not a string. `cut`: an over-long value is
  // shortened with "..." (messages) instead of failing (ids, which must be whole).
  Result<std::string_view> take(std::string_view object, std::string_view key, bool cut) noexcept {
    auto raw = json_member(object, key);
    if (!raw || raw->empty() || raw->front() != '"') return std::string_view{};
    auto r = json_unescape(*raw, out.subspan(used));
    if (r) {
      used += r->size();
      return *r;
    }
    if (!cut) return tl::unexpected(r.error());
    const std::size_t room = out.size() - used;
    if (r.error().code != Errc::too_large || room < 4) return std::string_view{};  // a bad message reads as none
    // Keep what fits of a message (escapes and controls as spaces) and mark it as cut.
    std::size_t n = 0;
    for (std::size_t i = 1; i + 1 < raw->size() && n + 3 < room; ++i) {
      const char c = (*raw)[i];
      out[used + n++] = (c == '\\' || c < ' ') ? ' ' : c;
    }
    for (int k = 0; k < 3; ++k) out[used + n++] = '.';
    const std::string_view text(out.data() + used, n);
    used += n;
    return text;
  }
};

}  // namespace

DpsStatus parse_dps_status(std::string_view text) noexcept {
  if (text == "assigning") return DpsStatus::assigning;
  if (text == "assigned") return DpsStatus::assigned;
  if (text == "failed") return DpsStatus::failed;
  if (text == "disabled") return DpsStatus::disabled;
  if (text == "unassigned") return DpsStatus::unassigned;
  return DpsStatus::unknown;
}

const char* to_string(DpsStatus status) noexcept {
  switch (status) {
    case DpsStatus::assigning: return "assigning";
    case DpsStatus::assigned: return "assigned";
    case DpsStatus::failed: return "failed";
    case DpsStatus::disabled: return "disabled";
    case DpsStatus::unassigned: return "unassigned";
    case DpsStatus::unknown: break;
  }
  return "unknown";
}

Result<std::string_view> json_unescape(std::string_view raw, std::span<char> out) noexcept {
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return fail(Errc::malformed, "not a JSON string");
  std::size_t n = 0;
  for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\') {
      if (i + 2 >= raw.size()) return fail(Errc::malformed, "bad JSON escape");
      const char e = raw[++i];
      if (e == 'u') {
        if (i + 4 >= raw.size()) return fail(Errc::malformed, "bad JSON escape");
        int code = 0;
        for (int k = 1; k <= 4; ++k) {
          const int h = hex_value(raw[i + static_cast<std::size_t>(k)]);
          if (h < 0) return fail(Errc::malformed, "bad JSON escape");
          code = code * 16 + h;
        }
        i += 4;
        c = code < 0x80 ? static_cast<char>(code) : '?';
      } else {
        c = escaped_char(e);
        if (c == 0) return fail(Errc::malformed, "bad JSON escape");
      }
    }
    if (n == out.size()) return fail(Errc::too_large, "JSON string too long for the buffer");
    out[n++] = c;
  }
  return std::string_view(out.data(), n);
}

Result<DpsResponse> parse_dps_response(std::string_view body, std::span<char> text) noexcept {
  std::size_t i = 0;
  while (i < body.size() && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) ++i;
  if (i == body.size() || body[i] != '{') return fail(Errc::malformed, "DPS answer is not a JSON object");
  DpsResponse r;
  TextArena arena{text};
  const std::string_view state = json_member(body, "registrationState").value_or(std::string_view{});
  auto status = arena.take(body, "status", false);
  if (!status) return tl::unexpected(status.error());
  if (status->empty() && !state.empty()) status = arena.take(state, "status", false);
  if (!status) return tl::unexpected(status.error());
  r.status = parse_dps_status(*status);
  arena.used -= status->size();  // the status is kept as an enum, not as text
  auto operation = arena.take(body, "operationId", false);
  if (!operation) return tl::unexpected(operation.error());
  r.operation_id = *operation;
  if (!state.empty()) {
    auto hub = arena.take(state, "assignedHub", false);
    if (!hub) return tl::unexpected(hub.error());
    r.assigned_hub = *hub;
    auto device = arena.take(state, "deviceId", false);
    if (!device) return tl::unexpected(device.error());
    r.device_id = *device;
    auto sub = arena.take(state, "substatus", true);
    if (sub) r.substatus = *sub;
  }
  // Errors: top level (errorCode, message) for 4xx/5xx; registrationState (errorCode, errorMessage) for failed.
  const std::string_view sources[2][2] = {{body, "message"}, {state, "errorMessage"}};
  for (const auto& [object, message_key] : sources) {
    if (object.empty()) continue;
    if (auto code = json_member(object, "errorCode"))
      if (auto v = json_integer(*code); v && r.error_code == 0) r.error_code = *v;
    if (r.error_message.empty())
      if (auto message = arena.take(object, message_key, true)) r.error_message = *message;
  }
  return r;
}

}  // namespace picohub::iothub
