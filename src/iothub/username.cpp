#include "iothub/username.hpp"

#include "iothub/text_writer.hpp"
#include "iothub/url_encoding.hpp"

namespace picohub::iothub {
namespace {

bool valid_segment(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (c == '/' || c == '#' || c == '+' || c == '\0') return false;
  return true;
}

}  // namespace

Result<std::string_view> mqtt_client_id(std::string_view device_id, std::string_view module_id,
                                        std::span<char> out) noexcept {
  if (!valid_segment(device_id)) return fail(Errc::invalid_argument, "device id is empty or contains '/', '#' or '+'");
  if (!module_id.empty() && !valid_segment(module_id))
    return fail(Errc::invalid_argument, "module id contains '/', '#' or '+'");
  TextWriter w{out};
  w.text(device_id);
  if (!module_id.empty()) {
    w.text("/");
    w.text(module_id);
  }
  if (w.overflow) return fail(Errc::too_large, "buffer too small for the MQTT client id");
  return std::string_view(out.data(), w.n);
}

Result<std::string_view> mqtt_username(const UsernameOptions& o, std::span<char> out) noexcept {
  if (!valid_segment(o.host)) return fail(Errc::invalid_argument, "host name is empty or contains '/'");
  if (!valid_segment(o.device_id))
    return fail(Errc::invalid_argument, "device id is empty or contains '/', '#' or '+'");
  if (!o.module_id.empty() && !valid_segment(o.module_id))
    return fail(Errc::invalid_argument, "module id contains '/', '#' or '+'");
  TextWriter w{out};
  w.text(o.host);
  w.text("/");
  w.text(o.device_id);
  if (!o.module_id.empty()) {
    w.text("/");
    w.text(o.module_id);
  }
  w.text("/?api-version=");
  w.encoded(o.api_version);
  if (!o.client_type.empty()) {
    w.text("&DeviceClientType=");
    w.encoded(o.client_type);
  }
  if (!o.model_id.empty()) {
    w.text("&model-id=");
    w.encoded(o.model_id);
  }
  if (w.overflow) return fail(Errc::too_large, "buffer too small for the MQTT username");
  return std::string_view(out.data(), w.n);
}

bool find_query_param(std::string_view query, std::string_view name, std::string_view& value) noexcept {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    if (key == name) {
      value = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
      return true;
    }
  }
  value = {};
  return false;
}

Result<ParsedUsername> parse_mqtt_username(std::string_view username) noexcept {
  ParsedUsername p;
  std::string_view path = username;
  const std::size_t q = username.find('?');
  if (q != std::string_view::npos) {
    path = username.substr(0, q);
    p.query = username.substr(q + 1);
  }
  // Split the path into at most 4 segments (host, device, module, old-style query).
  std::string_view seg[4];
  std::size_t count = 0;
  std::string_view rest = path;
  while (true) {
    const std::size_t slash = rest.find('/');
    if (count == 4) return fail(Errc::malformed, "username has too many '/' segments (expected host/device[/module])");
    seg[count++] = rest.substr(0, slash);
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  // A trailing '/' (as in ".../dev1/?api-version=") leaves an empty last segment.
  if (count > 1 && seg[count - 1].empty()) --count;
  // Old SDKs: ".../dev1/api-version=2016-11-14&DeviceClientType=..." with no '?'.
  if (q == std::string_view::npos && count >= 3 && seg[count - 1].starts_with("api-version=")) {
    p.query = seg[count - 1];
    --count;
  }
  if (count < 2 || count > 3)
    return fail(Errc::malformed, "username must be {host}/{deviceId}[/{moduleId}]/?api-version=...");
  for (std::size_t i = 0; i < count; ++i)
    if (!valid_segment(seg[i])) return fail(Errc::malformed, "username has an empty host, device or module segment");
  p.host = seg[0];
  p.device_id = seg[1];
  if (count == 3) p.module_id = seg[2];
  find_query_param(p.query, "api-version", p.api_version);
  find_query_param(p.query, "DeviceClientType", p.client_type);
  find_query_param(p.query, "model-id", p.model_id);
  return p;
}

}  // namespace picohub::iothub
