// IoT Hub's service REST API (the subset azure-iothub 1.16.x, Azure IoT Explorer and az use; reference
// iothub-service-api.md §4.1), translated route by route into the hub's control ops. Pure request → response:
// no sockets here (apps/gateway serves it over HTTPS), so routing, auth and shapes are unit-tested with a fake hub.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "service/control_client.hpp"
#include "service/service_auth.hpp"

namespace picohub::service {

// Largest request body the gateway reads (IoT Hub's twin document limit is 32 KB a section; bulk is 100 devices).
inline constexpr std::size_t kMaxRestBodyBytes = 256 * 1024;

struct RestRequest {
  std::string method;          // "GET", "PUT", ...
  std::string target;          // path + query as sent ("/devices/dev1?api-version=2021-04-12")
  std::string authorization;   // Authorization header
  std::string if_match;        // If-Match header ("" when absent)
  std::string continuation;    // x-ms-continuation
  std::string max_item_count;  // x-ms-max-item-count
  std::string message_id;      // iothub-messageid (C2D over REST)
  std::string body;
  // Other headers a route reads, names lower-case: iothub-* (C2D's iothub-ack, iothub-app-<property>, ...),
  // content-type, content-encoding.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct RestResponse {
  int status = 200;
  std::string body;  // JSON (empty for 204)
  std::vector<std::pair<std::string, std::string>> headers;
};

// IoT Hub's error body: {"Message":"ErrorCode:<code>;<text>","ExceptionMessage":"..."}.
RestResponse rest_error(int status, const std::string& code, const std::string& text);

// The query subset: SELECT * FROM devices | devices.modules, optionally WHERE deviceId = 'x',
// deviceId IN ['x','y'], or STARTSWITH(devices.deviceId, 'x') (projections are answered as SELECT *).
struct DeviceQuery {
  bool modules = false;
  std::vector<std::string> ids;  // empty = any
  std::string prefix;
};
std::optional<DeviceQuery> parse_device_query(const std::string& sql, std::string& why);

class RestApi {
 public:
  RestApi(std::string host_name, std::vector<SharedAccessPolicy> policies, ControlCall control,
          std::function<std::uint64_t()> now_unix);
  RestResponse handle(const RestRequest& request) const;

 private:
  RestResponse dispatch(const RestRequest& request, const std::vector<std::string>& path) const;
  RestResponse put_device(const RestRequest& r, const std::string& id) const;
  RestResponse put_module(const RestRequest& r, const std::string& id, const std::string& module) const;
  RestResponse patch_twin(const RestRequest& r, const std::string& id, const std::string& module) const;
  RestResponse invoke_method(const RestRequest& r, const std::string& id, const std::string& module) const;
  RestResponse send_c2d(const RestRequest& r, const std::string& id) const;
  RestResponse bulk(const RestRequest& r) const;
  RestResponse query(const RestRequest& r) const;
  RestResponse statistics() const;
  RestResponse get_twin(const std::string& id, const std::string& module) const;
  ControlReply call(const std::string& op, nlohmann::json fields, double timeout_s = 10.0) const;

  std::string host_name_;
  std::vector<SharedAccessPolicy> policies_;
  ControlCall call_;
  std::function<std::uint64_t()> now_unix_;
};

}  // namespace picohub::service
