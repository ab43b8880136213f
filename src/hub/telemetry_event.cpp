#include "hub/telemetry_event.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "hub/codec.hpp"
#include "iothub/base64.hpp"
#include "iothub/property_bag.hpp"

namespace picohub::hub {

namespace {

struct Entry {
  std::string_view key;
  std::string_view value;
  bool is_null = false;
  bool is_literal = false;  // `value` is already a JSON string literal (a constant, escaped once)
};

// The auth method every SAS device's event names, as append_json_string writes it.
constexpr std::string_view kSasAuthMethodLiteral = R"("{\"scope\":\"device\",\"type\":\"sas\",\"issuer\":\"iothub\"}")";

// IoT Hub's names for the `$.x` system properties in the telemetry event.
constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kSystemNames = {{
    {"$.mid", "message-id"},
    {"$.cid", "correlation-id"},
    {"$.uid", "user-id"},
    {"$.ct", "content-type"},
    {"$.ce", "content-encoding"},
    {"$.to", "to"},
    {"$.exp", "absolute-expiry-time"},
    {"$.on", "iothub-outputname"},
    {"$.ifid", "iothub-interface-id"},
    {"$.sub", "dt-subject"},
    {"$.ctime", "iothub-creation-time-utc"},
}};

std::string_view system_property_name(std::string_view key) {
  for (const auto& [from, to] : kSystemNames) {
    if (from == key) return to;
  }
  return key;
}

// nlohmann::json objects are std::map<std::string, json>: keys come out sorted bytewise and an assignment to an
// existing key replaces its value. Stable sort + "last of each run" gives the same object. Insertion sort: a
// handful of entries, stable, and no temporary buffer (std::stable_sort allocates one per call).
void append_object(std::string& out, std::vector<Entry>& entries) {
  for (std::size_t i = 1; i < entries.size(); ++i) {
    Entry e = entries[i];
    std::size_t j = i;
    for (; j > 0 && e.key < entries[j - 1].key; --j) entries[j] = entries[j - 1];
    entries[j] = e;
  }
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i + 1 < entries.size() && entries[i + 1].key == entries[i].key) continue;  // a later value wins
    if (!first) out += ',';
    first = false;
    append_json_string(out, entries[i].key);
    out += ':';
    if (entries[i].is_null) {
      out += "null";
    } else if (entries[i].is_literal) {
      out += entries[i].value;
    } else {
      append_json_string(out, entries[i].value);
    }
  }
  out += '}';
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Byte classes for one pass over a string: 0 = copy as is, 1 = escape, 2 = non-ASCII (UTF-8 must be checked).
constexpr std::array<std::uint8_t, 256> kByteClass = [] {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = 1;
  t['"'] = 1;
  t['\\'] = 1;
  for (int c = 0x80; c < 0x100; ++c) t[static_cast<std::size_t>(c)] = 2;
  return t;
}();

// true when none of the 8 bytes needs a look (class 0 above): most text is plain ASCII, so it is scanned a word at
// a time. The usual "has a byte below n" / "has a zero byte" bit tricks; a false alarm only costs the byte loop.
bool plain_word(const char* p) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  const std::uint64_t quote = w ^ (kOnes * '"');
  const std::uint64_t backslash = w ^ (kOnes * '\\');
  const std::uint64_t special = ((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
                                ((backslash - kOnes) & ~backslash) | w;
  return (special & kHigh) == 0;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t start = out.size();
  bool checked_utf8 = false;
  out += '"';
  std::size_t run = 0;  // start of the current run of bytes that need no escape
  for (std::size_t i = 0; i < text.size(); ++i) {
    while (text.size() - i >= 8 && plain_word(text.data() + i)) i += 8;
    if (i == text.size()) break;
    auto c = static_cast<unsigned char>(text[i]);
    std::uint8_t cls = kByteClass[c];
    if (cls == 0) continue;
    if (cls == 2) {
      if (!checked_utf8 && !is_valid_utf8(text.substr(i))) {
        // Rare (a %FF in a property): let nlohmann apply its own U+FFFD replacement rules.
        out.resize(start);
        out += nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return;
      }
      checked_utf8 = true;
      continue;
    }
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(esc, sizeof esc);
      }
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

void append_iso8601_utc(std::string& out, std::int64_t unix_ms) {
  if (unix_ms < 0) {
    out += iso8601_utc(unix_ms);
    return;
  }
  // gmtime_r + strftime cost more than the rest of the event; telemetry arrives many times per second.
  static thread_local std::int64_t cached_second = -1;
  static thread_local std::string cached_prefix;  // "2026-11-25T01:02:03"
  std::int64_t second = unix_ms / 1000;
  if (second != cached_second) {
    std::string full = iso8601_utc(second * 1000);
    cached_prefix = full.substr(0, full.size() - 5);  // drop ".000Z"
    cached_second = second;
  }
  out += cached_prefix;
  auto ms = static_cast<int>(unix_ms % 1000);
  char tail[5] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                  static_cast<char>('0' + ms % 10), 'Z'};
  out.append(tail, sizeof tail);
}

void append_event_body_fields(std::string& out, std::string_view payload) {
  out += "{\"body\":";
  if (is_valid_utf8(payload)) {
    append_json_string(out, payload);
  } else {
    out += "null";
  }
  out += ",\"bodyBase64\":\"";
  std::size_t b64_at = out.size();
  out.resize(b64_at + iothub::base64_encoded_size(payload.size()));
  auto encoded = iothub::base64_encode(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()),
      std::span<char>(out.data() + b64_at, out.size() - b64_at));
  out.resize(b64_at + (encoded ? encoded->size() : 0));
  out += "\",";
}

std::string_view telemetry_event_suffix(std::string_view event) {
  // Inside a JSON string every '"' is escaped, so this key (with its unescaped quotes) is the real one, and
  // base64 has no '"': the suffix starts after the closing quote and its comma.
  constexpr std::string_view kKey = ",\"bodyBase64\":\"";
  auto at = event.find(kKey);
  if (at == std::string_view::npos) return {};
  auto end = event.find('"', at + kKey.size());
  if (end == std::string_view::npos || end + 2 > event.size()) return {};
  return event.substr(end + 2);
}

namespace {

// Appends everything after the body fields: the suffix telemetry_event_suffix() finds in a whole event.
bool append_event_suffix(const TelemetryEventInput& in, std::string& out) {
  // Reused between calls: the broker thread is the only caller, and the capacity settles after a few messages.
  static thread_local std::vector<Entry> system, properties;
  static thread_local std::string arena;
  system.clear();
  properties.clear();

  // Decoded keys and values are never longer than their encoded text, so they all fit in bag.size() bytes and
  // the views into `arena` stay valid.
  // A pair that does not decode (a broken %XX escape, an empty key) is skipped; the others are kept and the raw
  // bag goes into systemProperties["picohub-malformed-property-bag"], so nothing the device sent is lost.
  bool bag_ok = true;
  arena.resize(in.property_bag.size());
  std::size_t used = 0;
  iothub::PropertyBagReader reader(in.property_bag);
  while (auto p = reader.next()) {
    std::size_t mark = used;
    auto k = iothub::decode_key(*p, std::span<char>(arena.data() + used, arena.size() - used));
    if (!k || k->empty()) {
      bag_ok = false;
      continue;
    }
    used += k->size();
    Entry e{*k, {}, !p->has_value};
    if (p->has_value) {
      auto v = iothub::decode_value(*p, std::span<char>(arena.data() + used, arena.size() - used));
      if (!v) {
        bag_ok = false;
        used = mark;
        continue;
      }
      used += v->size();
      e.value = *v;
    }
    if (e.key.substr(0, 2) == "$.") {
      e.key = system_property_name(e.key);
      system.push_back(e);
    } else {
      properties.push_back(e);
    }
  }
  if (!bag_ok) system.push_back({"picohub-malformed-property-bag", in.property_bag, false});
  if (in.retain) properties.push_back({"mqtt-retain", "true", false});

  std::size_t time_at = 0, time_len = 0;  // enqueuedTime is written once and copied into systemProperties

  // Top-level keys in nlohmann's (sorted) order: body, bodyBase64 (written by the caller), deviceId, enqueuedTime,
  // moduleId, properties, sequence, systemProperties.
  out += "\"deviceId\":";
  append_json_string(out, in.device_id);
  out += ",\"enqueuedTime\":\"";
  time_at = out.size();
  append_iso8601_utc(out, in.enqueued_ms);
  time_len = out.size() - time_at;
  out += "\",\"moduleId\":";
  if (in.module_id.empty()) {
    out += "null";
  } else {
    append_json_string(out, in.module_id);
  }
  out += ",\"properties\":";
  append_object(out, properties);
  out += ",\"sequence\":";
  append_int(out, in.sequence);
  out += ",\"systemProperties\":";
  char time_text[48];
  std::string_view enqueued_time(time_text, std::min(time_len, sizeof time_text));
  out.copy(time_text, enqueued_time.size(), time_at);
  system.push_back({"iothub-connection-device-id", in.device_id, false});
  if (!in.module_id.empty()) system.push_back({"iothub-connection-module-id", in.module_id, false});
  system.push_back({"iothub-connection-auth-method", kSasAuthMethodLiteral, false, true});
  system.push_back({"iothub-enqueuedtime", enqueued_time, false});
  if (!in.generation_id.empty()) system.push_back({"iothub-connection-auth-generation-id", in.generation_id, false});
  if (!in.model_id.empty()) system.push_back({"dt-dataschema", in.model_id, false});
  append_object(out, system);
  out += '}';
  return bag_ok;
}

}  // namespace

bool write_telemetry_event(const TelemetryEventInput& in, std::string& out) {
  out.clear();
  out.reserve(400 + in.property_bag.size() * 2 + in.payload.size() * 3);
  append_event_body_fields(out, in.payload);
  return append_event_suffix(in, out);
}

}  // namespace picohub::hub
