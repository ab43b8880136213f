// The local hub's DPS endpoint through Hub (the dispatch the plugin uses): enrollments over control ops, the id
// scope from state.db, CONNECT authentication with individual and group-derived keys (and refusals), the ACL of
// a registration connection, register -> 202 + retry-after -> "assigned" only after retry-after (also across a
// hub restart), the device created with the enrollment's key, a device that exists with other keys, a disabled
// enrollment.
#include "hub/hub.hpp"

#include "hub_test_util.hpp"
#include "hub/codec.hpp"
#include "hub/dps_operations.hpp"

using namespace picohub::hub;
using namespace hubtest;
using nlohmann::json;

namespace {

constexpr std::int64_t kNowMs = kNow * 1000;
// Vector E (Microsoft's DPS doc): a 64-byte group key and the key derived for one registration id.
const std::string kGroupKey =
    "8isrFI1sGsIlvvFSSFRiMfCNzv21fjbE/+ah/lSh3lF8e2YG1Te7w1KpZhJFFXJrqYKi9yegxkqIChbqOS9Egw==";
const std::string kRegE = "sn-007-888-abc-mac-a1-b2-c3-d4-e5-f6";
const std::string kDerivedE = "Jsm0lyGpjaVYVP2g3FnmnmG9dI/9qU24wNoykUmermc=";

class HubDpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = memory_store();
    hub = std::make_unique<Hub>(test_config(), *store, port);
    ASSERT_TRUE(hub->on_basic_auth(service, service_id, "iothubowner",
                                   token(kHost, kKey, static_cast<std::uint64_t>(kNow + 3600), "iothubowner"), true,
                                   now));
    scope = control({{"op", "dps.info"}})["body"]["idScope"];
  }
  json control(json request) {
    request["correlationId"] = "c" + std::to_string(++cid);
    hub->on_control(service, service_id, request.dump(), now);
    for (std::size_t i = port.published.size(); i-- > 0;) {  // the newest answer to this request
      const Published& answer = port.published[i];
      if (answer.client_id == service_id && json::parse(answer.payload)["correlationId"] == request["correlationId"])
        return json::parse(answer.payload);
    }
    return json();
  }
  std::string username(const std::string& reg) {
    return scope + "/registrations/" + reg + "/api-version=2019-03-31&ClientVersion=test";
  }
  bool connect(ConnId conn, const std::string& reg, const std::string& key, const std::string& skn = "registration") {
    return hub->on_basic_auth(conn, reg, username(reg), token(scope + "/registrations/" + reg, key, kNow + 3600, skn),
                              true, now);
  }
  // The device publishes `topic` with `body`; returns the answers it got.
  std::vector<Published> request(ConnId conn, const std::string& reg, const std::string& topic,
                                 const std::string& body) {
    const auto before = port.to(reg).size();
    EXPECT_TRUE(hub->on_acl_check(conn, Access::write, topic, 1, false));
    EXPECT_EQ(hub->on_message(conn, topic, body, 1, false, now), MessageVerdict::drop);
    auto all = port.to(reg);
    return std::vector<Published>(all.begin() + static_cast<std::ptrdiff_t>(before), all.end());
  }
  json register_device(ConnId conn, const std::string& reg, int rid = 1) {
    auto answers = request(conn, reg, "$dps/registrations/PUT/iotdps-register/?$rid=" + std::to_string(rid),
                           json{{"registrationId", reg}}.dump());
    EXPECT_EQ(answers.size(), 1u);
    if (answers.empty()) return json();
    last_topic = answers[0].topic;
    return json::parse(answers[0].payload);
  }
  json poll(ConnId conn, const std::string& reg, const std::string& operation, int rid) {
    auto answers = request(
        conn, reg,
        "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=" + std::to_string(rid) + "&operationId=" + operation,
        "");
    EXPECT_EQ(answers.size(), 1u);
    if (answers.empty()) return json();
    last_topic = answers[0].topic;
    return json::parse(answers[0].payload);
  }

  RecordingPort port;
  std::unique_ptr<Store> store;
  std::unique_ptr<Hub> hub;
  std::int64_t now = kNowMs;
  int cid = 0;
  int a = 0, b = 0, svc = 0;
  ConnId dev = &a, other = &b, service = &svc;
  const std::string service_id = "picohub-service-1-x";
  std::string scope;
  std::string last_topic;
};

TEST_F(HubDpsTest, IdScopeIsStableAndShownInHubInfo) {
  EXPECT_EQ(scope.size(), 11u);
  EXPECT_EQ(scope.substr(0, 3), "0ne");
  EXPECT_EQ(control({{"op", "hub.info"}})["body"]["idScope"], scope);
  EXPECT_EQ(store->schema_version(), picohub::hub::kSchemaVersion);  // the DPS tables came with schema 4
}

TEST_F(HubDpsTest, EnrollmentsAreCreatedListedAndDeleted) {
  auto created = control({{"op", "dps.enrollment.create"}, {"kind", "individual"}, {"id", "dev-1"}});
  ASSERT_EQ(created["status"], 200) << created.dump();
  EXPECT_EQ(created["body"]["iotHub"], kHost);  // port 8883: the bare host name
  EXPECT_EQ(created["body"]["deviceId"], "dev-1");
  auto group = control({{"op", "dps.enrollment.create"}, {"kind", "group"}, {"id", "line-2"}});
  ASSERT_EQ(group["status"], 200);
  EXPECT_EQ(picohub::hub::base64_decode(group["body"]["primaryKey"].get<std::string>())->size(), 64u);
  EXPECT_EQ(control({{"op", "dps.enrollment.create"}, {"kind", "individual"}, {"id", "dev-1"}})["status"], 409);
  EXPECT_EQ(control({{"op", "dps.enrollment.create"}, {"kind", "individual"}, {"id", "bad id"}})["status"], 400);
  auto list = control({{"op", "dps.enrollment.list"}})["body"]["enrollments"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["registrationId"], "dev-1");
  EXPECT_EQ(list[1]["enrollmentGroupId"], "line-2");
  EXPECT_EQ(control({{"op", "dps.enrollment.delete"}, {"kind", "group"}, {"id", "line-2"}})["status"], 200);
  EXPECT_EQ(control({{"op", "dps.enrollment.delete"}, {"kind", "group"}, {"id", "line-2"}})["status"], 404);
  EXPECT_EQ(control({{"op", "dps.enrollment.list"}})["body"]["enrollments"].size(), 1u);
}

TEST_F(HubDpsTest, IndividualEnrollmentRegistersAfterRetryAfterAndCreatesTheDevice) {
  control({{"op", "dps.enrollment.create"},
           {"id", "dev-1"},
           {"primaryKey", kKey},
           {"secondaryKey", kOtherKey},
           {"iotHub", "localhost:18883"}});
  ASSERT_TRUE(connect(dev, "dev-1", kKey));
  EXPECT_FALSE(hub->is_connected("dev-1"));  // a registration connection is not a device connection
  EXPECT_TRUE(hub->on_acl_check(dev, Access::subscribe, "$dps/registrations/res/#", 1, false));
  EXPECT_FALSE(hub->on_acl_check(dev, Access::subscribe, "devices/dev-1/messages/devicebound/#", 1, false));
  EXPECT_FALSE(hub->on_acl_check(dev, Access::write, "devices/dev-1/messages/events/", 1, false));
  auto accepted = register_device(dev, "dev-1");
  EXPECT_EQ(last_topic, "$dps/registrations/res/202/?$rid=1&retry-after=1");
  EXPECT_EQ(accepted["status"], "assigning");
  const std::string operation = accepted["operationId"];
  ASSERT_TRUE(store->find_device("dev-1"));
  EXPECT_EQ(store->find_device("dev-1")->primary_key, kKey);
  EXPECT_EQ(store->find_device("dev-1")->secondary_key, kOtherKey);
  now += 500;  // before retry-after: still assigning
  EXPECT_EQ(poll(dev, "dev-1", operation, 2)["status"], "assigning");
  EXPECT_EQ(last_topic, "$dps/registrations/res/202/?$rid=2&retry-after=1");
  now += 600;
  auto done = poll(dev, "dev-1", operation, 3);
  EXPECT_EQ(last_topic, "$dps/registrations/res/200/?$rid=3");
  EXPECT_EQ(done["status"], "assigned");
  EXPECT_EQ(done["registrationState"]["assignedHub"], "localhost:18883");
  EXPECT_EQ(done["registrationState"]["deviceId"], "dev-1");
  EXPECT_EQ(done["registrationState"]["substatus"], "initialAssignment");
  // The device connects to the hub with the same key.
  hub->on_disconnect(dev, now);
  EXPECT_TRUE(hub->on_basic_auth(other, "dev-1", kHost + "/dev-1/?api-version=2021-04-12",
                                 token(kHost + "/devices/dev-1", kKey, kNow + 3600), true, now));
}

TEST_F(HubDpsTest, GroupEnrollmentAcceptsTheDerivedKeyOnly) {
  control({{"op", "dps.enrollment.create"}, {"kind", "group"}, {"id", "line-2"}, {"primaryKey", kGroupKey}});
  EXPECT_FALSE(connect(dev, kRegE, kGroupKey)) << "the group key itself does not sign";
  ASSERT_TRUE(connect(dev, kRegE, kDerivedE));
  auto accepted = register_device(dev, kRegE);
  EXPECT_EQ(accepted["status"], "assigning");
  ASSERT_TRUE(store->find_device(kRegE));
  EXPECT_EQ(store->find_device(kRegE)->primary_key, kDerivedE);
  now += 1000;
  auto done = poll(dev, kRegE, accepted["operationId"], 2);
  EXPECT_EQ(done["registrationState"]["assignedHub"], kHost);
  EXPECT_EQ(done["registrationState"]["deviceId"], kRegE);
}

TEST_F(HubDpsTest, RefusedConnections) {
  control({{"op", "dps.enrollment.create"}, {"id", "dev-1"}, {"primaryKey", kKey}, {"secondaryKey", kKey}});
  EXPECT_FALSE(connect(dev, "dev-1", kOtherKey)) << "wrong key";
  EXPECT_FALSE(connect(dev, "dev-2", kKey)) << "no enrollment";
  EXPECT_FALSE(connect(dev, "dev-1", kKey, "")) << "skn must be registration";
  EXPECT_FALSE(hub->on_basic_auth(dev, "other-id", username("dev-1"),
                                  token(scope + "/registrations/dev-1", kKey, kNow + 3600, "registration"), true, now))
      << "client id != registration id";
  EXPECT_FALSE(hub->on_basic_auth(dev, "dev-1", username("dev-1"),
                                  token(scope + "/registrations/dev-1", kKey, kNow - 3600, "registration"), true, now))
      << "expired";
  EXPECT_FALSE(hub->on_basic_auth(dev, "dev-1", username("dev-1"),
                                  token("0neFFFFFFFF/registrations/dev-1", kKey, kNow + 3600, "registration"), true,
                                  now))
      << "sr for another scope";
  EXPECT_FALSE(hub->on_basic_auth(dev, "dev-1", "0neFFFFFFFF/registrations/dev-1/api-version=2019-03-31",
                                  token("0neFFFFFFFF/registrations/dev-1", kKey, kNow + 3600, "registration"), true,
                                  now))
      << "another id scope is not this hub's";
}

TEST_F(HubDpsTest, ExistingDeviceWithOtherKeysFailsTheRegistration) {
  add_device(*store, "dev-1", kOtherKey, kOtherKey);
  control({{"op", "dps.enrollment.create"}, {"id", "dev-1"}, {"primaryKey", kKey}});
  ASSERT_TRUE(connect(dev, "dev-1", kKey));
  auto accepted = register_device(dev, "dev-1");
  now += 1000;
  auto done = poll(dev, "dev-1", accepted["operationId"], 2);
  EXPECT_EQ(done["status"], "failed");
  EXPECT_EQ(done["registrationState"]["errorCode"], 409201);
  EXPECT_NE(done["registrationState"]["errorMessage"].get<std::string>().find("other keys"), std::string::npos);
}

TEST_F(HubDpsTest, DisabledEnrollmentAnswersDisabledAndCreatesNoDevice) {
  control({{"op", "dps.enrollment.create"}, {"id", "dev-1"}, {"primaryKey", kKey}, {"status", "disabled"}});
  ASSERT_TRUE(connect(dev, "dev-1", kKey));
  auto accepted = register_device(dev, "dev-1");
  now += 1000;
  EXPECT_EQ(poll(dev, "dev-1", accepted["operationId"], 2)["status"], "disabled");
  EXPECT_FALSE(store->find_device("dev-1"));
}

TEST_F(HubDpsTest, BadRequestsAreAnsweredWithErrors) {
  control({{"op", "dps.enrollment.create"}, {"id", "dev-1"}, {"primaryKey", kKey}});
  ASSERT_TRUE(connect(dev, "dev-1", kKey));
  auto answers = request(dev, "dev-1", "$dps/registrations/PUT/iotdps-register/?$rid=1", R"({"registrationId":"x"})");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].topic, "$dps/registrations/res/400/?$rid=1");
  answers = request(dev, "dev-1", "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=nope", "");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].topic, "$dps/registrations/res/404/?$rid=2");
}

TEST_F(HubDpsTest, AnOperationOutlivesAHubRestart) {
  control({{"op", "dps.enrollment.create"}, {"id", "dev-1"}, {"primaryKey", kKey}});
  ASSERT_TRUE(connect(dev, "dev-1", kKey));
  const std::string operation = register_device(dev, "dev-1")["operationId"];
  // The hub restarts on the same state.db; the device reconnects and polls the operation it started.
  hub = std::make_unique<Hub>(test_config(), *store, port);
  ASSERT_TRUE(connect(other, "dev-1", kKey));
  now += 1100;
  auto done = poll(other, "dev-1", operation, 2);
  EXPECT_EQ(last_topic, "$dps/registrations/res/200/?$rid=2");
  EXPECT_EQ(done["operationId"], operation);
  EXPECT_EQ(done["status"], "assigned");
  EXPECT_EQ(done["registrationState"]["deviceId"], "dev-1");
}

TEST_F(HubDpsTest, AnotherRegistrationCannotPollAnOperation) {
  control({{"op", "dps.enrollment.create"}, {"id", "dev-1"}, {"primaryKey", kKey}});
  control({{"op", "dps.enrollment.create"}, {"id", "dev-2"}, {"primaryKey", kOtherKey}});
  ASSERT_TRUE(connect(dev, "dev-1", kKey));
  ASSERT_TRUE(connect(other, "dev-2", kOtherKey));
  const std::string operation = register_device(dev, "dev-1")["operationId"];
  now += 1100;
  poll(other, "dev-2", operation, 2);
  EXPECT_EQ(last_topic, "$dps/registrations/res/404/?$rid=2");
}

TEST(DpsOperations, KeepTheNewestWithinTheirBound) {
  auto store = memory_store();
  DpsOperations operations(*store, 3);
  for (int i = 0; i < 5; ++i) {
    DpsOperation op;
    op.operation_id = "op-" + std::to_string(i);
    op.registration_id = "dev";
    op.status = "assigned";
    op.state_json = "{}";
    op.created_ms = 1000 + i;
    op.ready_ms = 2000 + i;
    ASSERT_TRUE(operations.insert(op));
  }
  EXPECT_FALSE(operations.find("op-0"));
  EXPECT_FALSE(operations.find("op-1"));
  auto newest = operations.find("op-4");
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->ready_ms, 2004);
  EXPECT_EQ(newest->status, "assigned");
  EXPECT_TRUE(operations.find("op-2"));
}

}  // namespace
