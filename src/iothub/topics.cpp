#include "iothub/topics.hpp"

#include <charconv>

#include "iothub/text_writer.hpp"
#include "iothub/url_encoding.hpp"

namespace picohub::iothub {
namespace {

constexpr const char* topic_too_small = "buffer too small for the topic";

bool valid_id(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (c == '/' || c == '#' || c == '+' || c == '\0') return false;
  return true;
}

bool valid_rid(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (c == '&' || c == '/' || c == '?' || c == '#' || c == '+' || c == '\0' || c == ' ') return false;
  return true;
}

bool has_wildcard(std::string_view s) noexcept { return s.find_first_of("#+") != std::string_view::npos; }

bool consume(std::string_view& s, std::string_view prefix) noexcept {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// Up to 9 digits with an optional '-': any status a device may choose, without overflow.
std::optional<int> parse_status(std::string_view s) noexcept {
  bool negative = false;
  if (!s.empty() && s.front() == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return negative ? -v : v;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) noexcept {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// Splits "segment/?query" after a known prefix: returns false unless `rest` is exactly "{segment}/?{query}".
bool split_segment_query(std::string_view rest, std::string_view& segment, std::string_view& query) noexcept {
  const std::size_t slash = rest.find("/?");
  if (slash == std::string_view::npos) return false;
  segment = rest.substr(0, slash);
  query = rest.substr(slash + 2);
  return segment.find('/') == std::string_view::npos;
}

// rid from a "?$rid=.." query; empty view when missing or unusable.
std::string_view required_rid(std::string_view query) noexcept {
  auto q = parse_topic_query(query);
  if (!q || !q->has_rid || q->rid.empty()) return {};
  return q->rid;
}

// The telemetry bag: Node adds a '/' after a module output bag; nothing else may contain '/'.
bool telemetry_bag(std::string_view rest, std::string_view& bag) noexcept {
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return false;
  bag = rest;
  return true;
}

}  // namespace

Result<void> write_message_properties(PropertyBagWriter& bag, const MessageProperties& props) noexcept {
  Result<void> r;
  if (!props.message_id.empty()) r = bag.add("$.mid", props.message_id);
  if (r && !props.correlation_id.empty()) r = bag.add("$.cid", props.correlation_id);
  if (r && !props.content_type.empty()) r = bag.add("$.ct", props.content_type);
  if (r && !props.content_encoding.empty()) r = bag.add("$.ce", props.content_encoding);
  for (const KeyValue& kv : props.application) {
    if (!r) break;
    r = kv.is_null ? bag.add_null(kv.key) : bag.add(kv.key, kv.value);
  }
  return r;
}

Result<std::string_view> telemetry_topic(std::string_view device_id, std::string_view module_id,
                                         const MessageProperties& props, std::span<char> out) noexcept {
  if (!valid_id(device_id)) return fail(Errc::invalid_argument, "device id is empty or contains '/', '#' or '+'");
  if (!module_id.empty() && !valid_id(module_id))
    return fail(Errc::invalid_argument, "module id contains '/', '#' or '+'");
  TextWriter w{out};
  w.text("devices/");
  w.text(device_id);
  if (!module_id.empty()) {
    w.text("/modules/");
    w.text(module_id);
  }
  w.text("/messages/events/");
  if (w.overflow) return w.result(topic_too_small);
  PropertyBagWriter bag(out.subspan(w.n));
  auto r = write_message_properties(bag, props);
  if (!r) return tl::unexpected(r.error());
  return std::string_view(out.data(), w.n + bag.size());
}

Result<std::string_view> c2d_subscribe_filter(std::string_view device_id, std::span<char> out) noexcept {
  if (!valid_id(device_id)) return fail(Errc::invalid_argument, "device id is empty or contains '/', '#' or '+'");
  TextWriter w{out};
  w.text("devices/");
  w.text(device_id);
  w.text("/messages/devicebound/#");
  return w.result(topic_too_small);
}

Result<std::string_view> c2d_topic(std::string_view device_id, std::string_view encoded_bag,
                                   std::span<char> out) noexcept {
  if (!valid_id(device_id)) return fail(Errc::invalid_argument, "device id is empty or contains '/', '#' or '+'");
  if (encoded_bag.find_first_of("/#+") != std::string_view::npos)
    return fail(Errc::invalid_argument, "an encoded property bag must not contain '/', '#' or '+'");
  TextWriter w{out};
  w.text("devices/");
  w.text(device_id);
  w.text("/messages/devicebound/");
  w.text(encoded_bag);
  return w.result(topic_too_small);
}

Result<std::string_view> parse_c2d_topic(std::string_view topic, std::string_view device_id) noexcept {
  std::string_view rest = topic;
  if (device_id.empty() || !consume(rest, "devices/") || !consume(rest, device_id) ||
      !consume(rest, "/messages/devicebound"))
    return fail(Errc::malformed, "not a cloud-to-device topic for this device");
  if (rest.empty()) return rest;
  if (!consume(rest, "/")) return fail(Errc::malformed, "not a cloud-to-device topic for this device");
  if (rest.find('/') != std::string_view::npos)
    return fail(Errc::malformed, "cloud-to-device property bag contains '/'");
  return rest;
}

Result<std::string_view> twin_get_topic(std::string_view rid, std::span<char> out) noexcept {
  if (!valid_rid(rid)) return fail(Errc::invalid_argument, "request id is empty or contains & / ? # + or space");
  TextWriter w{out};
  w.text("$iothub/twin/GET/?$rid=");
  w.text(rid);
  return w.result(topic_too_small);
}

Result<std::string_view> twin_patch_reported_topic(std::string_view rid, std::span<char> out) noexcept {
  if (!valid_rid(rid)) return fail(Errc::invalid_argument, "request id is empty or contains & / ? # + or space");
  TextWriter w{out};
  w.text("$iothub/twin/PATCH/properties/reported/?$rid=");
  w.text(rid);
  return w.result(topic_too_small);
}

Result<std::string_view> method_response_topic(int status, std::string_view rid, std::span<char> out) noexcept {
  if (!valid_rid(rid)) return fail(Errc::invalid_argument, "request id is empty or contains & / ? # + or space");
  TextWriter w{out};
  w.text("$iothub/methods/res/");
  w.number(status);
  w.text("/?$rid=");
  w.text(rid);
  return w.result(topic_too_small);
}

Result<std::string_view> twin_response_topic(int status, std::string_view rid, std::optional<std::uint64_t> version,
                                             std::span<char> out) noexcept {
  if (!valid_rid(rid)) return fail(Errc::invalid_argument, "request id is empty or contains & / ? # + or space");
  TextWriter w{out};
  w.text("$iothub/twin/res/");
  w.number(status);
  w.text("/?$rid=");
  w.text(rid);
  if (version) {
    w.text("&$version=");
    w.number(*version);
  }
  return w.result(topic_too_small);
}

Result<std::string_view> twin_desired_topic(std::uint64_t version, std::span<char> out) noexcept {
  TextWriter w{out};
  w.text("$iothub/twin/PATCH/properties/desired/?$version=");
  w.number(version);
  return w.result(topic_too_small);
}

bool is_valid_method_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return false;
    if (std::string_view("$()<>@,;:\\\"/[]?={}+#").find(c) != std::string_view::npos) return false;
  }
  return true;
}

Result<std::string_view> method_request_topic(std::string_view method_name, std::string_view rid,
                                              std::span<char> out) noexcept {
  if (!is_valid_method_name(method_name)) {
    return fail(Errc::invalid_argument,
                "method name is not 1-128 printable characters without space, + # or $()<>@,;:\\\"/[]?={}");
  }
  if (!valid_rid(rid)) return fail(Errc::invalid_argument, "request id is empty or contains & / ? # + or space");
  TextWriter w{out};
  w.text("$iothub/methods/POST/");
  w.text(method_name);
  w.text("/?$rid=");
  w.text(rid);
  return w.result(topic_too_small);
}

Result<TopicQuery> parse_topic_query(std::string_view query) noexcept {
  TopicQuery q;
  PropertyBagReader reader(query);
  while (auto p = reader.next()) {
    if (p->key == "$rid") {
      if (q.has_rid) return fail(Errc::malformed, "topic query repeats $rid");
      q.has_rid = true;
      q.rid = p->value;
    } else if (p->key == "$version") {
      if (q.version) return fail(Errc::malformed, "topic query repeats $version");
      q.version = parse_u64(p->value);
      if (!q.version) return fail(Errc::malformed, "topic query $version is not a number");
    }
  }
  return q;
}

DevicePublish classify_device_publish(std::string_view topic, std::string_view device_id,
                                      std::string_view module_id) noexcept {
  DevicePublish out;
  if (has_wildcard(topic) || !valid_id(device_id) || (!module_id.empty() && !valid_id(module_id))) return out;
  std::string_view rest = topic;
  if (consume(rest, "devices/")) {
    if (!consume(rest, device_id) || !consume(rest, "/")) return out;
    if (!module_id.empty() && !(consume(rest, "modules/") && consume(rest, module_id) && consume(rest, "/")))
      return out;
    if (rest == "messages/events") {
      out.kind = DevicePublishKind::telemetry;
      return out;
    }
    if (!consume(rest, "messages/events/") || !telemetry_bag(rest, out.bag)) return out;
    out.kind = DevicePublishKind::telemetry;
    return out;
  }
  if (consume(rest, "$iothub/twin/GET/?")) {
    out.rid = required_rid(rest);
    if (!out.rid.empty()) out.kind = DevicePublishKind::twin_get;
    return out;
  }
  if (consume(rest, "$iothub/twin/PATCH/properties/reported/?")) {
    out.rid = required_rid(rest);
    if (!out.rid.empty()) out.kind = DevicePublishKind::twin_patch_reported;
    return out;
  }
  if (consume(rest, "$iothub/methods/res/")) {
    std::string_view status;
    std::string_view query;
    if (!split_segment_query(rest, status, query)) return out;
    const auto s = parse_status(status);
    out.rid = required_rid(query);
    if (!s || out.rid.empty()) return out;
    out.status = *s;
    out.kind = DevicePublishKind::method_response;
    return out;
  }
  return out;
}

DeviceSubscriptionKind classify_device_subscription(std::string_view filter, std::string_view device_id,
                                                    std::string_view module_id) noexcept {
  if (!valid_id(device_id) || (!module_id.empty() && !valid_id(module_id))) return DeviceSubscriptionKind::invalid;
  if (filter == methods_filter) return DeviceSubscriptionKind::methods;
  if (filter == twin_response_filter) return DeviceSubscriptionKind::twin_res;
  if (filter == twin_desired_filter) return DeviceSubscriptionKind::twin_desired;
  std::string_view rest = filter;
  if (!consume(rest, "devices/")) return DeviceSubscriptionKind::invalid;
  if (module_id.empty()) {
    if (!consume(rest, "+/") && !(consume(rest, device_id) && consume(rest, "/")))
      return DeviceSubscriptionKind::invalid;
    return rest == "messages/devicebound/#" ? DeviceSubscriptionKind::c2d : DeviceSubscriptionKind::invalid;
  }
  if (!(consume(rest, device_id) && consume(rest, "/modules/") && consume(rest, module_id) && consume(rest, "/")))
    return DeviceSubscriptionKind::invalid;
  return rest == "#" || rest == "inputs/#" ? DeviceSubscriptionKind::module_inputs : DeviceSubscriptionKind::invalid;
}

HubPublish classify_hub_publish(std::string_view topic, std::string_view device_id,
                                std::string_view module_id) noexcept {
  HubPublish out;
  std::string_view rest = topic;
  if (consume(rest, "devices/")) {
    if (!consume(rest, device_id) || !consume(rest, "/")) return out;
    if (module_id.empty()) {
      if (auto bag = parse_c2d_topic(topic, device_id)) {
        out.kind = HubPublishKind::c2d;
        out.bag = *bag;
      }
      return out;
    }
    if (!(consume(rest, "modules/") && consume(rest, module_id) && consume(rest, "/inputs/"))) return out;
    const std::size_t slash = rest.find('/');
    out.name = rest.substr(0, slash);
    if (out.name.empty()) return out;
    out.bag = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (out.bag.ends_with('/')) out.bag.remove_suffix(1);
    if (out.bag.find('/') != std::string_view::npos) return out;
    out.kind = HubPublishKind::module_input;
    return out;
  }
  if (consume(rest, "$iothub/twin/res/")) {
    std::string_view status;
    std::string_view query;
    if (!split_segment_query(rest, status, query)) return out;
    const auto s = parse_status(status);
    const auto q = parse_topic_query(query);
    if (!s || !q || !q->has_rid) return out;
    out.status = *s;
    out.rid = q->rid;
    out.version = q->version;
    out.kind = HubPublishKind::twin_response;
    return out;
  }
  if (consume(rest, "$iothub/twin/PATCH/properties/desired/?")) {
    const auto q = parse_topic_query(rest);
    if (!q || !q->version) return out;
    out.version = q->version;
    out.kind = HubPublishKind::twin_desired;
    return out;
  }
  if (consume(rest, "$iothub/methods/POST/")) {
    std::string_view name;
    std::string_view query;
    if (!split_segment_query(rest, name, query) || name.empty()) return out;
    out.rid = required_rid(query);
    if (out.rid.empty()) return out;
    out.name = name;
    out.kind = HubPublishKind::method_request;
    return out;
  }
  return out;
}

}  // namespace picohub::iothub
