// `picohub module create|list|show|delete|connection-string`: module identities under a device, each with its own
// keys (what `az iot hub module-identity` does). Module twins and methods: `picohub twin|method ... --module`.
#include "command.hpp"
#include "data_dir.hpp"
#include "service_call.hpp"

#include <iomanip>
#include <iostream>
#include <memory>

namespace picohub::cli {

using nlohmann::json;

namespace {

struct ModuleArgs {
  ServiceOptions service;
  std::string device;
  std::string module;
  std::string key = "primary";
  bool gateway = false;
};

std::string text_of(const json& module, const char* key) {
  if (!module.contains(key) || module[key].is_null()) return "-";
  return module[key].is_string() ? module[key].get<std::string>() : module[key].dump();
}

int fail(ServiceError err, const ModuleArgs& a) {
  if (err.error_code == 404001) explain_hub_error(err, a.device);  // the device itself is missing
  return report_error(err, a.service.json);
}

std::optional<json> call(ModuleArgs& a, const char* op, ServiceError& err) {
  json fields = {{"deviceId", a.device}};
  if (!a.module.empty()) fields["moduleId"] = a.module;
  return call_hub(a.service, op, fields, err);
}

std::string module_connection_string(const HubConfig& hub, const ModuleArgs& a, const std::string& key) {
  std::string cs = "HostName=" + hub.host_name + ";DeviceId=" + a.device + ";ModuleId=" + a.module +
                   ";SharedAccessKey=" + key;
  if (a.gateway) cs += ";GatewayHostName=localhost:" + std::to_string(hub.port);
  return cs;
}

int module_create(ModuleArgs& a) {
  ServiceError err;
  const auto module = call(a, "module.create", err);
  if (!module) return fail(err, a);
  if (a.service.json) {
    std::cout << module->dump(2) << '\n';
    return exit_ok;
  }
  std::cout << "created module '" << a.module << "' of device '" << a.device << "' (its own keys)\n"
            << "next: picohub module connection-string " << a.device << " " << a.module << " --gateway\n";
  return exit_ok;
}

int module_list(ModuleArgs& a) {
  ServiceError err;
  const auto body = call(a, "module.list", err);
  if (!body) return fail(err, a);
  const json modules = body->value("modules", json::array());
  if (a.service.json) {
    std::cout << modules.dump(2) << '\n';
  } else if (modules.empty()) {
    std::cout << "device '" << a.device << "' has no modules: create one with picohub module create " << a.device
              << " MODULE\n";
  } else {
    std::cout << std::left << std::setw(24) << "MODULE ID" << std::setw(14) << "CONNECTION"
              << "CREATED\n";
    for (const auto& m : modules) {
      std::cout << std::left << std::setw(24) << text_of(m, "moduleId") << std::setw(14)
                << text_of(m, "connectionState") << text_of(m, "createdTime") << "\n";
    }
  }
  return exit_ok;
}

int module_show(ModuleArgs& a) {
  ServiceError err;
  const auto m = call(a, "module.show", err);
  if (!m) return fail(err, a);
  if (a.service.json) {
    std::cout << m->dump(2) << '\n';
    return exit_ok;
  }
  for (const char* key : {"deviceId", "moduleId", "connectionState", "createdTime", "primaryKey", "secondaryKey"}) {
    std::cout << std::left << std::setw(18) << key << text_of(*m, key) << "\n";
  }
  return exit_ok;
}

int module_delete(ModuleArgs& a) {
  ServiceError err;
  if (!call(a, "module.delete", err)) return fail(err, a);
  if (a.service.json) {
    std::cout << json{{"deleted", a.device + "/" + a.module}}.dump(2) << '\n';
  } else {
    std::cout << "deleted module '" << a.module << "' of device '" << a.device << "' (and its twin)\n";
  }
  return exit_ok;
}

int module_connection_string(ModuleArgs& a) {
  if (a.key != "primary" && a.key != "secondary") {
    return report_error({exit_usage, "--key must be primary or secondary"}, a.service.json);
  }
  std::string why;
  const auto hub = load_hub_config(resolve_data_dir(a.service.data), why);
  if (!hub) return report_error({exit_failure, why}, a.service.json);
  ServiceError err;
  const auto m = call(a, "module.show", err);
  if (!m) return fail(err, a);
  const std::string cs = module_connection_string(*hub, a,
                                                  text_of(*m, a.key == "primary" ? "primaryKey" : "secondaryKey"));
  std::cout << (a.service.json ? json{{"connectionString", cs}}.dump(2) : cs) << "\n";
  return exit_ok;
}

}  // namespace

PICOHUB_COMMAND(66, [](CLI::App& root, int& exit_code) {
  auto* module = root.add_subcommand("module",
                                     "module identities of a device: create, list, show, delete, "
                                     "connection-string");
  module->require_subcommand(1);
  auto add = [&](const char* name, const char* help, bool needs_module, int (*run)(ModuleArgs&)) {
    auto args = std::make_shared<ModuleArgs>();
    auto* sub = module->add_subcommand(name, help);
    add_service_options(*sub, args->service);
    sub->add_option("device", args->device, "device id")->required();
    if (needs_module) sub->add_option("module", args->module, "module id")->required();
    sub->callback([args, run, &exit_code] { exit_code = run(*args); });
    return std::make_pair(sub, args);
  };
  add("create", "register a module under a device (its own symmetric keys)", true, module_create);
  add("list", "list a device's modules", false, module_list);
  add("show", "show one module and its keys", true, module_show);
  add("delete", "delete a module and its twin (a connected module is disconnected)", true, module_delete);
  auto [cs, args] = add("connection-string", "print the module's connection string", true, module_connection_string);
  cs->add_option("--key", args->key, "primary (default) or secondary");
  cs->add_flag("--gateway", args->gateway,
               "append GatewayHostName=localhost:<port> so the SDKs reach this local hub on any port");
});

}  // namespace picohub::cli
