// `picohub twin show|update`: the device twin as the service sees it (az iot hub device-twin show/update).
#include "command.hpp"
#include "service_call.hpp"

#include <iostream>
#include <memory>
#include <optional>
#include <string>

namespace picohub::cli {

using nlohmann::json;

namespace {

struct TwinArgs {
  ServiceOptions service;
  std::string id;
  std::string module;  // empty: the device's own twin
  std::string desired;
  std::string tags;
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

// A JSON object option, or nullopt with the usage error in `why` (an empty option is absent: nullopt, no why).
std::optional<json> object_option(const std::string& text, const char* name, std::string& why) {
  if (text.empty()) return std::nullopt;
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded() || !value.is_object()) {
    why = std::string(name) + " must be a JSON object, e.g. " + name + " '{\"interval\":5}' (null deletes a property)";
    return std::nullopt;
  }
  return value;
}

int twin_update(TwinArgs& a) {
  std::string why;
  const auto patch = object_option(a.desired, "--desired", why);
  const auto tags = why.empty() ? object_option(a.tags, "--tags", why) : std::nullopt;
  if (!why.empty() || (!patch && !tags)) {
    return report_error({exit_usage, why.empty() ? "give --desired JSON, --tags JSON or both" : why}, a.service.json);
  }
  ServiceError err;
  json fields = target(a);
  if (patch) fields["desired"] = *patch;
  if (tags) fields["tags"] = *tags;
  const auto twin = call_hub(a.service, "twin.update", fields, err);
  if (!twin) {
    explain_hub_error(err, a.id);
    return report_error(err, a.service.json);
  }
  if (a.service.json) {
    std::cout << twin->dump(2) << '\n';
  } else {
    std::cout << twin->dump(2) << "\n";
    if (patch) {
      std::cout << "desired properties of '" << a.id << "' now at $version "
                << twin->value("/properties/desired/$version"_json_pointer, json(nullptr)).dump()
                << " (a connected, subscribed device got the patch)\n";
    }
    if (tags) std::cout << "tags of '" << a.id << "' updated (the device does not see tags)\n";
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
  auto* update = twin->add_subcommand(
      "update", "patch desired properties and/or tags (null deletes); the device gets desired patches");
  add_service_options(*update, update_args->service);
  update->add_option("id", update_args->id, "device id")->required();
  update->add_option("--module,-m", update_args->module, "a module's twin instead of the device's");
  update->add_option("--desired", update_args->desired, "JSON patch for properties.desired");
  update->add_option("--tags", update_args->tags, "JSON patch for the twin's tags (the service's own labels)");
  update->callback([update_args, &exit_code] { exit_code = twin_update(*update_args); });
});

}  // namespace picohub::cli
