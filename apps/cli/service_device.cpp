// `picohub device create|list|show|delete|enable|disable|connection-string`: the device registry of the local
// hub (what `az iot hub device-identity` and IoT Explorer's device list do).
#include "command.hpp"
#include "data_dir.hpp"
#include "service_call.hpp"

#include <iomanip>
#include <iostream>
#include <memory>

namespace picohub::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string text_of(const json& device, const char* key, const char* fallback = "-") {
  if (!device.contains(key) || device[key].is_null()) return fallback;
  return device[key].is_string() ? device[key].get<std::string>() : device[key].dump();
}

void print_device(const json& d) {
  std::cout << "deviceId          " << text_of(d, "deviceId") << "\n"
            << "status            " << text_of(d, "status") << "\n"
            << "connectionState   " << text_of(d, "connectionState") << "\n"
            << "lastActivityTime  " << text_of(d, "lastActivityTime") << "\n"
            << "c2dQueueDepth     " << text_of(d, "c2dQueueDepth", "0") << "\n"
            << "createdTime       " << text_of(d, "createdTime") << "\n"
            << "primaryKey        " << text_of(d, "primaryKey") << "\n"
            << "secondaryKey      " << text_of(d, "secondaryKey") << "\n";
}

struct DeviceArgs {
  ServiceOptions service;
  std::string id;
  std::string primary_key;
  std::string secondary_key;
  bool disabled = false;
  std::string key = "primary";
  bool gateway = false;
};

int fail(ServiceError err, const DeviceArgs& a) {
  explain_hub_error(err, a.id);
  return report_error(err, a.service.json);
}

std::string connection_string(const HubConfig& hub, const std::string& id, const std::string& key, bool gateway) {
  std::string cs = "HostName=" + hub.host_name + ";DeviceId=" + id + ";SharedAccessKey=" + key;
  // The Node SDK and picohub sim connect to GatewayHostName (host:port accepted) but sign for HostName.
  if (gateway) cs += ";GatewayHostName=" + std::string("localhost:") + std::to_string(hub.port);
  return cs;
}

int device_create(DeviceArgs& a) {
  json fields = {{"deviceId", a.id}, {"status", a.disabled ? "disabled" : "enabled"}};
  if (!a.primary_key.empty()) fields["primaryKey"] = a.primary_key;
  if (!a.secondary_key.empty()) fields["secondaryKey"] = a.secondary_key;
  ServiceError err;
  const auto device = call_hub(a.service, "device.create", fields, err);
  if (!device) return fail(err, a);
  if (a.service.json) {
    std::cout << device->dump(2) << '\n';
    return exit_ok;
  }
  const auto dir = resolve_data_dir(a.service.data);
  std::string why;
  const auto hub = load_hub_config(dir, why);
  std::cout << "created device '" << a.id << "' (" << text_of(*device, "status") << ")\n";
  if (hub) {
    std::cout << "connection string: "
              << connection_string(*hub, a.id, text_of(*device, "primaryKey"), hub->port != 8883) << "\n";
  }
  const std::string data = resolve_data_dir("") == dir ? "" : " --data-dir " + dir.string();
  std::cout << "next: connect it (picohub sim, or the Node SDK trusting " << (dir / "ca.crt").string()
            << "), then watch it: picohub monitor --device " << a.id << data << "\n";
  return exit_ok;
}

int device_list(DeviceArgs& a) {
  ServiceError err;
  const auto body = call_hub(a.service, "device.list", json::object(), err);
  if (!body) return fail(err, a);
  const json devices = body->contains("devices") ? (*body)["devices"] : json::array();
  if (a.service.json) {
    std::cout << devices.dump(2) << '\n';
    return exit_ok;
  }
  if (devices.empty()) {
    std::cout << "no devices yet: create one with picohub device create dev1\n";
    return exit_ok;
  }
  std::size_t width = 9;
  for (const auto& d : devices) width = std::max(width, text_of(d, "deviceId").size());
  std::cout << std::left << std::setw(static_cast<int>(width + 2)) << "DEVICE ID" << std::setw(10) << "STATUS"
            << std::setw(14) << "CONNECTION" << std::setw(6) << "C2D"
            << "LAST ACTIVITY\n";
  for (const auto& d : devices) {
    std::cout << std::left << std::setw(static_cast<int>(width + 2)) << text_of(d, "deviceId") << std::setw(10)
              << text_of(d, "status") << std::setw(14) << text_of(d, "connectionState") << std::setw(6)
              << text_of(d, "c2dQueueDepth", "0") << text_of(d, "lastActivityTime") << "\n";
  }
  return exit_ok;
}

int device_show(DeviceArgs& a) {
  ServiceError err;
  const auto device = call_hub(a.service, "device.show", {{"deviceId", a.id}}, err);
  if (!device) return fail(err, a);
  if (a.service.json) {
    std::cout << device->dump(2) << '\n';
  } else {
    print_device(*device);
  }
  return exit_ok;
}

int device_delete(DeviceArgs& a) {
  ServiceError err;
  const auto body = call_hub(a.service, "device.delete", {{"deviceId", a.id}}, err);
  if (!body) return fail(err, a);
  if (a.service.json) {
    std::cout << json{{"deleted", a.id}}.dump(2) << '\n';
  } else {
    std::cout << "deleted device '" << a.id << "' (its twin and queued messages are gone)\n";
  }
  return exit_ok;
}

int device_set_status(DeviceArgs& a, const char* status) {
  ServiceError err;
  const auto device = call_hub(a.service, "device.update", {{"deviceId", a.id}, {"status", status}}, err);
  if (!device) return fail(err, a);
  if (a.service.json) {
    std::cout << device->dump(2) << '\n';
  } else if (std::string(status) == "disabled") {
    std::cout << "device '" << a.id << "' disabled: it is disconnected and cannot connect until enabled again\n";
  } else {
    std::cout << "device '" << a.id << "' enabled: it may connect\n";
  }
  return exit_ok;
}

int device_connection_string(DeviceArgs& a) {
  if (a.key != "primary" && a.key != "secondary") {
    return report_error({exit_usage, "--key must be primary or secondary"}, a.service.json);
  }
  const auto dir = resolve_data_dir(a.service.data);
  std::string why;
  const auto hub = load_hub_config(dir, why);
  if (!hub) return report_error({exit_failure, why}, a.service.json);
  ServiceError err;
  const auto device = call_hub(a.service, "device.show", {{"deviceId", a.id}}, err);
  if (!device) return fail(err, a);
  const std::string key = text_of(*device, a.key == "primary" ? "primaryKey" : "secondaryKey", "");
  const std::string plain = connection_string(*hub, a.id, key, false);
  const std::string with_gateway = connection_string(*hub, a.id, key, true);
  if (a.service.json) {
    std::cout << json{{"connectionString", a.gateway ? with_gateway : plain},
                      {"connectionStringWithGateway", with_gateway},
                      {"caFile", (dir / "ca.crt").string()}}
                     .dump(2)
              << '\n';
    return exit_ok;
  }
  std::cout << (a.gateway ? with_gateway : plain) << "\n";
  if (!a.gateway && hub->port != 8883) {
    std::cerr << "note: this hub listens on port " << hub->port
              << ", not 8883: clients must connect to localhost:" << hub->port << ". Use --gateway to get\n  "
              << with_gateway
              << "\n  (picohub sim and the Node SDK connect to GatewayHostName and sign for HostName)\n";
  }
  return exit_ok;
}

}  // namespace

PICOHUB_COMMAND(61, [](CLI::App& root, int& exit_code) {
  auto* device = root.add_subcommand("device",
                                     "the local hub's device registry: create, list, show, delete, "
                                     "enable, disable, connection-string");
  device->require_subcommand(1);

  auto add = [&](const char* name, const char* help, bool needs_id, auto run) {
    auto args = std::make_shared<DeviceArgs>();
    auto* sub = device->add_subcommand(name, help);
    add_service_options(*sub, args->service);
    if (needs_id) sub->add_option("id", args->id, "device id")->required();
    sub->callback([args, run, &exit_code] { exit_code = run(*args); });
    return std::make_pair(sub, args);
  };

  {
    auto [sub, args] = add("create", "register a device (symmetric keys generated unless given)", true, device_create);
    sub->add_option("--primary-key", args->primary_key, "base64 primary key (default: 32 random bytes)");
    sub->add_option("--secondary-key", args->secondary_key, "base64 secondary key (default: 32 random bytes)");
    sub->add_flag("--disabled", args->disabled, "create it disabled (it cannot connect until enabled)");
  }
  add("list", "list devices with status, connection state and queued C2D messages", false, device_list);
  add("show", "show one device, its keys and state", true, device_show);
  add("delete", "delete a device, its twin and its C2D queue (a connected device is disconnected)", true,
      device_delete);
  add("enable", "let a device connect again", true, [](DeviceArgs& a) { return device_set_status(a, "enabled"); });
  add("disable", "refuse a device's connections (a connected device is disconnected)", true,
      [](DeviceArgs& a) { return device_set_status(a, "disabled"); });
  {
    auto [sub, args] = add("connection-string", "print the device's connection string", true, device_connection_string);
    sub->add_option("--key", args->key, "primary (default) or secondary");
    sub->add_flag("--gateway", args->gateway,
                  "append GatewayHostName=localhost:<port> so picohub sim and the Node SDK reach this local hub "
                  "on any port");
  }
});

}  // namespace picohub::cli
