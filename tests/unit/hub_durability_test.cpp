// Issue 8 §2: telemetry is durable before its PUBACK (journal), store failures are errors that are never
// acknowledged, state.db has a schema version and upgrades a pre-version data dir, keeps one copy of a body,
// has bounded retention, private file modes; per-client log rate limit.
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "hub/log_limiter.hpp"
#include "hub/telemetry_event.hpp"
#include "hub/telemetry_journal.hpp"
#include "hub_test_util.hpp"

using namespace picohub::hub;
using namespace hubtest;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kNowMs = kNow * 1000;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/picohub-durability.XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::unique_ptr<Store> open_store(const std::string& path, StoreOptions options = {}) {
  std::string error;
  auto store = Store::open(path, error, options);
  EXPECT_TRUE(store) << error;
  return store;
}

std::string event_for(std::int64_t seq, std::string_view device, std::string_view payload) {
  TelemetryEventInput in;
  in.sequence = seq;
  in.device_id = device;
  in.enqueued_ms = kNowMs;
  in.property_bag = "k=v";
  in.payload = payload;
  std::string out;
  write_telemetry_event(in, out);
  return out;
}

picohub::Result<void> append(Store& store, std::string_view payload, std::int64_t enqueued_ms = kNowMs) {
  auto seq = store.next_telemetry_sequence();
  return store.telemetry_append(seq, "dev1", enqueued_ms, payload, event_for(seq, "dev1", payload), 100000);
}

void exec(sqlite3* db, const std::string& sql) {
  char* message = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message), SQLITE_OK) << (message ? message : "");
}

// ---------------------------------------------------------------- journal

TEST(HubTelemetryJournal, ReplaysWhatWasAppendedAndCutsATornTail) {
  TempDir dir;
  std::string error;
  auto journal = TelemetryJournal::open(dir / "j", false, 0600, error);
  ASSERT_TRUE(journal) << error;
  ASSERT_TRUE(journal->append({1, 10, "dev1", true, "body-1", "suffix-1"}));
  ASSERT_TRUE(journal->append({2, 20, "dev2", false, "", "{\"whole\":1}"}));
  auto intact = journal->size();
  {
    std::ofstream torn(dir / "j", std::ios::app | std::ios::binary);
    // A writev the broker died inside of: magic, a 64-byte length, then 7 bytes (a string_view keeps the NULs).
    torn << std::string_view("PHJ1\x40\x00\x00\x00partial", 15);
  }
  journal = TelemetryJournal::open(dir / "j", false, 0600, error);
  std::vector<std::string> seen;
  ASSERT_TRUE(journal->replay([&](const JournalRecord& r) {
    seen.push_back(std::to_string(r.sequence) + "/" + std::to_string(r.enqueued_ms) + "/" + std::string(r.device_id) +
                   "/" + (r.has_payload ? std::string(r.payload) : "-") + "/" + std::string(r.event));
  }));
  EXPECT_EQ(seen, (std::vector<std::string>{"1/10/dev1/body-1/suffix-1", "2/20/dev2/-/{\"whole\":1}"}));
  EXPECT_EQ(journal->size(), intact);  // the torn tail is gone: a later record stays reachable
  ASSERT_TRUE(journal->append({3, 30, "dev1", true, "b3", "s3"}));
  int count = 0;
  ASSERT_TRUE(journal->replay([&](const JournalRecord&) { ++count; }));
  EXPECT_EQ(count, 3);
  struct stat st {};
  ASSERT_EQ(stat((dir / "j").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(HubTelemetryJournal, AWriteThatFailsIsReported) {
  std::string error;
  auto journal = TelemetryJournal::open("/dev/full", false, 0600, error);  // every write: ENOSPC
  ASSERT_TRUE(journal) << error;
  EXPECT_FALSE(journal->append({1, 10, "dev1", true, "body", "suffix"}));
  EXPECT_NE(journal->error().find("No space"), std::string::npos) << journal->error();
}

// ---------------------------------------------------------------- durable before the PUBACK

// The broker dies (here: a child process _exits) right after the hub accepted telemetry and before any
// commit. Everything telemetry_append accepted must be in state.db when the next broker opens it.
TEST(HubDurability, TelemetryAcceptedBeforeACrashIsInTheStoreAfterRestart) {
  TempDir dir;
  std::string db = dir / "state.db";
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string error;
    auto store = Store::open(db, error);
    if (!store) _exit(2);
    for (int i = 0; i < 50; ++i) {
      if (!append(*store, "message-" + std::to_string(i))) _exit(3);
    }
    if (!store->flush()) _exit(4);  // the first 50 committed; 7 more only accepted
    for (int i = 50; i < 57; ++i) {
      if (!append(*store, "message-" + std::to_string(i))) _exit(3);
    }
    _exit(0);  // like kill -9: no destructor, no COMMIT
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto store = open_store(db);
  auto rows = store->telemetry_query("", 0, 1000);
  ASSERT_EQ(rows.size(), 57u);
  for (int i = 0; i < 57; ++i) {
    auto payload = "message-" + std::to_string(i);
    EXPECT_EQ(rows[static_cast<std::size_t>(i)].event_json, event_for(i + 1, "dev1", payload));
  }
  EXPECT_EQ(store->next_telemetry_sequence(), 58);
}

// ---------------------------------------------------------------- store failures are errors

class HubStoreFailure : public ::testing::Test {
 protected:
  void SetUp() override {
    store = open_store(dir / "state.db");
    add_device(*store, "dev1");
    ASSERT_TRUE(store->flush());
    hub = std::make_unique<Hub>(test_config(), *store, port);
    ASSERT_TRUE(hub->on_basic_auth(&device, "dev1", kHost + "/dev1/?api-version=2021-04-12",
                                   token(kHost + "/devices/dev1", kKey, kNow + 3600), true, kNowMs));
    ASSERT_TRUE(hub->on_basic_auth(&service, "picohub-service-1-x", "iothubowner",
                                   token(kHost, kKey, kNow + 3600, "iothubowner"), true, kNowMs));
  }
  // Caps state.db at its current size: every write that needs a new page fails with SQLITE_FULL.
  void fill_disk() {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(store->handle(), "PRAGMA page_count", -1, &s, nullptr);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    auto pages = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    exec(store->handle(), "PRAGMA max_page_count = " + std::to_string(pages));
  }
  json control(const json& request) {
    hub->on_control(&service, "picohub-service-1-x", request.dump(), kNowMs);
    return json::parse(port.to("picohub-service-1-x").back().payload);
  }
  MessageVerdict telemetry(const std::string& body) {
    return hub->on_message(&device, "devices/dev1/messages/events/", body, 1, false, kNowMs);
  }

  TempDir dir;
  RecordingPort port;
  std::unique_ptr<Store> store;
  std::unique_ptr<Hub> hub;
  int device = 0, service = 0;
};

TEST_F(HubStoreFailure, AFullDiskIsNeverAnsweredWith200Or204) {
  fill_disk();
  std::string big(8000, 'x');  // a row that needs new pages
  json patch = {{"a", big.substr(0, 3000)}, {"b", big.substr(0, 3000)}, {"c", big.substr(0, 3000)}};  // < 4 KB each
  hub->on_message(&device, "$iothub/twin/PATCH/properties/reported/?$rid=7", patch.dump(), 0, false, kNowMs);
  ASSERT_FALSE(port.to("dev1").empty());
  EXPECT_EQ(port.to("dev1").back().topic, "$iothub/twin/res/500/?$rid=7");
  EXPECT_EQ(store->load_twin("dev1").reported_version, 1);

  auto r = control({{"op", "c2d.send"},
                    {"correlationId", "c1"},
                    {"deviceId", "dev1"},
                    {"payloadBase64", "aGVsbG8="},
                    {"properties", {{"p", big}}}});
  EXPECT_EQ(r["status"], 500) << r.dump();
  EXPECT_EQ(store->c2d_depth("dev1"), 0);
  r = control({{"op", "device.create"},
               {"correlationId", "c2"},
               {"deviceId", "dev-" + big.substr(0, 100)},
               {"primaryKey", kKey},
               {"secondaryKey", kOtherKey}});
  // A short row may still fit a page: either it is saved, or the answer says it failed; never a false 200.
  if (r["status"] == 200) {
    EXPECT_TRUE(store->find_device("dev-" + big.substr(0, 100)));
  }
  r = control({{"op", "twin.update"}, {"correlationId", "c3"}, {"deviceId", "dev1"}, {"desired", patch}});
  EXPECT_EQ(r["status"], 500) << r.dump();
}

TEST_F(HubStoreFailure, TelemetryThatCannotBeCommittedStopsBeingAcknowledgedAndNothingAckedIsLost) {
  ASSERT_EQ(telemetry("before"), MessageVerdict::drop);  // handled: PUBACK
  hub->on_tick(kNowMs);
  fill_disk();
  std::string big(64000, 'y');  // more pages than the free list holds (schema 7 freed the time index's)
  ASSERT_EQ(telemetry(big), MessageVerdict::drop);  // durable in the journal: acknowledged
  hub->on_tick(kNowMs);                             // its row cannot be committed
  EXPECT_FALSE(store->telemetry_healthy());
  EXPECT_EQ(telemetry("while full"), MessageVerdict::refuse);  // no PUBACK: the device will send it again
  bool logged = false;
  for (auto& line : port.lines) logged |= line.find("refusing telemetry from dev1") != std::string::npos;
  EXPECT_TRUE(logged);

  exec(store->handle(), "PRAGMA max_page_count = 1000000");  // space again
  hub->on_tick(kNowMs + 1500);
  EXPECT_TRUE(store->telemetry_healthy());
  EXPECT_EQ(telemetry("after"), MessageVerdict::drop);
  hub->on_tick(kNowMs + 1600);
  auto rows = store->telemetry_query("", 0, 100);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(json::parse(rows[0].event_json)["body"], "before");
  EXPECT_EQ(json::parse(rows[1].event_json)["body"], big);
  EXPECT_EQ(json::parse(rows[2].event_json)["body"], "after");
}

TEST_F(HubStoreFailure, AJournalThatCannotBeWrittenRefusesTheMessage) {
  hub.reset();
  store.reset();
  fs::remove(dir / "state.db.telemetry-journal");
  fs::create_symlink("/dev/full", dir / "state.db.telemetry-journal");
  store = open_store(dir / "state.db");
  hub = std::make_unique<Hub>(test_config(), *store, port);
  ASSERT_TRUE(hub->on_basic_auth(&device, "dev1", kHost + "/dev1/?api-version=2021-04-12",
                                 token(kHost + "/devices/dev1", kKey, kNow + 3600), true, kNowMs));
  EXPECT_EQ(telemetry("lost?"), MessageVerdict::refuse);
  EXPECT_EQ(store->telemetry_count(), 0);
}

// ---------------------------------------------------------------- schema version and upgrade

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(PICOHUB_HUB_FIXTURES) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(HubSchema, ADataDirWrittenBeforeVersioningIsUpgraded) {
  TempDir dir;
  std::string path = dir / "state.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    exec(db, "PRAGMA journal_mode=WAL;");
    exec(db, fixture("hub_state_v0.sql"));
    sqlite3_close(db);
  }
  ::chmod(path.c_str(), 0644);  // what hubs before this one left
  auto store = open_store(path);
  EXPECT_EQ(store->schema_version(), kSchemaVersion);
  ASSERT_TRUE(store->find_device("old-device"));
  EXPECT_EQ(store->find_device("old-device")->primary_key, kKey);
  EXPECT_EQ(store->load_twin("old-device").reported_version, 3);
  EXPECT_EQ(store->load_twin("old-device").model_id, "");  // schema 3's column, empty for old twins
  // Schema 6: devices from before X.509 are SAS devices; no CA is registered.
  EXPECT_EQ(store->find_device("old-device")->auth, DeviceAuth::sas);
  EXPECT_TRUE(store->list_ca_certificates().empty());
  EXPECT_EQ(store->c2d_depth("old-device"), 1);
  auto old_rows = store->telemetry_query("old-device", 0, 10);
  ASSERT_EQ(old_rows.size(), 1u);
  EXPECT_EQ(json::parse(old_rows[0].event_json)["body"], "{\"t\":20}");  // the whole old event, as written
  EXPECT_EQ(store->next_telemetry_sequence(), 8);
  ASSERT_TRUE(append(*store, "{\"t\":21}"));
  ASSERT_TRUE(store->flush());
  EXPECT_EQ(store->telemetry_query("", 0, 10).size(), 2u);
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  store.reset();
  {  // Schema 7: the time index is gone (rowid order is time order)
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'telemetry_by_time'", -1, &s, nullptr),
        SQLITE_OK);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(s, 0), 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
  }
  store = open_store(path);  // a second open is a no-op upgrade
  EXPECT_EQ(store->telemetry_query("", 0, 10).size(), 2u);
}

TEST(HubSchema, ANewerSchemaIsRefusedWithAnExplanation) {
  TempDir dir;
  std::string path = dir / "state.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    exec(db, "PRAGMA user_version = 99");
    sqlite3_close(db);
  }
  std::string error;
  EXPECT_FALSE(Store::open(path, error));
  EXPECT_NE(error.find("newer picohub"), std::string::npos) << error;
}

TEST(HubSchema, NewFilesArePrivate) {
  TempDir dir;
  auto store = open_store(dir / "state.db", StoreOptions{.file_mode = 0640});
  ASSERT_TRUE(append(*store, "x"));
  ASSERT_TRUE(store->flush());
  for (const char* name : {"state.db", "state.db-wal", "state.db-shm", "state.db.telemetry-journal"}) {
    struct stat st {};
    ASSERT_EQ(stat((dir / name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 0777, 0640u) << name;
  }
}

// ---------------------------------------------------------------- bounded disk

TEST(HubBoundedDisk, A256KBodyIsStoredOnce) {
  TempDir dir;
  auto store = open_store(dir / "state.db");
  std::string body(256 * 1024, 'a');
  for (std::size_t i = 0; i < body.size(); i += 7) body[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(append(*store, body));
  ASSERT_TRUE(store->flush());
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(store->handle(), "SELECT SUM(length(event) + length(payload)) FROM telemetry", -1, &s, nullptr);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  auto stored = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  EXPECT_LT(stored, static_cast<std::int64_t>(body.size()) + 2000);  // was text + base64: 2.3x
  auto rows = store->telemetry_query("", 0, 1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].event_json, event_for(1, "dev1", body));
}

TEST(HubBoundedDisk, RetentionDropsOldRowsThenOldestUntilUnderTheSize) {
  TempDir dir;
  auto store = open_store(dir / "state.db");
  std::string body(4000, 'z');
  ASSERT_TRUE(append(*store, "ancient", kNowMs - 8LL * 86400000));
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(append(*store, body, kNowMs - 1000 + i));
  ASSERT_TRUE(store->flush());
  RetentionPolicy policy;  // 7 days, 1 GiB
  auto deleted = store->enforce_retention(kNowMs, policy);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 1);
  EXPECT_EQ(store->telemetry_count(), 300);
  policy.max_bytes = 400 * 1024;
  deleted = store->enforce_retention(kNowMs, policy);
  ASSERT_TRUE(deleted);
  ASSERT_TRUE(store->flush());
  EXPECT_GT(store->telemetry_count(), 30);
  EXPECT_LT(store->telemetry_count(), 110);  // ~4 KB rows under 400 KB with the registry pages
  auto newest = store->telemetry_query("", 0, 1);
  EXPECT_EQ(newest.at(0).sequence, 301);  // the oldest went first
}

TEST(HubBoundedDisk, LogLinesArePerClientRateLimitedWithASummary) {
  LogLimiter limiter(3);
  std::vector<std::string> reports;
  auto report = [&](const std::string& line) { reports.push_back(line); };
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) allowed += limiter.allow("noisy", kNowMs + i % 500, report) ? 1 : 0;
  EXPECT_EQ(allowed, 3);
  EXPECT_TRUE(limiter.allow("quiet", kNowMs, report));  // one client's storm does not silence another
  EXPECT_TRUE(limiter.allow("noisy", kNowMs + 1000, report));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0], "noisy: suppressed 997 log line(s) (more than the per-client limit per second)");
  for (int i = 0; i < 10; ++i) (void)limiter.allow("noisy", kNowMs + 1001, report);
  limiter.sweep(kNowMs + 2500, report);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_NE(reports[1].find("suppressed 8"), std::string::npos);
}

TEST(HubBoundedDisk, AMalformedBagFloodLogsAFewLinesPerSecond) {
  auto store = memory_store();
  add_device(*store, "dev1");
  RecordingPort port;
  Hub hub(test_config(), *store, port);
  int dev = 0;
  ASSERT_TRUE(hub.on_basic_auth(&dev, "dev1", kHost + "/dev1/?api-version=2021-04-12",
                                token(kHost + "/devices/dev1", kKey, kNow + 3600), true, kNowMs));
  port.lines.clear();
  for (int i = 0; i < 2000; ++i) {
    hub.on_message(&dev, "devices/dev1/messages/events/a=%ZZ&b=2", "x", 1, false, kNowMs + i / 10);
  }
  EXPECT_LE(port.lines.size(), 6u);
  EXPECT_EQ(store->telemetry_count(), 2000);
}

}  // namespace

namespace {

TEST(HubConfigDurability, RetentionAndFsyncComeFromHubJson) {
  std::string error;
  auto defaults = parse_hub_config(R"({"hostName":"h"})", error);
  ASSERT_TRUE(defaults) << error;
  EXPECT_EQ(defaults->retention.max_age_ms, 7LL * 86400000);
  EXPECT_EQ(defaults->retention.max_bytes, 1ULL << 30);
  EXPECT_FALSE(defaults->durability_fsync);
  auto set = parse_hub_config(R"({"retention":{"maxAgeDays":0.5,"maxBytes":1048576},"durability":{"fsync":true}})",
                              error);
  ASSERT_TRUE(set) << error;
  EXPECT_EQ(set->retention.max_age_ms, 43200000);
  EXPECT_EQ(set->retention.max_bytes, 1048576u);
  EXPECT_TRUE(set->durability_fsync);
  EXPECT_FALSE(parse_hub_config(R"({"retention":{"maxAgeDays":-1}})", error));
  EXPECT_NE(error.find("retention"), std::string::npos);
}

}  // namespace

// ---------------------------------------------------------------- fsync mode, grouped (issue 9 §2)

namespace {
int g_syncs = 0;
bool g_sync_fails = false;
int fake_datasync(int) {
  if (g_sync_fails) {
    errno = EIO;
    return -1;
  }
  ++g_syncs;
  return 0;
}

struct FsyncHub {
  explicit FsyncHub(bool grouped) {
    g_syncs = 0;
    g_sync_fails = false;
    StoreOptions options;
    options.fsync = true;
    options.journal_datasync = fake_datasync;
    store = open_store(dir / "state.db", options);
    store->set_grouped_sync(grouped);
    add_device(*store, "dev1");
    EXPECT_TRUE(store->flush());
    hub = std::make_unique<Hub>(test_config(), *store, port);
    EXPECT_TRUE(hub->on_basic_auth(&device, "dev1", kHost + "/dev1/?api-version=2021-04-12",
                                   token(kHost + "/devices/dev1", kKey, kNow + 3600), true, kNowMs));
  }
  MessageVerdict telemetry(const std::string& body) {
    return hub->on_message(&device, "devices/dev1/messages/events/", body, 1, false, kNowMs);
  }
  TempDir dir;
  RecordingPort port;
  std::unique_ptr<Store> store;
  std::unique_ptr<Hub> hub;
  int device = 0;
};
}  // namespace

TEST(HubGroupedFsync, MessagesAreHeldUntilOneSyncCoversTheIterationThenAcknowledged) {
  FsyncHub h(true);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(h.telemetry("{\"n\":" + std::to_string(i) + "}"), MessageVerdict::hold);
  EXPECT_EQ(g_syncs, 0);  // written, not yet synced: none of the three may be acknowledged
  EXPECT_TRUE(h.store->telemetry_unsynced());
  EXPECT_TRUE(h.hub->sync_held());  // the broker sends the three PUBACKs only after this
  EXPECT_EQ(g_syncs, 1);
  EXPECT_FALSE(h.store->telemetry_unsynced());
  EXPECT_TRUE(h.hub->sync_held());  // nothing new: no second fdatasync
  EXPECT_EQ(g_syncs, 1);
  // A twin GET is not telemetry: nothing to sync, answered as before.
  EXPECT_EQ(h.hub->on_message(&h.device, "$iothub/twin/GET/?$rid=1", "", 0, false, kNowMs), MessageVerdict::drop);
  EXPECT_EQ(g_syncs, 1);
}

TEST(HubGroupedFsync, AFailedSyncAcknowledgesNothingAndTheNextSyncCoversEverything) {
  FsyncHub h(true);
  EXPECT_EQ(h.telemetry("{\"n\":1}"), MessageVerdict::hold);
  g_sync_fails = true;
  EXPECT_FALSE(h.hub->sync_held());  // the broker closes the connection without the PUBACK
  EXPECT_TRUE(h.store->telemetry_unsynced());
  g_sync_fails = false;
  EXPECT_EQ(h.telemetry("{\"n\":2}"), MessageVerdict::hold);
  EXPECT_TRUE(h.hub->sync_held());
  EXPECT_EQ(g_syncs, 1);
  EXPECT_FALSE(h.store->telemetry_unsynced());
}

TEST(HubGroupedFsync, WithoutABrokerThatHoldsAcksEveryMessageIsSyncedBeforeItsPuback) {
  FsyncHub h(false);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(h.telemetry("{\"n\":" + std::to_string(i) + "}"), MessageVerdict::drop);  // PUBACK at once
    EXPECT_EQ(g_syncs, i + 1);  // ... because this message is already synced
  }
  EXPECT_FALSE(h.store->telemetry_unsynced());
}

TEST(HubGroupedFsync, WithoutFsyncTheIterationIsWrittenOnceAndNeverSynced) {
  TempDir dir;
  g_syncs = 0;
  StoreOptions options;
  options.journal_datasync = fake_datasync;
  auto store = open_store(dir / "state.db", options);
  store->set_grouped_sync(true);
  const auto journal_size = [&] { return fs::file_size(dir / "state.db.telemetry-journal"); };
  ASSERT_TRUE(append(*store, "{}"));
  ASSERT_TRUE(append(*store, "{\"n\":2}"));
  EXPECT_TRUE(store->telemetry_unsynced());  // held: not in the kernel yet, so not acknowledged yet
  EXPECT_EQ(journal_size(), 0u);
  EXPECT_TRUE(store->sync_telemetry());  // one write for both, before their PUBACKs
  EXPECT_GT(journal_size(), 0u);
  EXPECT_FALSE(store->telemetry_unsynced());
  EXPECT_EQ(g_syncs, 0);  // no fdatasync without --fsync
}

namespace {
// A journal (no fsync) whose records are kept until sync(), as with a broker that holds PUBACKs.
std::unique_ptr<TelemetryJournal> grouped_journal(const std::string& path) {
  std::string error;
  auto journal = TelemetryJournal::open(path, false, 0600, error);
  EXPECT_TRUE(journal) << error;
  if (journal) journal->set_grouped_sync(true);
  return journal;
}
}  // namespace

TEST(HubGroupedJournal, KeptRecordsAreWrittenBySyncInOneWrite) {
  TempDir dir;
  auto journal = grouped_journal(dir / "j");
  ASSERT_TRUE(journal);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(journal->append({i, i * 10, "dev1", true, "body", "event"}));
  EXPECT_EQ(fs::file_size(dir / "j"), 0u);
  EXPECT_EQ(journal->size(), 0u);
  EXPECT_TRUE(journal->unsynced());
  ASSERT_TRUE(journal->sync());
  EXPECT_FALSE(journal->unsynced());
  EXPECT_EQ(fs::file_size(dir / "j"), journal->size());
  std::vector<std::int64_t> seen;
  ASSERT_TRUE(journal->replay([&](const JournalRecord& r) { seen.push_back(r.sequence); }));
  EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2, 3}));
}

// A replay (the fold after a failed commit) must see what was appended this iteration, and a reset (after the
// commit that holds them) must not bring committed records back.
TEST(HubGroupedJournal, ReplayAndResetWriteKeptRecordsFirst) {
  TempDir dir;
  auto journal = grouped_journal(dir / "j");
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->append({1, 10, "dev1", true, "b1", "e1"}));
  int count = 0;
  ASSERT_TRUE(journal->replay([&](const JournalRecord&) { ++count; }));
  EXPECT_EQ(count, 1);
  ASSERT_TRUE(journal->append({2, 20, "dev1", true, "b2", "e2"}));
  ASSERT_TRUE(journal->reset());
  ASSERT_TRUE(journal->sync());  // both are in the kernel (and committed): their PUBACKs may leave
  EXPECT_EQ(fs::file_size(dir / "j"), 0u);
}

TEST(HubGroupedJournal, KeptRecordsThatCannotBeWrittenAreNeverAcknowledged) {
  auto journal = grouped_journal("/dev/full");  // every write: ENOSPC
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->append({1, 10, "dev1", true, "body", "suffix"}));  // kept, not written yet
  EXPECT_FALSE(journal->sync());
  EXPECT_NE(journal->error().find("No space"), std::string::npos) << journal->error();
  EXPECT_TRUE(journal->sync());  // nothing new held
  // Lost inside a replay: the sync that would acknowledge it fails instead.
  ASSERT_TRUE(journal->append({2, 20, "dev1", true, "body", "suffix"}));
  EXPECT_FALSE(journal->replay([](const JournalRecord&) {}));
  EXPECT_FALSE(journal->sync());
}
