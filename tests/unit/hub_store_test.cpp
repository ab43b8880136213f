#include "hub/store.hpp"

#include <filesystem>
#include <unistd.h>

#include "hub_test_util.hpp"

using namespace picohub::hub;
using namespace hubtest;

namespace {

C2dRecord message(const std::string& device, const std::string& id, std::int64_t expiry_ms) {
  C2dRecord m;
  m.device_id = device;
  m.message_id = id;
  m.topic_bag = "%24.mid=" + id;
  m.payload = std::string("p\0", 2) + id;
  m.enqueued_ms = 1;
  m.expiry_ms = expiry_ms;
  return m;
}

TEST(Store, RegistryInsertFindUpdateDelete) {
  auto store = memory_store();
  add_device(*store, "dev1");
  EXPECT_FALSE(*store->insert_device(DeviceRecord{"dev1", "enabled", "k", "k", 0, 0}));
  ASSERT_TRUE(store->find_device("dev1"));
  EXPECT_EQ(store->find_device("dev1")->primary_key, kKey);
  EXPECT_TRUE(*store->set_device_status("dev1", "disabled"));
  EXPECT_EQ(store->find_device("dev1")->status, "disabled");
  EXPECT_FALSE(*store->set_device_status("nope", "disabled"));
  ASSERT_TRUE(store->c2d_enqueue(message("dev1", "m1", 100)));
  TwinRecord t;
  t.device_id = "dev1";
  t.reported_version = 7;
  store->save_twin(t);
  EXPECT_TRUE(*store->delete_device("dev1"));
  EXPECT_FALSE(store->find_device("dev1"));
  EXPECT_EQ(store->c2d_depth("dev1"), 0);
  EXPECT_EQ(store->load_twin("dev1").reported_version, 1);
  EXPECT_FALSE(*store->delete_device("dev1"));
}

TEST(Store, C2dQueueKeepsOrderBinaryPayloadAndDropsExpired) {
  auto store = memory_store();
  ASSERT_TRUE(store->c2d_enqueue(message("dev1", "a", 1000)));
  ASSERT_TRUE(store->c2d_enqueue(message("dev1", "b", 5000)));
  ASSERT_TRUE(store->c2d_enqueue(message("dev2", "c", 5000)));
  auto pending = store->c2d_pending("dev1", 50);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].message_id, "a");
  EXPECT_EQ(pending[1].message_id, "b");
  EXPECT_EQ(pending[0].payload, std::string("p\0a", 3));
  EXPECT_EQ(*store->c2d_drop_expired(1000), 1);
  EXPECT_EQ(store->c2d_depth("dev1"), 1);
  store->c2d_remove(store->c2d_pending("dev1", 50)[0].seq);
  EXPECT_EQ(store->c2d_depth("dev1"), 0);
  EXPECT_EQ(store->c2d_depth("dev2"), 1);
}

TEST(Store, StateSurvivesReopeningTheFile) {
  auto dir = std::filesystem::temp_directory_path() / ("picohub-store-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "state.db").string();
  std::string error;
  {
    auto store = Store::open(path, error);
    ASSERT_TRUE(store) << error;
    add_device(*store, "dev1");
    ASSERT_TRUE(store->c2d_enqueue(message("dev1", "queued", 1LL << 50)));
    TwinRecord t;
    t.device_id = "dev1";
    t.desired_json = R"({"rate":5})";
    t.desired_version = 2;
    t.model_id = "dtmi:picohub:TutorialDevice;1";
    store->save_twin(t);
    ASSERT_TRUE(store->telemetry_append(TelemetryRecord{store->next_telemetry_sequence(), "dev1", 5, "{}"}, 100));
  }
  {
    auto store = Store::open(path, error);
    ASSERT_TRUE(store) << error;
    EXPECT_TRUE(store->find_device("dev1"));
    EXPECT_EQ(store->c2d_pending("dev1", 50).at(0).message_id, "queued");
    EXPECT_EQ(store->load_twin("dev1").desired_version, 2);
    EXPECT_EQ(store->load_twin("dev1").model_id, "dtmi:picohub:TutorialDevice;1");  // the twin's modelId
    EXPECT_EQ(store->next_telemetry_sequence(), 2);  // sequence continues after a restart
  }
  std::filesystem::remove_all(dir);
}

TEST(Store, WritesAreGroupedUntilFlushThenVisibleToOtherConnections) {
  auto dir = std::filesystem::temp_directory_path() / ("picohub-batch-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "state.db").string();
  std::string error;
  auto writer = Store::open(path, error);
  ASSERT_TRUE(writer) << error;
  add_device(*writer, "dev1");
  EXPECT_TRUE(writer->find_device("dev1"));  // the writer sees its own batch
  {
    auto reader = Store::open(path, error);
    ASSERT_TRUE(reader) << error;
    EXPECT_FALSE(reader->find_device("dev1"));
    writer->flush();
    EXPECT_TRUE(reader->find_device("dev1"));
  }
  writer.reset();
  std::filesystem::remove_all(dir);
}

TEST(Store, OpenFailureSaysWhatToCheck) {
  std::string error;
  EXPECT_FALSE(Store::open("/nonexistent-dir/sub/state.db", error));
  EXPECT_NE(error.find("writable"), std::string::npos) << error;
}

TEST(Store, TelemetryLogIsBoundedToTheNewestRows) {
  auto store = memory_store();
  for (int i = 0; i < 25; ++i) {
    std::string device = i % 2 ? "sensor-odd" : "sensor-even";
    ASSERT_TRUE(store->telemetry_append(TelemetryRecord{store->next_telemetry_sequence(), device, 1000 + i, "{}"}, 10));
  }
  EXPECT_EQ(store->telemetry_count(), 10);
  auto all = store->telemetry_query("", 0, 100);
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all.front().sequence, 16);
  EXPECT_EQ(all.back().sequence, 25);
  auto odd = store->telemetry_query("*odd", 0, 100);
  ASSERT_EQ(odd.size(), 5u);
  for (auto& r : odd) EXPECT_EQ(r.device_id, "sensor-odd");
  EXPECT_EQ(store->telemetry_query("sensor-?ven", 1022, 100).size(), 2u);  // 1022, 1024
  EXPECT_EQ(store->telemetry_query("", 0, 3).back().sequence, 25);         // newest, oldest first
}

}  // namespace
