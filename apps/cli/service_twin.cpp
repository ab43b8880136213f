// `picohub twin show|update`: the device twin as the service sees it (az iot hub device-twin show/update).
#include "command.hpp"
#include "service_call.hpp"

#include <iostream>
#include <memory>

namespace picohub::cli {

using nlohmann::json;

namespace {

struct TwinArgs {
  ServiceOptions service;
  std::string id;
  std::string module;  // empty: the device's own twin
  std::string desired;
};

nlohmann::json target(const TwinArgs& a) {
  nlohmann::json fields = {{"deviceId", a.id}};
  if (!a.module.empty()) fields["moduleId"] = a.module;
  return fields;
}

int twin_show(TwinArgs& a) {
  ServiceError err;
  const auto twin = call_hub(a.service, "twin.get", target(a), err);
  if (!twin) {
    explain_hub_error(err, a.id);
    return report_error(err, a.service.json);
  }
  std::cout << twin->dump(2) << '\n';
  return exit_ok;
}

int twin_update(TwinArgs& a) {
  const json patch = json::parse(a.desired, nullptr, false);
  if (patch.is_discarded() || !patch.is_object()) {
    return report_error({exit_usage,
                         "--desired must be a JSON object, e.g. --desired '{\"interval\":5}' "
                         "(null deletes a property)"},
                        a.service.json);
  }
  ServiceError err;
  json fields = target(a);
  fields["desired"] = patch;
  const auto twin = call_hub(a.service, "twin.update", fields, err);
  if (!twin) {
    explain_hub_error(err, a.id);
    return report_error(err, a.service.json);
  }
  if (a.service.json) {
    std::cout << twin->dump(2) << '\n';
  } else {
    std::cout << twin->dump(2) << "\ndesired properties of '" << a.id << "' now at $version "
              << twin->value("/properties/desired/$version"_json_pointer, json(nullptr)).dump()
              << " (a connected, subscribed device got the patch)\n";
  }
  return exit_ok;
}

}  // namespace

PICOHUB_COMMAND(65, [](CLI::App& root, int& exit_code) {
  auto* twin = root.add_subcommand("twin", "device twins: show, update desired properties");
  twin->require_subcommand(1);
  auto show_args = std::make_shared<TwinArgs>();
  auto* show = twin->add_subcommand("show",
                                    "print a device's twin (desired and reported, with $version and $metadata)");
  add_service_options(*show, show_args->service);
  show->add_option("id", show_args->id, "device id")->required();
  show->add_option("--module,-m", show_args->module, "a module's twin instead of the device's");
  show->callback([show_args, &exit_code] { exit_code = twin_show(*show_args); });

  auto update_args = std::make_shared<TwinArgs>();
  auto* update = twin->add_subcommand("update", "patch desired properties (null deletes) and notify the device");
  add_service_options(*update, update_args->service);
  update->add_option("id", update_args->id, "device id")->required();
  update->add_option("--module,-m", update_args->module, "a module's twin instead of the device's");
  update->add_option("--desired", update_args->desired, "JSON patch for properties.desired")->required();
  update->callback([update_args, &exit_code] { exit_code = twin_update(*update_args); });
});

}  // namespace picohub::cli
