#include "hub/twin.hpp"

#include "hub/codec.hpp"

namespace picohub::hub {

using nlohmann::json;

namespace {

std::optional<std::string> check_key(const std::string& key) {
  if (key.empty()) return "twin property names must not be empty";
  if (key.size() > kTwinKeyMaxBytes) return "twin property name longer than 1 KB";
  for (char c : key) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == '.' || c == '$' || c == ' ') {
      return "twin property name '" + key + "' contains '.', '$', a space or a control character";
    }
  }
  // C1 controls (U+0080..U+009F) are encoded as C2 80..C2 9F.
  for (std::size_t i = 0; i + 1 < key.size(); ++i) {
    if (static_cast<unsigned char>(key[i]) == 0xC2 && static_cast<unsigned char>(key[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(key[i + 1]) <= 0x9F) {
      return "twin property name '" + key + "' contains a control character";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_value(const json& value, int depth) {
  if (value.is_object()) {
    if (depth > kTwinMaxDepth) return "twin is nested deeper than 10 levels";
    for (auto& [k, v] : value.items()) {
      if (auto e = check_key(k)) return e;
      if (auto e = check_value(v, depth + 1)) return e;
    }
    return std::nullopt;
  }
  if (value.is_array()) {
    if (depth > kTwinMaxDepth) return "twin is nested deeper than 10 levels";
    for (auto& v : value) {
      if (auto e = check_value(v, depth + 1)) return e;
    }
    return std::nullopt;
  }
  if (value.is_string() && value.get_ref<const std::string&>().size() > kTwinValueMaxBytes) {
    return "a twin string value is longer than 4 KB";
  }
  if (value.is_number_integer()) {
    auto v = value.is_number_unsigned() ? (value.get<std::uint64_t>() > static_cast<std::uint64_t>(kTwinMaxInt)
                                               ? kTwinMaxInt + 1
                                               : static_cast<std::int64_t>(value.get<std::uint64_t>()))
                                        : value.get<std::int64_t>();
    if (v > kTwinMaxInt || v < kTwinMinInt) return "a twin integer is outside -4503599627370496..4503599627370495";
  }
  return std::nullopt;
}

// Merges patch into target (null deletes), and mirrors the touched nodes into meta with $lastUpdated.
void merge(json& target, json& meta, const json& patch, const std::string& stamp) {
  for (auto& [k, v] : patch.items()) {
    if (v.is_null()) {
      target.erase(k);
      meta.erase(k);
      continue;
    }
    if (v.is_object()) {
      if (!target.contains(k) || !target[k].is_object()) {
        target[k] = json::object();
        meta[k] = json::object();
      }
      if (!meta.contains(k) || !meta[k].is_object()) meta[k] = json::object();
      merge(target[k], meta[k], v, stamp);
      meta[k]["$lastUpdated"] = stamp;
      continue;
    }
    target[k] = v;
    meta[k] = json{{"$lastUpdated", stamp}};
  }
}

json parse_section(const std::string& text) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) doc = json::object();
  return doc;
}

json members_only(json section) {
  section.erase("$metadata");
  section.erase("$version");
  return section;
}

}  // namespace

std::optional<json> parse_twin_patch(std::string_view text, std::string& error) {
  auto patch = json::parse(text, nullptr, false);
  if (patch.is_discarded()) {
    error = "the twin patch is not valid JSON";
    return std::nullopt;
  }
  if (!patch.is_object()) {
    error = "the twin patch must be a JSON object";
    return std::nullopt;
  }
  patch.erase("$version");               // a client echoing $version back is harmless
  if (auto e = check_value(patch, 0)) {  // the section itself is level 0: {"one":{..{"ten":{..}}}} fits
    error = *e;
    return std::nullopt;
  }
  return patch;
}

namespace {
std::size_t counted_text_size(const std::string& text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool c0 = c < 0x20 || c == 0x7F;
    const bool c1 = c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(text[i + 1]) <= 0x9F;  // U+0080..U+009F in UTF-8
    if (c1) {
      ++i;
      continue;
    }
    const bool continuation = (c & 0xC0) == 0x80;  // characters are counted, not their UTF-8 bytes
    if (!c0 && !continuation) ++n;
  }
  return n;
}
}  // namespace

std::size_t twin_section_size(const json& members) {
  std::size_t total = 0;
  for (const auto& [key, value] : members.items()) {
    if (key == "$metadata" || key == "$version") continue;
    total += counted_text_size(key);
    if (value.is_object()) {
      total += twin_section_size(value);
    } else if (value.is_string()) {
      total += counted_text_size(value.get_ref<const std::string&>());
    } else if (value.is_boolean()) {
      total += 4;
    } else if (value.is_number()) {
      total += 8;
    } else if (!value.is_null()) {
      total += value.dump().size();  // arrays are refused by the patch checks; counted as text if ever present
    }
  }
  return total;
}

std::optional<std::string> apply_twin_patch(TwinRecord& twin, TwinSection section, const json& patch,
                                            std::int64_t now_ms) {
  std::string& stored = section == TwinSection::desired ? twin.desired_json : twin.reported_json;
  json doc = parse_section(stored);
  json meta = doc.contains("$metadata") && doc["$metadata"].is_object() ? doc["$metadata"] : json::object();
  json members = members_only(doc);
  merge(members, meta, patch, iso8601_utc(now_ms));
  if (twin_section_size(members) > kTwinSectionMaxBytes) {
    return std::string(section == TwinSection::desired ? "desired" : "reported") +
           " properties would exceed 32 KB; remove or shorten properties first";
  }
  meta["$lastUpdated"] = iso8601_utc(now_ms);
  members["$metadata"] = meta;
  stored = members.dump();
  (section == TwinSection::desired ? twin.desired_version : twin.reported_version) += 1;
  return std::nullopt;
}

std::optional<std::string> apply_tags_patch(TwinRecord& twin, const json& patch) {
  json tags = parse_section(twin.tags_json);
  tags.merge_patch(patch);
  if (twin_section_size(tags) > kTwinSectionMaxBytes) {
    return std::string("tags would exceed 32 KB; remove or shorten tags first");
  }
  twin.tags_json = tags.dump();
  twin.tags_version += 1;
  return std::nullopt;
}

json twin_device_view(const TwinRecord& twin) {
  json desired = members_only(parse_section(twin.desired_json));
  json reported = members_only(parse_section(twin.reported_json));
  desired["$version"] = twin.desired_version;
  reported["$version"] = twin.reported_version;
  return json{{"desired", desired}, {"reported", reported}};
}

std::int64_t twin_version(const TwinRecord& twin) {
  return twin.desired_version + twin.reported_version + twin.tags_version - 1;
}

std::string twin_etag(const TwinRecord& twin) { return base64_encode(std::to_string(twin_version(twin))); }

json twin_service_view(const TwinRecord& twin) {
  json desired = parse_section(twin.desired_json);
  json reported = parse_section(twin.reported_json);
  desired.erase("$version");
  reported.erase("$version");
  if (!desired.contains("$metadata")) desired["$metadata"] = json::object();
  if (!reported.contains("$metadata")) reported["$metadata"] = json::object();
  desired["$version"] = twin.desired_version;
  reported["$version"] = twin.reported_version;
  json view = {{"deviceId", twin.device_id},
               {"modelId", twin.model_id},
               {"etag", twin_etag(twin)},
               {"version", twin_version(twin)},
               {"tags", parse_section(twin.tags_json)},
               {"properties", {{"desired", desired}, {"reported", reported}}}};
  if (auto slash = twin.device_id.find('/'); slash != std::string::npos) {  // a module twin: "device/module"
    view["deviceId"] = twin.device_id.substr(0, slash);
    view["moduleId"] = twin.device_id.substr(slash + 1);
  }
  return view;
}

}  // namespace picohub::hub
