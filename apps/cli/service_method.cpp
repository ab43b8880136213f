// `picohub method invoke`: call a direct method on a connected device and print its answer
// (az iot hub invoke-device-method / IoT Explorer's "Direct method").
#include "command.hpp"
#include "service_call.hpp"

#include <iostream>
#include <memory>

namespace picohub::cli {

using nlohmann::json;

namespace {

struct MethodArgs {
  ServiceOptions service;
  std::string id;
  std::string module;  // empty: the device itself
  std::string name;
  std::string payload;
  int timeout = 30;
};

int method_invoke(MethodArgs& a) {
  const bool json_out = a.service.json;
  json payload = nullptr;
  if (!a.payload.empty()) {
    payload = json::parse(a.payload, nullptr, false);
    if (payload.is_discarded()) {
      return report_error({exit_usage,
                           "--payload is not JSON: quote strings, e.g. --payload '\"text\"' or "
                           "--payload '{\"delay\":5}'"},
                          json_out);
    }
  }
  json fields = {
      {"deviceId", a.id}, {"methodName", a.name}, {"payload", payload}, {"responseTimeoutInSeconds", a.timeout}};
  if (!a.module.empty()) fields["moduleId"] = a.module;
  ServiceError err;
  // The hub answers when the device does, or with 504101 after the response timeout: wait a little longer.
  const auto body = call_hub(a.service, "method.invoke", fields, err, a.timeout + 10.0);
  if (!body) {
    explain_hub_error(err, a.id);
    return report_error(err, json_out);
  }
  const json result = {{"status", body->contains("status") ? (*body)["status"] : json(nullptr)},
                       {"payload", body->contains("payload") ? (*body)["payload"] : json(nullptr)}};
  if (json_out) {
    std::cout << result.dump(2) << '\n';
  } else {
    std::cout << "status " << result["status"].dump() << "\n" << result["payload"].dump(2) << "\n";
  }
  return exit_ok;
}

}  // namespace

PICOHUB_COMMAND(64, [](CLI::App& root, int& exit_code) {
  auto* method = root.add_subcommand("method", "direct methods");
  method->require_subcommand(1);
  auto args = std::make_shared<MethodArgs>();
  auto* invoke = method->add_subcommand("invoke", "invoke a direct method on a connected device and print its answer");
  add_service_options(*invoke, args->service);
  invoke->add_option("id", args->id, "device id")->required();
  invoke->add_option("name", args->name, "method name")->required();
  invoke->add_option("--payload", args->payload, "JSON payload (default null)");
  invoke->add_option("--module,-m", args->module, "invoke it on a module of the device");
  invoke->add_option("--timeout", args->timeout, "seconds the device has to answer (5..300, default 30)")
      ->check(CLI::Range(5, 300));
  invoke->callback([args, &exit_code] { exit_code = method_invoke(*args); });
});

}  // namespace picohub::cli
