// `picohub dps id-scope | enrollment create|list|show|delete`: the local hub's Device Provisioning Service
// (what `az iot dps enrollment` / `enrollment-group` do). Devices register with `picohub sim --dps` (docs/dps.md).
#include "command.hpp"
#include "service_call.hpp"

#include <iomanip>
#include <iostream>
#include <memory>

namespace picohub::cli {

using nlohmann::json;

namespace {

std::string text_of(const json& o, const char* key) {
  if (!o.contains(key) || o[key].is_null()) return "-";
  return o[key].is_string() ? o[key].get<std::string>() : o[key].dump();
}

struct DpsArgs {
  ServiceOptions service;
  std::string id;
  bool group = false;
  std::string primary_key, secondary_key, iot_hub, device_id;
  bool disabled = false;
};

const char* kind_of(const DpsArgs& a) { return a.group ? "group" : "individual"; }

int print_or_fail(const std::optional<json>& body, const ServiceError& err, const DpsArgs& a,
                  const std::function<void(const json&)>& print) {
  if (!body) return report_error(err, a.service.json);
  if (a.service.json) {
    std::cout << body->dump(2) << '\n';
  } else {
    print(*body);
  }
  return exit_ok;
}

void print_enrollment(const json& e) {
  const bool group = text_of(e, "kind") == "group";
  std::cout << (group ? "enrollmentGroupId " : "registrationId    ")
            << text_of(e, group ? "enrollmentGroupId" : "registrationId") << "\n"
            << "kind              " << text_of(e, "kind") << "\n"
            << "status            " << text_of(e, "status") << "\n"
            << "iotHub            " << text_of(e, "iotHub") << "\n";
  if (!group) std::cout << "deviceId          " << text_of(e, "deviceId") << "\n";
  std::cout << "primaryKey        " << text_of(e, "primaryKey") << "\n"
            << "secondaryKey      " << text_of(e, "secondaryKey") << "\n";
}

int id_scope(DpsArgs& a) {
  ServiceError err;
  const auto body = call_hub(a.service, "dps.info", json::object(), err);
  return print_or_fail(body, err, a, [](const json& b) {
    std::cout << text_of(b, "idScope") << "\n";
    std::cerr << "devices register at " << text_of(b, "globalDeviceEndpoint")
              << " (the hub's own port): picohub sim --dps " << text_of(b, "idScope")
              << " --registration-id ID --key KEY [--group] --dps-host " << text_of(b, "globalDeviceEndpoint") << "\n";
  });
}

int enrollment_create(DpsArgs& a) {
  json fields = {{"kind", kind_of(a)}, {"id", a.id}, {"status", a.disabled ? "disabled" : "enabled"}};
  if (!a.primary_key.empty()) fields["primaryKey"] = a.primary_key;
  if (!a.secondary_key.empty()) fields["secondaryKey"] = a.secondary_key;
  if (!a.iot_hub.empty()) fields["iotHub"] = a.iot_hub;
  if (!a.device_id.empty()) fields["deviceId"] = a.device_id;
  ServiceError err;
  const auto body = call_hub(a.service, "dps.enrollment.create", fields, err);
  return print_or_fail(body, err, a, [&](const json& e) {
    std::cout << "created " << kind_of(a) << " enrollment '" << a.id << "'\n";
    print_enrollment(e);
    if (a.group)
      std::cout << "devices sign with the key derived from the group key and their registration id: "
                   "picohub sim --dps <id scope> --registration-id <id> --key <group key> --group\n";
  });
}

int enrollment_list(DpsArgs& a) {
  ServiceError err;
  const auto body = call_hub(a.service, "dps.enrollment.list", json::object(), err);
  return print_or_fail(body, err, a, [](const json& b) {
    const json all = b.contains("enrollments") ? b["enrollments"] : json::array();
    std::cout << "id scope " << text_of(b, "idScope") << "\n";
    if (all.empty()) {
      std::cout << "no enrollments yet: picohub dps enrollment create REGISTRATION_ID [--group]\n";
      return;
    }
    std::cout << std::left << std::setw(12) << "KIND" << std::setw(34) << "ID" << std::setw(10) << "STATUS"
              << "IOT HUB\n";
    for (const auto& e : all) {
      const bool group = text_of(e, "kind") == "group";
      std::cout << std::left << std::setw(12) << text_of(e, "kind") << std::setw(34)
                << text_of(e, group ? "enrollmentGroupId" : "registrationId") << std::setw(10) << text_of(e, "status")
                << text_of(e, "iotHub") << "\n";
    }
  });
}

int enrollment_show(DpsArgs& a) {
  ServiceError err;
  const auto body = call_hub(a.service, "dps.enrollment.show", {{"kind", kind_of(a)}, {"id", a.id}}, err);
  return print_or_fail(body, err, a, print_enrollment);
}

int enrollment_delete(DpsArgs& a) {
  ServiceError err;
  const auto body = call_hub(a.service, "dps.enrollment.delete", {{"kind", kind_of(a)}, {"id", a.id}}, err);
  return print_or_fail(body, err, a, [&](const json&) {
    std::cout << "deleted " << kind_of(a) << " enrollment '" << a.id << "' (devices it created stay in the registry)\n";
  });
}

}  // namespace

PICOHUB_COMMAND(67, [](CLI::App& root, int& exit_code) {
  auto* dps = root.add_subcommand("dps", "the local hub's Device Provisioning Service: id-scope, enrollment");
  dps->require_subcommand(1);
  {
    auto args = std::make_shared<DpsArgs>();
    auto* sub = dps->add_subcommand("id-scope", "print the hub's DPS id scope");
    add_service_options(*sub, args->service);
    sub->callback([args, &exit_code] { exit_code = id_scope(*args); });
  }
  auto* enrollment = dps->add_subcommand("enrollment", "individual enrollments and enrollment groups (--group)");
  enrollment->require_subcommand(1);
  auto add = [&](const char* name, const char* help, bool needs_id, auto run) {
    auto args = std::make_shared<DpsArgs>();
    auto* sub = enrollment->add_subcommand(name, help);
    add_service_options(*sub, args->service);
    if (needs_id) {
      sub->add_option("id", args->id, "registration id, or the enrollment group id with --group")->required();
      sub->add_flag("--group", args->group, "an enrollment group (devices sign with keys derived from its key)");
    }
    sub->callback([args, run, &exit_code] { exit_code = run(*args); });
    return std::make_pair(sub, args);
  };
  {
    auto [sub, args] = add("create", "create an enrollment (symmetric keys generated unless given)", true,
                           enrollment_create);
    sub->add_option("--primary-key", args->primary_key, "base64 key (default: 32 random bytes; 64 for a group)");
    sub->add_option("--secondary-key", args->secondary_key, "base64 key (default: random)");
    sub->add_option("--iot-hub", args->iot_hub, "HOST[:PORT] of the hub to assign devices to (default: this hub)");
    sub->add_option("--device-id", args->device_id, "individual: the device id to create (default: registration id)");
    sub->add_flag("--disabled", args->disabled, "create it disabled (registrations answer status disabled)");
  }
  add("list", "list enrollments", false, enrollment_list);
  add("show", "show one enrollment and its keys", true, enrollment_show);
  add("delete", "delete an enrollment (the devices it created stay)", true, enrollment_delete);
});

}  // namespace picohub::cli
