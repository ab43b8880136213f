#include "hub/config.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "hub/codec.hpp"

namespace picohub::hub {

namespace {

unsigned default_rights(std::string_view name) {
  for (const auto& shape : service::default_policy_shapes()) {
    if (shape.name == name) return shape.rights;
  }
  return 0;
}

// "RegistryRead, ServiceConnect" (commas and/or spaces between names); nullopt on an unknown name.
std::optional<unsigned> parse_rights(std::string_view text) {
  unsigned rights = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ',' || text[i] == ' ') {
      ++i;
      continue;
    }
    std::size_t end = text.find_first_of(", ", i);
    if (end == std::string_view::npos) end = text.size();
    const unsigned bit = service::right_from_name(text.substr(i, end - i));
    if (bit == 0) return std::nullopt;
    rights |= bit;
    i = end;
  }
  return rights;
}

}  // namespace

std::optional<HubConfig> parse_hub_config(std::string_view json_text, std::string& error) {
  auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = "hub.json is not valid JSON (an object); delete the data dir and run `picohub hub start` again";
    return std::nullopt;
  }
  HubConfig config;
  if (auto it = doc.find("hostName"); it != doc.end()) {
    if (!it->is_string() || it->get<std::string>().empty()) {
      error = "hub.json: hostName must be a non-empty string";
      return std::nullopt;
    }
    config.host_name = it->get<std::string>();
  }
  if (auto it = doc.find("port"); it != doc.end() && it->is_number_integer()) config.port = it->get<int>();
  if (auto it = doc.find("insecurePort"); it != doc.end() && it->is_number_integer()) {
    config.insecure_port = it->get<int>();
  }
  if (auto it = doc.find("servicePort"); it != doc.end()) {
    if (!it->is_number_integer() || it->get<int>() < 0 || it->get<int>() > 65535) {
      error = "hub.json: servicePort must be 0 (off) or a port 1..65535";
      return std::nullopt;
    }
    config.service_port = it->get<int>();
  }
  if (auto it = doc.find("amqpPort"); it != doc.end()) {
    if (!it->is_number_integer() || it->get<int>() < 0 || it->get<int>() > 65535) {
      error = "hub.json: amqpPort must be 0 (off) or a port 1..65535";
      return std::nullopt;
    }
    config.amqp_port = it->get<int>();
  }
  if (auto it = doc.find("bind"); it != doc.end() && it->is_string()) config.bind = it->get<std::string>();
  if (auto it = doc.find("policies"); it != doc.end() && it->is_object()) {
    for (auto& [name, value] : it->items()) {
      if (!value.is_object() || !value.contains("primaryKey") || !value["primaryKey"].is_string()) {
        error = "hub.json: policy '" + name + "' needs a primaryKey (base64)";
        return std::nullopt;
      }
      PolicyKeys keys;
      keys.primary_key = value["primaryKey"].get<std::string>();
      if (value.contains("secondaryKey") && value["secondaryKey"].is_string()) {
        keys.secondary_key = value["secondaryKey"].get<std::string>();
      }
      keys.rights = default_rights(name);
      if (auto rights = value.find("rights"); rights != value.end()) {
        auto parsed = rights->is_string() ? parse_rights(rights->get<std::string>()) : std::nullopt;
        if (!parsed) {
          error = "hub.json: policy '" + name + "' rights must be a string like \"RegistryRead, ServiceConnect\"";
          return std::nullopt;
        }
        keys.rights = *parsed;
      }
      if (!base64_decode(keys.primary_key) || (!keys.secondary_key.empty() && !base64_decode(keys.secondary_key))) {
        error = "hub.json: policy '" + name + "' has a key that is not valid base64";
        return std::nullopt;
      }
      config.policies[name] = keys;
    }
  }
  if (auto it = doc.find("retention"); it != doc.end() && !it->is_null()) {
    auto days = it->is_object() ? it->find("maxAgeDays") : it->end();
    auto bytes = it->is_object() ? it->find("maxBytes") : it->end();
    bool ok = it->is_object() && (days == it->end() || (days->is_number() && days->get<double>() > 0)) &&
              (bytes == it->end() || (bytes->is_number_unsigned() && bytes->get<std::uint64_t>() > 0));
    if (!ok) {
      error = "hub.json: retention must be {\"maxAgeDays\": N > 0, \"maxBytes\": N > 0} (both optional)";
      return std::nullopt;
    }
    if (days != it->end()) config.retention.max_age_ms = static_cast<std::int64_t>(days->get<double>() * 86400000.0);
    if (bytes != it->end()) config.retention.max_bytes = bytes->get<std::uint64_t>();
  }
  if (auto it = doc.find("durability"); it != doc.end() && it->is_object()) {
    if (auto f = it->find("fsync"); f != it->end() && f->is_boolean()) config.durability_fsync = f->get<bool>();
  }
  return config;
}

std::string hub_config_json(const HubConfig& config) {
  nlohmann::json policies = nlohmann::json::object();
  for (const auto& [name, keys] : config.policies) {
    policies[name] = {{"primaryKey", keys.primary_key},
                      {"secondaryKey", keys.secondary_key},
                      {"rights", service::rights_text(keys.rights)}};
  }
  nlohmann::json doc = {
      {"hostName", config.host_name},
      {"port", config.port},
      {"insecurePort", config.insecure_port ? nlohmann::json(*config.insecure_port) : nlohmann::json(nullptr)},
      {"bind", config.bind},
      {"servicePort", config.service_port},
      {"amqpPort", config.amqp_port},
      {"policies", policies},
      {"retention",
       {{"maxAgeDays", static_cast<double>(config.retention.max_age_ms) / 86400000.0},
        {"maxBytes", config.retention.max_bytes}}},
      {"durability", {{"fsync", config.durability_fsync}}},
  };
  return doc.dump(2) + "\n";
}

std::optional<HubConfig> load_hub_config(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read " + path + "; run `picohub hub start` to create it (or check plugin_opt_data_dir)";
    return std::nullopt;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto config = parse_hub_config(buffer.str(), error);
  if (!config) error = path + ": " + error;
  return config;
}

}  // namespace picohub::hub

namespace picohub::hub {

bool add_default_policies(std::map<std::string, PolicyKeys>& policies, const std::function<std::string()>& new_key) {
  bool added = false;
  for (const auto& shape : service::default_policy_shapes()) {
    if (policies.count(shape.name) != 0) continue;
    policies[shape.name] = PolicyKeys{new_key(), new_key(), shape.rights};
    added = true;
  }
  return added;
}

std::vector<service::SharedAccessPolicy> shared_access_policies(const HubConfig& config) {
  std::vector<service::SharedAccessPolicy> out;
  for (const auto& [name, keys] : config.policies)
    out.push_back({name, keys.primary_key, keys.secondary_key, keys.rights});
  return out;
}

}  // namespace picohub::hub
