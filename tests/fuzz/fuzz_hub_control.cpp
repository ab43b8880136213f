// Arbitrary bytes as a control request from an authenticated service principal, and as device publishes:
// the hub must answer or ignore, never crash, and every response it publishes must be valid JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "hub/hub.hpp"
#include "hub/store.hpp"
#include "iothub/sas_token.hpp"
#include "service/service_auth.hpp"

namespace {

using namespace picohub::hub;

class CheckingPort : public BrokerPort {
 public:
  void publish(const std::string&, const std::string& topic, const std::string& payload, int) override {
    if (topic == kResponseTopic && nlohmann::json::parse(payload, nullptr, false).is_discarded()) std::abort();
  }
  void kick(const std::string&) override {}
  void log(LogLevel, const std::string&) override {}
};

constexpr const char* kKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr std::int64_t kNow = 1700000000;

std::string token(const std::string& resource, const char* skn) {
  char buf[512];
  picohub::iothub::SasTokenRequest r;
  r.resource = resource;
  r.key_base64 = kKey;
  r.expiry_unix = kNow + 3600;
  r.policy_name = skn;
  auto t = picohub::iothub::make_sas_token(r, buf);
  return t ? std::string(*t) : std::string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string error;
  static auto store = Store::open(":memory:", error);
  static CheckingPort port;
  HubConfig config;
  config.host_name = "h";
  using namespace picohub::service;
  config.policies["iothubowner"] = {kKey, "", kRegistryRead | kRegistryWrite | kServiceConnect | kDeviceConnect};
  if (!store->find_device("dev1")) store->insert_device(DeviceRecord{"dev1", "enabled", kKey, kKey, 0, 0});
  Hub hub(config, *store, port);
  int svc = 0, dev = 0;
  if (!hub.on_basic_auth(&svc, "picohub-service-1", "iothubowner", token("h", "iothubowner"), true, kNow * 1000)) {
    std::abort();
  }
  if (!hub.on_basic_auth(&dev, "dev1", "h/dev1/?api-version=2021-04-12", token("h/devices/dev1", ""), true,
                         kNow * 1000)) {
    std::abort();
  }
  hub.on_acl_check(&dev, Access::subscribe, "$iothub/methods/POST/#", 0, false);
  hub.on_acl_check(&dev, Access::subscribe, "devices/dev1/messages/devicebound/#", 1, false);
  std::string input(reinterpret_cast<const char*>(data), size);
  hub.on_control(&svc, "picohub-service-1", input, kNow * 1000);
  // The same bytes as a device's reported patch, method answer and telemetry bag.
  hub.on_message(&dev, "$iothub/twin/PATCH/properties/reported/?$rid=1", input, 0, false, kNow * 1000);
  hub.on_message(&dev, "$iothub/methods/res/200/?$rid=1", input, 0, false, kNow * 1000);
  hub.on_message(&dev, "devices/dev1/messages/events/" + input.substr(0, 200), input, 1, true, kNow * 1000);
  hub.on_tick(kNow * 1000 + 400000);
  return 0;
}
