// `picohub sas-token`: SAS tokens for a device of the local hub (--device) or from any connection string
// (--connection-string, device or hub-policy form; bypasses the registry like az's generate-sas-token).
#include "command.hpp"
#include "data_dir.hpp"
#include "service_call.hpp"

#include "iothub/connection_string.hpp"
#include "service/service_auth.hpp"

#include <ctime>
#include <iostream>
#include <map>
#include <memory>

namespace picohub::cli {

using nlohmann::json;

namespace {

struct SasArgs {
  ServiceOptions service;
  std::string device;
  std::string connection_string;
  std::string key = "primary";
  long long ttl = 3600;
  bool as_connection_string = false;
};

// Hub-level connection strings (HostName;SharedAccessKeyName;SharedAccessKey) have no DeviceId, which the
// device parser requires: read those fields here.
std::map<std::string, std::string> split_fields(const std::string& text) {
  std::map<std::string, std::string> fields;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    const std::string element = text.substr(start, end - start);
    if (const auto eq = element.find('='); eq != std::string::npos)
      fields[element.substr(0, eq)] = element.substr(eq + 1);
    start = end + 1;
  }
  return fields;
}

int sas_token(SasArgs& a) {
  const bool json_out = a.service.json;
  if (a.device.empty() == a.connection_string.empty()) {
    return report_error({exit_usage,
                         "give exactly one of --device ID (a device of the local hub) or "
                         "--connection-string CS"},
                        json_out);
  }
  const long long expiry = static_cast<long long>(std::time(nullptr)) + a.ttl;
  std::string resource, key, policy, host, device_id, module_id;
  if (!a.connection_string.empty()) {
    std::string_view offending;
    const auto parsed = iothub::parse_connection_string(a.connection_string, &offending);
    if (parsed) {
      if (parsed->shared_access_key.empty()) {
        return report_error({exit_usage, "the connection string has no SharedAccessKey to sign with"}, json_out);
      }
      host = std::string(parsed->host_name);
      device_id = std::string(parsed->device_id);
      module_id = std::string(parsed->module_id);
      key = std::string(parsed->shared_access_key);
      policy = std::string(parsed->shared_access_key_name);
      resource = host + "/devices/" + device_id + (module_id.empty() ? "" : "/modules/" + module_id);
    } else {
      auto fields = split_fields(a.connection_string);
      if (fields.count("HostName") == 0 || fields.count("SharedAccessKeyName") == 0 ||
          fields.count("SharedAccessKey") == 0) {
        return report_error({exit_usage, std::string("not a usable connection string (") + parsed.error().what +
                                             (offending.empty() ? "" : ": '" + std::string(offending) + "'") +
                                             "): expected HostName=...;DeviceId=...;SharedAccessKey=... or "
                                             "HostName=...;SharedAccessKeyName=...;SharedAccessKey=..."},
                            json_out);
      }
      host = fields["HostName"];
      key = fields["SharedAccessKey"];
      policy = fields["SharedAccessKeyName"];
      resource = host;
    }
  } else {
    if (a.key != "primary" && a.key != "secondary") {
      return report_error({exit_usage, "--key must be primary or secondary"}, json_out);
    }
    std::string why;
    const auto dir = resolve_data_dir(a.service.data);
    const auto hub = load_hub_config(dir, why);
    if (!hub) return report_error({exit_failure, why}, json_out);
    ServiceError err;
    const auto device = call_hub(a.service, "device.show", {{"deviceId", a.device}}, err);
    if (!device) {
      explain_hub_error(err, a.device);
      return report_error(err, json_out);
    }
    host = hub->host_name;
    device_id = a.device;
    key = device->value(a.key == "primary" ? "primaryKey" : "secondaryKey", std::string());
    resource = host + "/devices/" + device_id;
  }
  const auto token = service::make_sas_token_text(resource, key, static_cast<std::uint64_t>(expiry), policy);
  if (!token) return report_error({exit_usage, "the SharedAccessKey is not valid base64"}, json_out);
  if (a.ttl <= 0) std::cerr << "note: --ttl " << a.ttl << " makes a token that has already expired\n";
  std::string output = *token;
  if (a.as_connection_string) {
    if (device_id.empty()) {
      return report_error(
          {exit_usage, "--as-connection-string needs a device (--device, or a device connection string)"}, json_out);
    }
    output = "HostName=" + host + ";DeviceId=" + device_id + (module_id.empty() ? "" : ";ModuleId=" + module_id) +
             ";SharedAccessSignature=" + *token;
  }
  if (json_out) {
    std::cout << json{{"sas", *token}, {"resource", resource}, {"expiry", expiry}, {"output", output}}.dump(2) << '\n';
  } else {
    std::cout << output << '\n';
  }
  return exit_ok;
}

}  // namespace

PICOHUB_COMMAND(40, [](CLI::App& root, int& exit_code) {
  auto args = std::make_shared<SasArgs>();
  auto* sub = root.add_subcommand("sas-token",
                                  "make a SAS token for a local-hub device (--device) or from a "
                                  "connection string (--connection-string)");
  add_service_options(*sub, args->service);
  sub->add_option("--device", args->device, "device id in the local hub (its key is read from the hub)");
  sub->add_option("--connection-string", args->connection_string,
                  "device connection string, or hub connection string with SharedAccessKeyName");
  sub->add_option("--ttl", args->ttl, "validity in seconds (default 3600; use --ttl=-60 for an expired token)");
  sub->add_option("--key", args->key, "with --device: primary (default) or secondary");
  sub->add_flag("--as-connection-string", args->as_connection_string,
                "print HostName=...;DeviceId=...;SharedAccessSignature=<token> instead of the bare token");
  sub->callback([args, &exit_code] { exit_code = sas_token(*args); });
});

}  // namespace picohub::cli
