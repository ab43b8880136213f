// The REST API's routing, auth and shapes against a fake hub that answers control ops from a small in-memory
// registry: what each route sends to the hub, and what IoT Hub's clients get back.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "hub/codec.hpp"
#include "iothub/sas_token.hpp"
#include "service/rest_api.hpp"

namespace {

using nlohmann::json;
using namespace picohub::service;

constexpr std::uint64_t kNow = 1700000000;
const std::string kHost = "myhub.local";
const std::string kOwnerKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const std::string kReadKey = "cmVhZHJlYWRyZWFkcmVhZHJlYWRyZWFkcmVhZHJlYWQ=";

struct FakeHub {
  std::map<std::string, json> devices;
  std::vector<std::pair<std::string, json>> calls;
  ControlReply method_reply{200, json{{"status", 201}, {"payload", {{"ok", true}}}}, ""};

  ControlReply operator()(const std::string& op, json f, double) {
    calls.emplace_back(op, f);
    const std::string id = f.value("deviceId", "");
    auto missing = [&] {
      return ControlReply{404, json{{"errorCode", 404001}, {"message", "device not registered"}}, ""};
    };
    auto stale = [&] { return ControlReply{412, json{{"errorCode", 412002}, {"message", "etag changed"}}, ""}; };
    if (op == "device.list") {
      json list = json::array();
      for (auto& [k, d] : devices) list.push_back(d);
      return {200, json{{"devices", list}}, ""};
    }
    if (op == "device.show") return devices.count(id) ? ControlReply{200, devices[id], ""} : missing();
    if (op == "device.create") {
      if (devices.count(id)) return {409, json{{"errorCode", 409001}, {"message", "exists"}}, ""};
      devices[id] = {{"deviceId", id},
                     {"status", f.value("status", "enabled")},
                     {"primaryKey", f.value("primaryKey", "cGs=")},
                     {"secondaryKey", "c2s="},
                     {"connectionState", "Disconnected"},
                     {"etag", "e1"}};
      for (const char* k : {"authType", "primaryThumbprint", "secondaryThumbprint"}) {
        if (f.contains(k)) devices[id][k] = f[k];
      }
      return {200, devices[id], ""};
    }
    if (op == "device.update") {
      if (!devices.count(id)) return missing();
      if (!picohub::hub::if_match_accepts(f.value("ifMatch", ""), devices[id]["etag"].get<std::string>()))
        return stale();
      devices[id]["status"] = f["status"];
      devices[id]["etag"] = "e2";
      return {200, devices[id], ""};
    }
    if (op == "device.delete") return devices.erase(id) ? ControlReply{204, nullptr, ""} : missing();
    if (op == "twin.get" || op == "twin.update") {
      if (!devices.count(id)) return missing();
      if (!picohub::hub::if_match_accepts(f.value("ifMatch", ""), "AAAAAAAAAAE=")) return stale();
      return {200,
              json{{"deviceId", id},
                   {"etag", op == "twin.get" ? "AAAAAAAAAAE=" : "AAAAAAAAAAI="},
                   {"version", 1},
                   {"properties", {{"desired", json::object()}, {"reported", json::object()}}}},
              ""};
    }
    if (op == "method.invoke") return method_reply;
    if (op == "c2d.send") return {200, json{{"messageId", "m"}, {"queueDepth", 1}}, ""};
    return {400, json{{"errorCode", 400004}, {"message", "unknown op"}}, ""};
  }
};

std::string token(const std::string& policy, const std::string& key) {
  char buf[512];
  return std::string(*picohub::iothub::make_sas_token({kHost, key, kNow + 3600, policy}, buf));
}

struct RestApiTest : ::testing::Test {
  FakeHub hub;
  RestApi api{kHost,
              {{"iothubowner", kOwnerKey, "", 15}, {"registryRead", kReadKey, "", kRegistryRead}},
              [this](const std::string& op, json f, double t) { return hub(op, std::move(f), t); },
              [] { return kNow; }};

  RestResponse send(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& if_match = "", const std::string& auth = "") {
    RestRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.if_match = if_match;
    r.authorization = auth.empty() ? token("iothubowner", kOwnerKey) : auth;
    return api.handle(r);
  }
};

std::string error_code(const RestResponse& r) {
  auto msg = json::parse(r.body).value("Message", "");
  return msg.substr(0, msg.find(';'));
}

TEST_F(RestApiTest, CreateGetListDeleteDevice) {
  auto created = send(
      "PUT", "/devices/dev%201?api-version=2021-04-12",
      R"({"deviceId":"dev 1","authentication":{"type":"sas","symmetricKey":{"primaryKey":"","secondaryKey":""}}})");
  ASSERT_EQ(created.status, 200) << created.body;
  auto device = json::parse(created.body);
  EXPECT_EQ(device["deviceId"], "dev 1");
  EXPECT_EQ(device["authentication"]["symmetricKey"]["primaryKey"], "cGs=");
  EXPECT_FALSE(hub.calls.back().second.contains("primaryKey"));  // empty keys: the hub generates them
  EXPECT_EQ(send("GET", "/devices/dev%201").status, 200);
  EXPECT_EQ(json::parse(send("GET", "/devices?top=10").body).size(), 1u);
  EXPECT_EQ(send("DELETE", "/devices/dev%201", "", "\"*\"").status, 204);
  auto gone = send("GET", "/devices/dev%201");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(error_code(gone), "ErrorCode:DeviceNotFound");
}

// azure-iothub's registry.create for an X.509 device: IoT Hub's authentication shape in, the same shape out.
TEST_F(RestApiTest, CreatesSelfSignedAndCaDevicesInIotHubsAuthenticationShape) {
  const std::string thumb(40, 'A');
  auto created = send(
      "PUT", "/devices/x1",
      R"({"deviceId":"x1","authentication":{"type":"selfSigned","x509Thumbprint":{"primaryThumbprint":")" + thumb +
          R"(","secondaryThumbprint":null}}})");
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(hub.calls.back().second["authType"], "selfSigned");
  EXPECT_EQ(hub.calls.back().second["primaryThumbprint"], thumb);
  EXPECT_FALSE(hub.calls.back().second.contains("primaryKey"));
  auto auth = json::parse(created.body)["authentication"];
  EXPECT_EQ(auth["type"], "selfSigned");
  EXPECT_EQ(auth["x509Thumbprint"]["primaryThumbprint"], thumb);
  EXPECT_TRUE(auth["x509Thumbprint"]["secondaryThumbprint"].is_null());
  EXPECT_TRUE(auth["symmetricKey"]["primaryKey"].is_null());

  ASSERT_EQ(send("PUT", "/devices/x2", R"({"authentication":{"type":"certificateAuthority"}})").status, 200);
  EXPECT_EQ(hub.calls.back().second["authType"], "certificateAuthority");
  EXPECT_EQ(json::parse(send("GET", "/devices/x2").body)["authentication"]["type"], "certificateAuthority");
}

TEST_F(RestApiTest, PutExistingNeedsIfMatchAndMatchingEtag) {
  ASSERT_EQ(send("PUT", "/devices/d1", R"({"deviceId":"d1"})").status, 200);
  EXPECT_EQ(send("PUT", "/devices/d1", R"({"deviceId":"d1"})").status, 409);
  auto stale = send("PUT", "/devices/d1", R"({"deviceId":"d1","status":"disabled"})", "\"nope\"");
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(error_code(stale), "ErrorCode:PreconditionFailed");
  EXPECT_EQ(hub.calls.back().second["ifMatch"], "\"nope\"");  // the hub checks it, in the same step as the write
  EXPECT_EQ(hub.devices["d1"]["status"], "enabled");
  EXPECT_EQ(json::parse(send("GET", "/devices/d1").body)["etag"], "e1");
  auto updated = send("PUT", "/devices/d1", R"({"deviceId":"d1","status":"disabled"})", "\"e1\"");
  ASSERT_EQ(updated.status, 200);
  EXPECT_EQ(json::parse(updated.body)["status"], "disabled");
  EXPECT_EQ(json::parse(updated.body)["etag"], "e2");
  EXPECT_EQ(send("PUT", "/devices/d1", R"({"deviceId":"d1","status":"enabled"})", "\"*\"").status, 200);
}

TEST_F(RestApiTest, TwinPatchChecksEtag) {
  send("PUT", "/devices/d1", "{}");
  auto stale = send("PATCH", "/twins/d1", R"({"properties":{"desired":{"a":1}}})", "\"stale\"");
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(error_code(stale), "ErrorCode:PreconditionFailed");
  EXPECT_EQ(hub.calls.back().first, "twin.update");  // one op: the hub compares the etag and writes
  EXPECT_EQ(hub.calls.back().second["ifMatch"], "\"stale\"");
  auto ok = send("PATCH", "/twins/d1", R"({"properties":{"desired":{"a":1}}})", "\"AAAAAAAAAAE=\"");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(hub.calls.back().first, "twin.update");
  EXPECT_EQ(hub.calls.back().second["desired"]["a"], 1);
  EXPECT_FALSE(hub.calls.back().second.contains("tags"));
  auto tags = send("PATCH", "/twins/d1", R"({"tags":{"site":"lab"}})");
  ASSERT_EQ(tags.status, 200) << tags.body;
  EXPECT_EQ(hub.calls.back().first, "twin.update");  // tags go to the hub with the same op
  EXPECT_EQ(hub.calls.back().second["tags"]["site"], "lab");
  EXPECT_FALSE(hub.calls.back().second.contains("desired"));
  EXPECT_EQ(send("PATCH", "/twins/d1", R"({"tags":5})").status, 400);
}

TEST_F(RestApiTest, MethodResultAndFailures) {
  auto r = send("POST", "/twins/d1/methods",
                R"({"methodName":"reboot","payload":{"x":1},"responseTimeoutInSeconds":7})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), (json{{"status", 201}, {"payload", {{"ok", true}}}}));
  EXPECT_EQ(hub.calls.back().second["responseTimeoutInSeconds"], 7);
  hub.method_reply = {404, json{{"errorCode", 404103}, {"message", "not online"}}, ""};
  EXPECT_EQ(error_code(send("POST", "/twins/d1/methods", R"({"methodName":"m"})")), "ErrorCode:DeviceNotOnline");
  hub.method_reply = {504, json{{"errorCode", 504101}, {"message", "timeout"}}, ""};
  auto timeout = send("POST", "/twins/d1/modules/m1/methods", R"({"methodName":"m"})");
  EXPECT_EQ(timeout.status, 504);
  EXPECT_EQ(hub.calls.back().second["moduleId"], "m1");
}

TEST_F(RestApiTest, AuthFailuresAre401AndChangeNothing) {
  auto read_only = token("registryRead", kReadKey);
  auto r = send("PUT", "/devices/d1", "{}", "", read_only);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "ErrorCode:IotHubUnauthorizedAccess");
  EXPECT_TRUE(hub.calls.empty());
  EXPECT_EQ(send("GET", "/devices", "", "", read_only).status, 200);
  EXPECT_EQ(send("GET", "/devices", "", "", token("iothubowner", kReadKey)).status, 401);
  EXPECT_EQ(send("GET", "/devices", "", "", "garbage").status, 401);
}

TEST_F(RestApiTest, MalformedBodyUnknownRouteAndC2d) {
  EXPECT_EQ(send("PUT", "/devices/d1", "{not json").status, 400);
  EXPECT_EQ(send("GET", "/nothing/here").status, 404);
  EXPECT_EQ(send("POST", "/devices/d1/messages/deviceBound", "hello").status, 204);
  EXPECT_EQ(hub.calls.back().second["payloadBase64"], "aGVsbG8=");
}

TEST_F(RestApiTest, QueryPagesWithContinuationAndStatistics) {
  for (const char* id : {"a1", "a2", "b1"}) send("PUT", std::string("/devices/") + id, "{}");
  RestRequest r;
  r.method = "POST";
  r.target = "/devices/query";
  r.authorization = token("iothubowner", kOwnerKey);
  r.body = R"js({"query":"SELECT * FROM devices WHERE STARTSWITH(devices.deviceId, 'a')"})js";
  r.max_item_count = "1";
  auto first = api.handle(r);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(json::parse(first.body)[0]["deviceId"], "a1");
  ASSERT_EQ(first.headers.back().first, "x-ms-continuation");
  r.continuation = first.headers.back().second;
  auto second = api.handle(r);
  EXPECT_EQ(json::parse(second.body)[0]["deviceId"], "a2");
  EXPECT_EQ(second.headers.back().first, "x-ms-item-type");
  auto stats = json::parse(send("GET", "/statistics/devices").body);
  EXPECT_EQ(stats["totalDeviceCount"], 3);
}

TEST(DeviceQuery, Subset) {
  std::string why;
  auto q = parse_device_query("SELECT * FROM devices.modules WHERE deviceId IN ['x', 'y']", why);
  ASSERT_TRUE(q) << why;
  EXPECT_TRUE(q->modules);
  EXPECT_EQ(q->ids, (std::vector<std::string>{"x", "y"}));
  q = parse_device_query("select * from devices where deviceId = 'd1'", why);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->ids, std::vector<std::string>{"d1"});
  EXPECT_FALSE(parse_device_query("SELECT * FROM devices WHERE tags.x = 1", why));
  EXPECT_FALSE(parse_device_query("DROP TABLE devices", why));
}

}  // namespace
