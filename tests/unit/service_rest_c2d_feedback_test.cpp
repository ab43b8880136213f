// What the dashboard's C2D panel relies on in the REST API: IoT Hub's C2D headers over HTTPS (application
// properties, ack, correlation id) reach c2d.send, and the HTTPS feedback receive returns the hub's records.
#include <gtest/gtest.h>

#include <vector>

#include "iothub/sas_token.hpp"
#include "service/rest_api.hpp"

namespace {

using nlohmann::json;
using namespace picohub::service;

constexpr std::uint64_t kNow = 1700000000;
const std::string kHost = "myhub.local";
const std::string kOwnerKey = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const std::string kReadKey = "cmVhZHJlYWRyZWFkcmVhZHJlYWRyZWFkcmVhZHJlYWQ=";

struct C2dFeedbackTest : ::testing::Test {
  std::vector<std::pair<std::string, json>> calls;
  json feedback = json::array();
  RestApi api{kHost,
              {{"iothubowner", kOwnerKey, "", 15}, {"registryRead", kReadKey, "", kRegistryRead}},
              [this](const std::string& op, const json& f, double) {
                calls.emplace_back(op, f);
                if (op == "c2d.send") return ControlReply{200, json{{"messageId", "m1"}, {"queueDepth", 1}}, ""};
                if (op == "c2d.feedback") {
                  json records = feedback;
                  feedback = json::array();
                  return ControlReply{200, json{{"records", records}}, ""};
                }
                return ControlReply{400, json{{"errorCode", 400004}, {"message", "unknown op"}}, ""};
              },
              [] { return kNow; }};

  RestRequest request(const std::string& method, const std::string& target, const std::string& policy = "iothubowner",
                      const std::string& key = kOwnerKey) {
    char buf[512];
    RestRequest r;
    r.method = method;
    r.target = target;
    r.authorization = std::string(*picohub::iothub::make_sas_token({kHost, key, kNow + 3600, policy}, buf));
    return r;
  }
};

TEST_F(C2dFeedbackTest, HeadersBecomePropertiesAckAndCorrelation) {
  auto r = request("POST", "/devices/dev1/messages/deviceBound?api-version=2021-04-12");
  r.body = "hello";
  r.message_id = "msg-7";
  r.headers = {{"iothub-app-color", "red"},     {"iothub-app-level", "3"},      {"iothub-ack", "full"},
               {"iothub-correlationid", "c-1"}, {"content-type", "text/plain"}, {"iothub-app-", "ignored"}};
  const auto res = api.handle(r);
  ASSERT_EQ(res.status, 204) << res.body;
  ASSERT_EQ(calls.size(), 1U);
  const json& f = calls[0].second;
  EXPECT_EQ(f["payloadBase64"], "aGVsbG8=");
  EXPECT_EQ(f["messageId"], "msg-7");
  EXPECT_EQ(f["ack"], "full");
  EXPECT_EQ(f["messageCorrelationId"], "c-1");
  EXPECT_EQ(f["properties"], (json{{"color", "red"}, {"level", "3"}}));
  EXPECT_FALSE(f.contains("contentType"));  // a browser always sends one: only iothub-contenttype sets $.ct
}

TEST_F(C2dFeedbackTest, NoHeadersNoProperties) {
  auto r = request("POST", "/devices/dev1/messages/devicebound");
  r.body = "x";
  ASSERT_EQ(api.handle(r).status, 204);
  EXPECT_FALSE(calls.at(0).second.contains("properties"));
  EXPECT_FALSE(calls.at(0).second.contains("ack"));
}

TEST_F(C2dFeedbackTest, FeedbackReturnsRecordsThenNoContent) {
  const json records = json::array({{{"originalMessageId", "msg-7"}, {"deviceId", "dev1"}, {"statusCode", "Success"}}});
  feedback = records;
  const auto first = api.handle(request("GET", "/messages/serviceBound/feedback?api-version=2021-04-12"));
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(json::parse(first.body), records);
  EXPECT_EQ(calls.at(0).first, "c2d.feedback");
  EXPECT_EQ(api.handle(request("GET", "/messages/serviceBound/feedback")).status, 204);
  EXPECT_EQ(api.handle(request("DELETE", "/messages/serviceBound/feedback/%221%22")).status, 204);
}

TEST_F(C2dFeedbackTest, FeedbackNeedsServiceConnect) {
  const auto res = api.handle(request("GET", "/messages/serviceBound/feedback", "registryRead", kReadKey));
  EXPECT_EQ(res.status, 401);
  EXPECT_TRUE(calls.empty());
}

}  // namespace
