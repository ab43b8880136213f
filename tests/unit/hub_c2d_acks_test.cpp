// C2D at least once (completed only by the device's PUBACK, redelivered after a lost session, a lock timeout or a
// hub restart, dead-lettered after maxDeliveryCount), Wills as telemetry, and persistent sessions that outlive
// the hub process. Fake time, in-memory or temp-file SQLite.
#include <cstdio>
#include <filesystem>

#include <sqlite3.h>
#include <unistd.h>

#include "hub/hub.hpp"
#include "hub_test_util.hpp"

using namespace picohub::hub;
using namespace hubtest;
using nlohmann::json;

namespace {

constexpr std::int64_t kNowMs = kNow * 1000;
const std::string kC2dFilter = "devices/dev1/messages/devicebound/#";

class HubAcksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = memory_store();
    add_device(*store, "dev1");
    restart_hub();
  }
  void restart_hub() {  // a new hub process over the same state.db (what kill -9 + start leaves)
    hub.reset();
    hub = std::make_unique<Hub>(test_config(), *store, port, HubOptions{});
    ASSERT_TRUE(hub->on_basic_auth(service, service_id, "iothubowner",
                                   token(kHost, kKey, static_cast<std::uint64_t>(kNow + 3600), "iothubowner"), true,
                                   now));
  }
  bool connect(ConnId conn, bool clean) {
    return hub->on_basic_auth(conn, "dev1", kHost + "/dev1/?api-version=2021-04-12",
                              token(kHost + "/devices/dev1", kKey, static_cast<std::uint64_t>(kNow + 3600)), clean,
                              now);
  }
  bool subscribe(ConnId conn, const std::string& filter, int qos = 1) {
    return hub->on_acl_check(conn, Access::subscribe, filter, qos, false);
  }
  void send_c2d(const std::string& mid, const std::string& ack = "none", int ttl = 3600) {
    json r = {{"op", "c2d.send"}, {"correlationId", mid}, {"deviceId", "dev1"}, {"payloadBase64", "aGk="},
              {"messageId", mid}, {"ack", ack},           {"ttlSeconds", ttl}};
    hub->on_control(service, service_id, r.dump(), now);
  }
  // C2D publishes to dev1 since the last call.
  std::vector<Published> delivered() {
    std::vector<Published> out;
    for (; seen < port.published.size(); ++seen) {
      auto& p = port.published[seen];
      if (p.client_id == "dev1" && p.topic.rfind("devices/dev1/messages/devicebound/", 0) == 0) out.push_back(p);
    }
    return out;
  }
  void tick() { hub->on_tick(now); }

  RecordingPort port;
  std::unique_ptr<Store> store;
  std::unique_ptr<Hub> hub;
  std::int64_t now = kNowMs;
  std::size_t seen = 0;
  int a = 0, b = 0, svc = 0;
  ConnId dev = &a, dev_again = &b, service = &svc;
  const std::string service_id = "picohub-service-1-x";
};

TEST_F(HubAcksTest, OnlyThePubackCompletesAndACompletedMessageIsNeverSentAgain) {
  send_c2d("m1");
  ASSERT_TRUE(connect(dev, true));
  ASSERT_TRUE(subscribe(dev, kC2dFilter));
  tick();
  auto got = delivered();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(hub->c2d_in_flight("dev1"), 1u);
  EXPECT_EQ(store->c2d_depth("dev1"), 1);
  hub->on_puback(dev, "devices/dev1/messages/devicebound/%24.mid=other&x=1", now);  // not ours: nothing changes
  hub->on_puback(dev, "$picohub/v1/response", now);
  EXPECT_EQ(store->c2d_depth("dev1"), 1);
  hub->on_puback(dev, got[0].topic, now);
  EXPECT_EQ(store->c2d_depth("dev1"), 0);
  EXPECT_EQ(hub->c2d_in_flight("dev1"), 0u);
  hub->on_disconnect(dev, now);
  ASSERT_TRUE(connect(dev_again, true));
  ASSERT_TRUE(subscribe(dev_again, kC2dFilter));
  now += 120000;
  tick();
  EXPECT_TRUE(delivered().empty());
}

TEST_F(HubAcksTest, UnacknowledgedMessageIsDeliveredAgainAfterACleanReconnect) {
  send_c2d("m1");
  ASSERT_TRUE(connect(dev, true));
  ASSERT_TRUE(subscribe(dev, kC2dFilter));
  tick();
  ASSERT_EQ(delivered().size(), 1u);
  hub->on_disconnect(dev, now);  // connection lost before the PUBACK
  tick();
  EXPECT_TRUE(delivered().empty());  // nobody to send to
  ASSERT_TRUE(connect(dev_again, true));
  ASSERT_TRUE(subscribe(dev_again, kC2dFilter));
  tick();
  auto again = delivered();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(again[0].topic.find("%24.mid=m1&"), std::string::npos);
  EXPECT_EQ(store->c2d_pending("dev1", 10).at(0).delivery_count, 2);
}

TEST_F(HubAcksTest, PersistentReconnectLeavesTheRetransmissionToTheBrokerAndItsPubackCompletes) {
  send_c2d("m1");
  ASSERT_TRUE(connect(dev, false));
  ASSERT_TRUE(subscribe(dev, kC2dFilter));
  tick();
  auto got = delivered();
  ASSERT_EQ(got.size(), 1u);
  hub->on_disconnect(dev, now);
  ASSERT_TRUE(connect(dev_again, false));  // session present: mosquitto resends its in-flight copy (DUP)
  tick();
  EXPECT_TRUE(delivered().empty());
  hub->on_puback(dev_again, got[0].topic, now);
  EXPECT_EQ(store->c2d_depth("dev1"), 0);
}

TEST_F(HubAcksTest, LockTimeoutRedeliversAndTheTenthUnacknowledgedDeliveryIsTheLast) {
  send_c2d("m1");
  ASSERT_TRUE(connect(dev, true));
  ASSERT_TRUE(subscribe(dev, kC2dFilter));
  tick();
  ASSERT_EQ(delivered().size(), 1u);
  now += 59000;
  tick();
  EXPECT_TRUE(delivered().empty());  // still locked
  for (int n = 2; n <= 10; ++n) {
    now += 61000;
    tick();
    ASSERT_EQ(delivered().size(), 1u) << "delivery " << n;
  }
  now += 61000;
  tick();
  EXPECT_TRUE(delivered().empty());
  EXPECT_EQ(store->c2d_depth("dev1"), 0);  // dead-lettered (DeliveryCountExceeded)
}

TEST_F(HubAcksTest, AHubRestartRedeliversWhatWasNotAcknowledged) {
  send_c2d("m1");
  ASSERT_TRUE(connect(dev, true));
  ASSERT_TRUE(subscribe(dev, kC2dFilter));
  tick();
  ASSERT_EQ(delivered().size(), 1u);
  restart_hub();  // the broker died with the message in flight
  ASSERT_TRUE(connect(dev, true));
  ASSERT_TRUE(subscribe(dev, kC2dFilter));
  tick();
  ASSERT_EQ(delivered().size(), 1u);
}

TEST_F(HubAcksTest, QosZeroSubscriptionCompletesOnSend) {
  send_c2d("m1");
  ASSERT_TRUE(connect(dev, true));
  ASSERT_TRUE(subscribe(dev, kC2dFilter, 0));
  tick();
  ASSERT_EQ(delivered().size(), 1u);
  EXPECT_EQ(store->c2d_depth("dev1"), 0);
}

TEST_F(HubAcksTest, WillOnTheTelemetryTopicBecomesTelemetryMarkedWill) {
  ASSERT_TRUE(connect(dev, true));
  hub->on_disconnect(dev, now);  // mosquitto: DISCONNECT event first, then the Will
  EXPECT_TRUE(hub->on_will(dev, "devices/dev1/messages/events/%24.ct=text%2Fplain&reason=power", "gone", false, now));
  auto rows = store->telemetry_query("dev1", 0, 10);
  ASSERT_EQ(rows.size(), 1u);
  auto event = json::parse(rows[0].event_json);
  EXPECT_EQ(event["properties"]["iothub-MessageType"], "Will");
  EXPECT_EQ(event["properties"]["reason"], "power");
  EXPECT_EQ(event["systemProperties"]["content-type"], "text/plain");
  EXPECT_EQ(event["body"], "gone");
}

TEST_F(HubAcksTest, WillElsewhereIsTakenAndDroppedAndUnknownConnectionsAreLeftToTheBroker) {
  ASSERT_TRUE(connect(dev, true));
  EXPECT_TRUE(hub->on_will(dev, "devices/dev2/messages/events/", "x", false, now));  // another device's topic
  EXPECT_EQ(store->telemetry_count(), 0);
  tick();  // after the loop iteration the closed connection is forgotten
  int stranger = 0;
  EXPECT_FALSE(hub->on_will(&stranger, "devices/dev1/messages/events/", "x", false, now));
}

TEST_F(HubAcksTest, PersistentSessionSubscriptionsSurviveAHubRestart) {
  ASSERT_TRUE(connect(dev, false));
  ASSERT_TRUE(subscribe(dev, "$iothub/twin/PATCH/properties/desired/#", 0));
  ASSERT_TRUE(subscribe(dev, "$iothub/methods/POST/#", 0));
  restart_hub();
  ASSERT_TRUE(connect(dev, false));  // reconnects, does not subscribe again (its session is persistent)
  EXPECT_EQ(hub->subscription_flags("dev1"), sub_twin_desired | sub_methods);
  json r = {{"op", "twin.update"}, {"correlationId", "t"}, {"deviceId", "dev1"}, {"desired", {{"rate", 5}}}};
  hub->on_control(service, service_id, r.dump(), now);
  bool patched = false;
  for (auto& p : port.to("dev1")) patched |= p.topic.rfind("$iothub/twin/PATCH/properties/desired/", 0) == 0;
  EXPECT_TRUE(patched);
  // A clean session forgets them, across restarts too.
  ASSERT_TRUE(connect(dev_again, true));
  restart_hub();
  ASSERT_TRUE(connect(dev, false));
  EXPECT_EQ(hub->subscription_flags("dev1"), 0);
}

TEST_F(HubAcksTest, FeedbackRecordsWhatEachAckModeAskedFor) {
  send_c2d("ok-full", "full");
  send_c2d("ok-positive", "positive");
  send_c2d("ok-negative", "negative");  // success is not reported for negative
  send_c2d("ok-none");
  ASSERT_TRUE(connect(dev, true));
  ASSERT_TRUE(subscribe(dev, kC2dFilter));
  tick();
  for (auto& p : delivered()) hub->on_puback(dev, p.topic, now);
  send_c2d("late-full", "full", 60);
  send_c2d("late-positive", "positive", 60);
  hub->on_disconnect(dev, now);
  now += 61000;
  tick();  // both expire undelivered
  auto records = store->feedback_take(64);
  std::vector<std::string> got;
  got.reserve(records.size());
  for (auto& r : records) got.push_back(r.message_id + ":" + r.status);
  EXPECT_EQ(got, (std::vector<std::string>{"ok-full:Success", "ok-positive:Success", "late-full:Expired"}));
  EXPECT_TRUE(store->feedback_take(64).empty());  // handed out once
  json r = {{"op", "c2d.feedback"}, {"correlationId", "fb"}};
  hub->on_control(service, service_id, r.dump(), now);
  auto response = json::parse(port.to(service_id).back().payload);
  EXPECT_EQ(response["status"], 200);
  EXPECT_TRUE(response["body"]["records"].empty());
}

TEST_F(HubAcksTest, DeadLetteringIsNegativeFeedback) {
  send_c2d("dl", "negative");
  ASSERT_TRUE(connect(dev, true));
  ASSERT_TRUE(subscribe(dev, kC2dFilter));
  for (int n = 0; n <= 10; ++n) {
    tick();
    now += 61000;
  }
  auto records = store->feedback_take(64);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].status, "DeliveryCountExceeded");
}

TEST(HubStoreUpgrade, AStateDbWithoutDeliveryCountsOpensAndKeepsItsC2dQueue) {
  auto path = std::filesystem::temp_directory_path() / ("picohub-upgrade-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // The c2d table as the hub before C2D redelivery wrote it.
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE c2d(seq INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, "
                         "message_id TEXT NOT NULL, topic_bag TEXT NOT NULL, payload BLOB NOT NULL, "
                         "enqueued_ms INTEGER NOT NULL, expiry_ms INTEGER NOT NULL);"
                         "INSERT INTO c2d(device_id, message_id, topic_bag, payload, enqueued_ms, expiry_ms) "
                         "VALUES('dev1', 'old', 'bag', 'hi', 1, 9999999999999);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  std::string error;
  auto store = Store::open(path.string(), error);
  ASSERT_TRUE(store) << error;
  auto pending = store->c2d_pending("dev1", 10);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].message_id, "old");
  EXPECT_EQ(pending[0].delivery_count, 0);
  store.reset();
  std::filesystem::remove(path);
}

}  // namespace
