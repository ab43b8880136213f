#include "hub/telemetry_fields.hpp"

#include <charconv>

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
  // What makes write_telemetry_event() keep the raw bag: a pair with an empty key (it starts with '='), or a '%'
  // without two hex digits after it. '&' and '=' are not hex digits, so checking each escape over the whole bag
  // finds the same as url-decoding each key and value (tested against the writer on random bags).
  if (bag.substr(0, 1) == "=" || bag.find("&=") != std::string_view::npos) return false;
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  for (auto at = bag.find('%'); at != std::string_view::npos; at = bag.find('%', at + 1)) {
    if (at + 2 >= bag.size() || !hex(bag[at + 1]) || !hex(bag[at + 2])) return false;
  }
  return true;
}

}  // namespace picohub::hub
