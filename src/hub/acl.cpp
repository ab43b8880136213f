#include "hub/acl.hpp"

#include "hub/codec.hpp"
#include "iothub/topics.hpp"

namespace picohub::hub {

ClassifiedPublish classify_publish(std::string_view topic, std::string_view device_id, std::string_view module_id) {
  return classified_publish(iothub::classify_device_publish(topic, device_id, module_id));
}

ClassifiedPublish classified_publish(const iothub::DevicePublish& p) {
  ClassifiedPublish out;
  switch (p.kind) {
    case iothub::DevicePublishKind::telemetry: out.kind = PublishKind::telemetry; break;
    case iothub::DevicePublishKind::twin_get: out.kind = PublishKind::twin_get; break;
    case iothub::DevicePublishKind::twin_patch_reported: out.kind = PublishKind::twin_patch_reported; break;
    case iothub::DevicePublishKind::method_response: out.kind = PublishKind::method_response; break;
    case iothub::DevicePublishKind::invalid: return out;
  }
  out.property_bag = p.bag;
  if (!p.rid.empty()) out.rid = url_decode(p.rid).value_or(std::string(p.rid));
  out.status = p.status;
  return out;
}

std::uint8_t classify_subscription(std::string_view filter, std::string_view device_id, std::string_view module_id) {
  switch (iothub::classify_device_subscription(filter, device_id, module_id)) {
    case iothub::DeviceSubscriptionKind::c2d: return sub_c2d;
    case iothub::DeviceSubscriptionKind::methods: return sub_methods;
    case iothub::DeviceSubscriptionKind::twin_res: return sub_twin_res;
    case iothub::DeviceSubscriptionKind::twin_desired: return sub_twin_desired;
    case iothub::DeviceSubscriptionKind::module_inputs: return sub_module_inputs;
    case iothub::DeviceSubscriptionKind::invalid: return 0;
  }
  return 0;
}

}  // namespace picohub::hub
