#include "hub/telemetry_fields.hpp"

#include <charconv>
#include <span>

#include "iothub/property_bag.hpp"

namespace picohub::hub {

namespace {

constexpr char kMarker = '\x01';

void append_field(std::string& out, std::string_view field) {
  char digits[24];
  auto r = std::to_chars(digits, digits + sizeof digits, field.size());
  out.append(digits, r.ptr);
  out += ':';
  out += field;
}

bool take_field(std::string_view& rest, std::string_view& field) {
  auto colon = rest.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::size_t size = 0;
  auto r = std::from_chars(rest.data(), rest.data() + colon, size);
  if (r.ec != std::errc() || r.ptr != rest.data() + colon || size > rest.size() - colon - 1) return false;
  field = rest.substr(colon + 1, size);
  rest.remove_prefix(colon + 1 + size);
  return true;
}

}  // namespace

void encode_telemetry_fields(const TelemetryEventInput& in, std::string& out) {
  out.clear();
  out += kMarker;
  append_field(out, in.module_id);
  append_field(out, in.model_id);
  append_field(out, in.generation_id);
  out += in.retain ? '1' : '0';
  out += in.property_bag;
}

bool is_telemetry_fields(std::string_view stored) { return !stored.empty() && stored.front() == kMarker; }

bool decode_telemetry_fields(std::string_view stored, TelemetryEventInput& in) {
  if (!is_telemetry_fields(stored)) return false;
  std::string_view rest = stored.substr(1);
  if (!take_field(rest, in.module_id) || !take_field(rest, in.model_id) || !take_field(rest, in.generation_id) ||
      rest.empty() || (rest.front() != '0' && rest.front() != '1')) {
    return false;
  }
  in.retain = rest.front() == '1';
  in.property_bag = rest.substr(1);
  return true;
}

bool property_bag_well_formed(std::string_view bag) {
  // Only a '%' escape can fail to decode; without one, only an empty key (a pair starting with '=') is malformed.
  if (bag.find('%') == std::string_view::npos)
    return bag.empty() || (bag.front() != '=' && bag.find("&=") == std::string_view::npos);
  // The same decoding write_telemetry_event does, into scratch space (decoded text is never longer).
  static thread_local std::string scratch;
  scratch.resize(bag.size());
  const std::span<char> space(scratch.data(), scratch.size());
  iothub::PropertyBagReader reader(bag);
  while (auto p = reader.next()) {
    auto k = iothub::decode_key(*p, space);
    if (!k || k->empty()) return false;
    if (p->has_value && !iothub::decode_value(*p, space)) return false;
  }
  return true;
}

}  // namespace picohub::hub
