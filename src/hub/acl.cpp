#include "hub/acl.hpp"

#include <charconv>

#include "hub/codec.hpp"

namespace picohub::hub {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string identity_prefix(std::string_view device_id, std::string_view module_id) {
  std::string p = "devices/" + std::string(device_id) + "/";
  if (!module_id.empty()) p += "modules/" + std::string(module_id) + "/";
  return p;
}

}  // namespace

std::optional<std::string> query_value(std::string_view topic, std::string_view name) {
  auto q = topic.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  auto query = topic.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    if (key == name) {
      auto value = url_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
      return value ? value : std::optional<std::string>(std::string());
    }
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return std::nullopt;
}

ClassifiedPublish classify_publish(std::string_view topic, std::string_view device_id, std::string_view module_id) {
  ClassifiedPublish out;
  if (topic.find_first_of("+#") != std::string_view::npos) return out;
  auto events = identity_prefix(device_id, module_id) + "messages/events/";
  if (starts_with(topic, events)) {
    auto bag = topic.substr(events.size());
    // Node adds one more '/' after a module output bag.
    if (!bag.empty() && bag.back() == '/') bag.remove_suffix(1);
    if (bag.find('/') != std::string_view::npos) return out;
    out.kind = PublishKind::telemetry;
    out.property_bag = std::string(bag);
    return out;
  }
  if (starts_with(topic, "$iothub/twin/GET/")) {
    out.kind = PublishKind::twin_get;
    out.rid = query_value(topic, "$rid").value_or("");
    return out;
  }
  if (starts_with(topic, "$iothub/twin/PATCH/properties/reported/")) {
    out.kind = PublishKind::twin_patch_reported;
    out.rid = query_value(topic, "$rid").value_or("");
    return out;
  }
  constexpr std::string_view method_res = "$iothub/methods/res/";
  if (starts_with(topic, method_res)) {
    auto rest = topic.substr(method_res.size());
    auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) return out;
    int status = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + slash, status);
    if (ec != std::errc() || ptr != rest.data() + slash) return out;
    out.kind = PublishKind::method_response;
    out.status = status;
    out.rid = query_value(topic, "$rid").value_or("");
    return out;
  }
  return out;
}

std::uint8_t classify_subscription(std::string_view filter, std::string_view device_id, std::string_view module_id) {
  if (filter == "$iothub/methods/POST/#") return sub_methods;
  if (filter == "$iothub/twin/res/#") return sub_twin_res;
  if (filter == "$iothub/twin/PATCH/properties/desired/#") return sub_twin_desired;
  if (module_id.empty()) {
    if (filter == "devices/" + std::string(device_id) + "/messages/devicebound/#") return sub_c2d;
    if (filter == "devices/+/messages/devicebound/#") return sub_c2d;  // the embedded C SDK's form
  } else {
    auto prefix = identity_prefix(device_id, module_id);
    if (filter == prefix + "inputs/#" || filter == prefix + "#") return sub_module_inputs;
  }
  return 0;
}

}  // namespace picohub::hub
