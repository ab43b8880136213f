#include "hub/store.hpp"

#include "hub/telemetry_event.hpp"
#include "hub/telemetry_fields.hpp"
#include "hub/wal_checkpointer.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <functional>
#include <string>
#include <unordered_map>
#include <string_view>

namespace picohub::hub {

namespace {

// Prepared statements are cached per SQL text (preparing costs more than running the hot inserts). The cache
// owns its keys (some SQL is built at run time) and is searched by string_view: no std::string per run.
struct SqlHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view sql) const noexcept { return std::hash<std::string_view>{}(sql); }
};
using SqlCache = std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>>;
std::unordered_map<sqlite3*, SqlCache>& statement_cache() {
  static std::unordered_map<sqlite3*, SqlCache> cache;
  return cache;
}

// A cached prepared statement, reset for reuse when this goes out of scope; bind by 1-based index.
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql) : stmt_(prepared(db, sql)) {}
  // A statement kept by the caller (from prepared()): the hot path skips the cache look-up (hashing its SQL).
  explicit Stmt(sqlite3_stmt* kept) : stmt_(kept) {}
  static sqlite3_stmt* prepared(sqlite3* db, std::string_view sql) {
    auto& per_db = statement_cache()[db];
    auto it = per_db.find(sql);
    if (it == per_db.end()) {
      sqlite3_stmt* prepared = nullptr;
      sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &prepared, nullptr);
      it = per_db.emplace(std::string(sql), prepared).first;
    }
    return it->second;
  }
  ~Stmt() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& bind(int i, std::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // The caller keeps `text` alive until this Stmt is gone (no copy into SQLite).
  Stmt& bind_static(int i, std::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    return *this;
  }
  Stmt& bind_blob_static(int i, std::string_view bytes) {
    // An empty payload must stay a BLOB (a null pointer would bind NULL, which means "whole event").
    if (bytes.empty()) {
      sqlite3_bind_zeroblob(stmt_, i, 0);
    } else {
      sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    }
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  bool is_null(int col) { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  Stmt& bind_blob(int i, std::string_view bytes) {
    sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  bool step() { return stmt_ != nullptr && sqlite3_step(stmt_) == SQLITE_ROW; }
  bool run() { return stmt_ != nullptr && sqlite3_step(stmt_) == SQLITE_DONE; }
  std::string text(int col) {
    auto* p = sqlite3_column_blob(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
  }
  std::int64_t integer(int col) { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Schema 0: what picohub wrote before state.db had a version (kept verbatim as the test fixture
// tests/unit/fixtures/hub_state_v0.sql). A new database is made as schema 0 and then upgraded like an old one,
// so there is one path to the current schema.
constexpr const char* kSchemaV0 = R"sql(
CREATE TABLE IF NOT EXISTS devices(
  device_id TEXT PRIMARY KEY, status TEXT NOT NULL, primary_key TEXT NOT NULL, secondary_key TEXT NOT NULL,
  created_ms INTEGER NOT NULL, last_activity_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS twins(
  device_id TEXT PRIMARY KEY, desired TEXT NOT NULL, reported TEXT NOT NULL,
  desired_version INTEGER NOT NULL, reported_version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS c2d(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, message_id TEXT NOT NULL, topic_bag TEXT NOT NULL,
  payload BLOB NOT NULL, enqueued_ms INTEGER NOT NULL, expiry_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS c2d_by_device ON c2d(device_id, seq);
CREATE TABLE IF NOT EXISTS telemetry(
  sequence INTEGER PRIMARY KEY, device_id TEXT NOT NULL, enqueued_ms INTEGER NOT NULL, event TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS telemetry_by_time ON telemetry(enqueued_ms);
)sql";

// Schema 0 → 1: the message body is kept once, as a BLOB beside the event text without its body fields (schema 0
// kept it as JSON text and again as base64 inside `event`); rows from schema 0 keep payload NULL and their whole
// event. `meta` remembers the last telemetry sequence committed from the journal.
constexpr const char* kUpgrade0To1 = R"sql(
ALTER TABLE telemetry ADD COLUMN payload BLOB;
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta(key, value) SELECT 'telemetry_folded', COALESCE(MAX(sequence), 0) FROM telemetry;
PRAGMA user_version = 1;
)sql";

// Schema 1 → 2: module identities, C2D delivery counts (at-least-once, docs/hub-acks.md), C2D feedback records and
// the subscriptions of persistent sessions (they survive a hub restart).
constexpr const char* kUpgrade1To2 = R"sql(
CREATE TABLE modules(
  device_id TEXT NOT NULL, module_id TEXT NOT NULL, primary_key TEXT NOT NULL, secondary_key TEXT NOT NULL,
  created_ms INTEGER NOT NULL, PRIMARY KEY(device_id, module_id));
ALTER TABLE c2d ADD COLUMN delivery_count INTEGER NOT NULL DEFAULT 0;
CREATE TABLE c2d_feedback(
  id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, message_id TEXT NOT NULL, status TEXT NOT NULL,
  description TEXT NOT NULL, enqueued_ms INTEGER NOT NULL);
CREATE TABLE sessions(client_id TEXT PRIMARY KEY, filters TEXT NOT NULL, c2d_qos INTEGER NOT NULL);
PRAGMA user_version = 2;
)sql";

// Schema 2 → 3: the Plug and Play model id of each identity, so the twin's modelId survives a hub restart.
constexpr const char* kUpgrade2To3 = R"sql(
ALTER TABLE twins ADD COLUMN model_id TEXT NOT NULL DEFAULT '';
PRAGMA user_version = 3;
)sql";

// Schema 3 → 4: Device Provisioning Service enrollments (src/hub/dps_enrollments.*) and the hub's DPS id scope,
// drawn once at random (shown as "0ne" + 8 hex digits).
constexpr const char* kUpgrade3To4 = R"sql(
CREATE TABLE dps_enrollments(
  kind TEXT NOT NULL, id TEXT NOT NULL, primary_key TEXT NOT NULL, secondary_key TEXT NOT NULL,
  iot_hub TEXT NOT NULL, device_id TEXT NOT NULL, status TEXT NOT NULL, created_ms INTEGER NOT NULL,
  PRIMARY KEY(kind, id));
INSERT INTO meta(key, value) VALUES('dps_id_scope', abs(random() % 4294967296));
PRAGMA user_version = 4;
)sql";

// Schema 4 → 5: twin tags (the service's own labels on a twin) and how often they were patched.
constexpr const char* kUpgrade4To5 = R"sql(
ALTER TABLE twins ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
ALTER TABLE twins ADD COLUMN tags_version INTEGER NOT NULL DEFAULT 0;
PRAGMA user_version = 5;
)sql";

// Schema 5 → 6: X.509 devices (IoT Hub's authentication type and the two thumbprints of a self-signed device)
// and the CA certificates CA-signed devices chain to (docs/x509.md).
constexpr const char* kUpgrade5To6 = R"sql(
ALTER TABLE devices ADD COLUMN auth_type TEXT NOT NULL DEFAULT 'sas';
ALTER TABLE devices ADD COLUMN primary_thumbprint TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN secondary_thumbprint TEXT NOT NULL DEFAULT '';
CREATE TABLE ca_certificates(
  name TEXT PRIMARY KEY, pem TEXT NOT NULL, subject TEXT NOT NULL, thumbprint TEXT NOT NULL,
  not_after_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL);
PRAGMA user_version = 6;
)sql";

// Schema 6 → 7: new telemetry rows keep the event's fields instead of its text (telemetry_fields.hpp; an older
// picohub must not read them, hence the version), and the time index goes: one b-tree insert less per message.
// Rows are appended in time order, so the queries walk the rowid (sequence) order; only the retention sweep
// (every 10 s) scans the table for the age limit.
constexpr const char* kUpgrade6To7 = R"sql(
DROP INDEX IF EXISTS telemetry_by_time;
PRAGMA user_version = 7;
)sql";

// Schema 7 → 8: DPS registration operations (src/hub/dps_operations.*), so a poll after a hub restart finds
// the operation its register request started.
constexpr const char* kUpgrade7To8 = R"sql(
CREATE TABLE dps_operations(
  operation_id TEXT PRIMARY KEY, registration_id TEXT NOT NULL, status TEXT NOT NULL, state TEXT NOT NULL,
  created_ms INTEGER NOT NULL, ready_ms INTEGER NOT NULL);
PRAGMA user_version = 8;
)sql";

constexpr const char* kUpgrades[] = {kUpgrade0To1, kUpgrade1To2, kUpgrade2To3, kUpgrade3To4, kUpgrade4To5,
                                     kUpgrade5To6, kUpgrade6To7, kUpgrade7To8};  // kUpgrades[v]: v to v + 1
static_assert(std::size(kUpgrades) == kSchemaVersion);

// state.db is created with `mode` before SQLite opens it: SQLite gives -wal and -shm the main file's mode.
// Existing files are set to it too (hubs before this one left them 0644).
std::string prepare_files(const std::string& path, unsigned mode) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) {
    return "cannot create " + path + ": " + std::strerror(errno) +
           "; check that the data dir exists and is writable by the broker's user";
  }
  ::close(fd);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::string file = path + suffix;
    // Best effort: a file we do not own (EPERM) keeps its mode; SQLite reports it if it cannot be used.
    if (::chmod(file.c_str(), static_cast<mode_t>(mode)) != 0 && errno != ENOENT && errno != EPERM) {
      return "cannot chmod " + file + ": " + std::strerror(errno);
    }
  }
  return {};
}

}  // namespace

std::unique_ptr<Store> Store::open(const std::string& path, std::string& error, StoreOptions options) {
  bool on_disk = path != ":memory:";
  if (on_disk) {
    error = prepare_files(path, options.file_mode);
    if (!error.empty()) return nullptr;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    error = "cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory") +
            "; check that the data dir exists and is writable by the broker's user";
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 2000);
  std::unique_ptr<Store> store(new Store(db));
  store->options_ = options;
  // WAL + synchronous NORMAL: a commit is in the WAL (the OS has it) before the call returns, so every C2D send,
  // twin update and registry change survives kill -9 of the broker; telemetry is durable earlier, in the journal.
  // FULL (an fsync per commit) cost ~20x in broker CPU per telemetry message; it is the `fsync` option.
  const char* sync = options.fsync ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
  if (!store->exec("PRAGMA journal_mode=WAL;") || !store->exec(sync) ||
      !store->exec("PRAGMA journal_size_limit=67108864;") || !store->create_or_upgrade_schema(error)) {
    if (error.empty()) error = "cannot initialise " + path + ": " + sqlite3_errmsg(db);
    error += "; delete the file if it is not a picohub state.db";
    return nullptr;
  }
  Stmt s(db, "SELECT COALESCE(MAX(sequence), 0) FROM telemetry");
  if (s.step()) store->last_sequence_ = std::max(s.integer(0), store->folded_sequence());
  if (on_disk && options.journal) {
    store->journal_ = TelemetryJournal::open(path + ".telemetry-journal", options.fsync, options.file_mode, error);
    if (!store->journal_) return nullptr;
    store->journal_->set_datasync(options.journal_datasync);
    // Acknowledged telemetry that had not reached SQLite when the broker stopped. If this fails (disk full) the
    // hub still starts; telemetry_healthy() stays false until a retry succeeds, and the journal is kept.
    store->fold_failed_ = !store->refold_journal();
  }
  if (on_disk) {
    std::string ignored;  // without the thread SQLite checkpoints inside COMMIT, as before
    store->checkpointer_ = WalCheckpointer::start(db, path, 1000, ignored);
  }
  return store;
}

bool Store::create_or_upgrade_schema(std::string& error) {
  int version = schema_version();
  if (version > kSchemaVersion) {
    error = "state.db has schema version " + std::to_string(version) + " but this picohub knows up to " +
            std::to_string(kSchemaVersion) + " (written by a newer picohub): use that version, or another data dir";
    return false;
  }
  if (version == kSchemaVersion) return true;
  if (!exec("BEGIN IMMEDIATE")) return false;
  bool ok = exec(kSchemaV0);
  for (int v = version; ok && v < kSchemaVersion; ++v) ok = exec(kUpgrades[v]);
  if (!ok || !exec("COMMIT")) {
    error = std::string("cannot upgrade state.db from schema ") + std::to_string(version) + ": " + sqlite3_errmsg(db_);
    exec("ROLLBACK");
    return false;
  }
  return true;
}

int Store::schema_version() {
  Stmt s(db_, "PRAGMA user_version");
  return s.step() ? static_cast<int>(s.integer(0)) : -1;
}

std::int64_t Store::folded_sequence() {
  Stmt s(db_, "SELECT value FROM meta WHERE key = 'telemetry_folded'");
  return s.step() ? s.integer(0) : 0;
}

Store::Store(sqlite3* db) : db_(db) {}
Store::~Store() {
  (void)flush();
  checkpointer_.reset();  // its thread and connection go before db_
  auto& cache = statement_cache();
  if (auto it = cache.find(db_); it != cache.end()) {
    for (auto& [sql, stmt] : it->second) sqlite3_finalize(stmt);
    cache.erase(it);
  }
  sqlite3_close(db_);
}

bool Store::exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

// Records SQLite's message and notices whether SQLite rolled the whole transaction back (it does that itself on
// SQLITE_FULL, IOERR, NOMEM): the batch's earlier writes are then gone too.
tl::unexpected<Error> Store::failed(const char* what) {
  last_error_ = std::string(what) + ": " + sqlite3_errmsg(db_);
  if (in_transaction_) {
    if (sqlite3_get_autocommit(db_) != 0) {
      in_transaction_ = false;
      pending_writes_ = 0;
      if (telemetry_in_batch_) fold_failed_ = true;
      telemetry_in_batch_ = false;
    }
  }
  return fail(Errc::io_failure, "state.db write failed");
}

Store::WriteScope::WriteScope(Store& store) : store_(store) {
  if (!store_.in_transaction_) store_.in_transaction_ = store_.exec("BEGIN IMMEDIATE");
}

Store::WriteScope::~WriteScope() {
  if (++store_.pending_writes_ >= 1000) (void)store_.flush();
}

Result<void> Store::flush() {
  if (!in_transaction_) return {};
  if (telemetry_in_batch_ && !fold_failed_) {
    Stmt m(db_, "UPDATE meta SET value = ? WHERE key = 'telemetry_folded'");
    if (!m.bind(1, last_sequence_).run()) fold_failed_ = true;
  }
  bool had_telemetry = telemetry_in_batch_;
  in_transaction_ = false;
  pending_writes_ = 0;
  telemetry_in_batch_ = false;
  if (!exec("COMMIT")) {
    last_error_ = std::string("COMMIT failed: ") + sqlite3_errmsg(db_);
    exec("ROLLBACK");
    if (had_telemetry) fold_failed_ = true;  // still in the journal: retry_fold() brings them back
    return fail(Errc::io_failure, "state.db commit failed");
  }
  if (!fold_failed_ && journal_ && journal_->size() >= options_.journal_reset_bytes && !journal_->reset()) {
    last_error_ = journal_->error();
  }
  return {};
}

void Store::set_grouped_sync(bool on) {
  if (journal_) journal_->set_grouped_sync(on);
}

Result<void> Store::sync_telemetry() {
  if (!journal_ || journal_->sync()) return {};
  last_error_ = journal_->error();
  return fail(Errc::io_failure, "telemetry journal sync failed");
}

Result<void> Store::retry_fold() {
  if (!fold_failed_) return {};
  if (auto r = flush(); !r) return r;
  fold_failed_ = !refold_journal();
  if (fold_failed_) return fail(Errc::io_failure, "journaled telemetry still cannot be committed");
  return {};
}

// Inserts every journal record newer than meta's telemetry_folded, in one transaction, then empties the journal.
bool Store::refold_journal() {
  if (!journal_) return true;
  if (!exec("BEGIN IMMEDIATE")) {
    last_error_ = std::string("cannot begin: ") + sqlite3_errmsg(db_);
    return false;
  }
  std::int64_t folded = folded_sequence(), newest = folded;
  bool ok = true;
  bool read = journal_->replay([&](const JournalRecord& r) {
    if (!ok || r.sequence <= folded) return;
    Stmt s(db_, "INSERT OR REPLACE INTO telemetry(sequence, device_id, enqueued_ms, event, payload) VALUES(?,?,?,?,?)");
    s.bind_static(2, r.device_id).bind(3, r.enqueued_ms).bind_static(4, r.event).bind(1, r.sequence);
    if (r.has_payload) s.bind_blob_static(5, r.payload);
    ok = s.run();
    newest = std::max(newest, r.sequence);
  });
  Stmt m(db_, "UPDATE meta SET value = ? WHERE key = 'telemetry_folded'");
  ok = ok && read && m.bind(1, newest).run();
  if (!ok || !exec("COMMIT")) {
    last_error_ = read ? std::string("cannot fold the telemetry journal: ") + sqlite3_errmsg(db_) : journal_->error();
    exec("ROLLBACK");
    return false;
  }
  last_sequence_ = std::max(last_sequence_, newest);
  if (!journal_->reset()) last_error_ = journal_->error();
  return true;
}

namespace {
DeviceRecord read_device(Stmt& s) {
  DeviceRecord d;
  d.device_id = s.text(0);
  d.status = s.text(1);
  d.primary_key = s.text(2);
  d.secondary_key = s.text(3);
  d.created_ms = s.integer(4);
  d.last_activity_ms = s.integer(5);
  d.auth = parse_device_auth(s.text(6)).value_or(DeviceAuth::sas);
  d.primary_thumbprint = s.text(7);
  d.secondary_thumbprint = s.text(8);
  return d;
}
constexpr const char* kDeviceColumns =
    "SELECT device_id, status, primary_key, secondary_key, created_ms, last_activity_ms, auth_type, "
    "primary_thumbprint, secondary_thumbprint FROM devices";
}  // namespace

std::optional<DeviceRecord> Store::find_device(const std::string& device_id) {
  Stmt s(db_, std::string(kDeviceColumns) + " WHERE device_id = ?");
  s.bind(1, device_id);
  if (!s.step()) return std::nullopt;
  return read_device(s);
}

std::vector<DeviceRecord> Store::list_devices() {
  Stmt s(db_, std::string(kDeviceColumns) + " ORDER BY device_id");
  std::vector<DeviceRecord> out;
  while (s.step()) out.push_back(read_device(s));
  return out;
}

Result<bool> Store::insert_device(const DeviceRecord& d) {
  WriteScope scope(*this);
  Stmt s(db_,
         "INSERT OR IGNORE INTO devices(device_id, status, primary_key, secondary_key, created_ms, last_activity_ms, "
         "auth_type, primary_thumbprint, secondary_thumbprint) VALUES(?,?,?,?,?,?,?,?,?)");
  s.bind(1, d.device_id).bind(2, d.status).bind(3, d.primary_key).bind(4, d.secondary_key);
  s.bind(5, d.created_ms).bind(6, d.last_activity_ms);
  s.bind(7, to_string(d.auth)).bind(8, d.primary_thumbprint).bind(9, d.secondary_thumbprint);
  if (!s.run()) return failed("cannot insert device");
  return sqlite3_changes(db_) == 1;
}

Result<bool> Store::set_device_status(const std::string& device_id, const std::string& status) {
  WriteScope scope(*this);
  Stmt s(db_, "UPDATE devices SET status = ? WHERE device_id = ?");
  s.bind(1, status).bind(2, device_id);
  if (!s.run()) return failed("cannot update device");
  return sqlite3_changes(db_) == 1;
}

Result<bool> Store::delete_device(const std::string& device_id) {
  WriteScope scope(*this);  // the three deletes land in the same transaction
  Stmt s(db_, "DELETE FROM devices WHERE device_id = ?");
  s.bind(1, device_id);
  if (!s.run()) return failed("cannot delete device");
  bool found = sqlite3_changes(db_) == 1;
  Stmt t(db_, "DELETE FROM twins WHERE device_id = ?");
  if (!t.bind(1, device_id).run()) return failed("cannot delete twin");
  Stmt c(db_, "DELETE FROM c2d WHERE device_id = ?");
  if (!c.bind(1, device_id).run()) return failed("cannot delete C2D queue");
  // Module twins are keyed "device/module": compare the prefix exactly (LIKE would treat _ and % as wildcards).
  Stmt mt(db_, "DELETE FROM twins WHERE substr(device_id, 1, length(?1) + 1) = ?1 || '/'");
  if (!mt.bind(1, device_id).run()) return failed("cannot delete module twins");
  Stmt m(db_, "DELETE FROM modules WHERE device_id = ?");
  if (!m.bind(1, device_id).run()) return failed("cannot delete modules");
  Stmt p(db_, "DELETE FROM sessions WHERE client_id = ? OR substr(client_id, 1, length(?) + 1) = ? || '/'");
  if (!p.bind(1, device_id).bind(2, device_id).bind(3, device_id).run()) return failed("cannot delete sessions");
  return found;
}

std::vector<CaCertificateRecord> Store::list_ca_certificates() {
  Stmt s(db_, "SELECT name, pem, subject, thumbprint, not_after_ms, created_ms FROM ca_certificates ORDER BY name");
  std::vector<CaCertificateRecord> out;
  while (s.step()) {
    out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.integer(4), s.integer(5)});
  }
  return out;
}

Result<bool> Store::insert_ca_certificate(const CaCertificateRecord& ca) {
  WriteScope scope(*this);
  Stmt s(db_,
         "INSERT OR IGNORE INTO ca_certificates(name, pem, subject, thumbprint, not_after_ms, created_ms) "
         "VALUES(?,?,?,?,?,?)");
  s.bind(1, ca.name).bind(2, ca.pem).bind(3, ca.subject).bind(4, ca.thumbprint);
  s.bind(5, ca.not_after_ms).bind(6, ca.created_ms);
  if (!s.run()) return failed("cannot insert CA certificate");
  return sqlite3_changes(db_) == 1;
}

Result<bool> Store::delete_ca_certificate(const std::string& name) {
  WriteScope scope(*this);
  Stmt s(db_, "DELETE FROM ca_certificates WHERE name = ?");
  if (!s.bind(1, name).run()) return failed("cannot delete CA certificate");
  return sqlite3_changes(db_) == 1;
}

namespace {
constexpr const char* kModuleColumns =
    "SELECT device_id, module_id, primary_key, secondary_key, created_ms FROM modules";
ModuleRecord read_module(Stmt& s) {
  ModuleRecord m;
  m.device_id = s.text(0);
  m.module_id = s.text(1);
  m.primary_key = s.text(2);
  m.secondary_key = s.text(3);
  m.created_ms = s.integer(4);
  return m;
}
}  // namespace

std::optional<ModuleRecord> Store::find_module(const std::string& device_id, const std::string& module_id) {
  Stmt s(db_, std::string(kModuleColumns) + " WHERE device_id = ? AND module_id = ?");
  s.bind(1, device_id).bind(2, module_id);
  if (!s.step()) return std::nullopt;
  return read_module(s);
}

std::vector<ModuleRecord> Store::list_modules(const std::string& device_id) {
  Stmt s(db_, std::string(kModuleColumns) + " WHERE device_id = ? ORDER BY module_id");
  s.bind(1, device_id);
  std::vector<ModuleRecord> out;
  while (s.step()) out.push_back(read_module(s));
  return out;
}

Result<bool> Store::insert_module(const ModuleRecord& m) {
  WriteScope scope(*this);
  Stmt s(db_,
         "INSERT OR IGNORE INTO modules(device_id, module_id, primary_key, secondary_key, created_ms) "
         "VALUES(?,?,?,?,?)");
  s.bind(1, m.device_id).bind(2, m.module_id).bind(3, m.primary_key).bind(4, m.secondary_key).bind(5, m.created_ms);
  if (!s.run()) return failed("cannot insert module");
  return sqlite3_changes(db_) == 1;
}

Result<bool> Store::delete_module(const std::string& device_id, const std::string& module_id) {
  WriteScope scope(*this);
  Stmt s(db_, "DELETE FROM modules WHERE device_id = ? AND module_id = ?");
  s.bind(1, device_id).bind(2, module_id);
  if (!s.run()) return failed("cannot delete module");
  bool found = sqlite3_changes(db_) == 1;
  Stmt t(db_, "DELETE FROM twins WHERE device_id = ?");
  if (!t.bind(1, identity_key(device_id, module_id)).run()) return failed("cannot delete module twin");
  return found;
}

Result<void> Store::touch_device(const std::string& device_id, std::int64_t now_ms) {
  WriteScope scope(*this);
  Stmt s(db_, "UPDATE devices SET last_activity_ms = ? WHERE device_id = ?");
  if (!s.bind(1, now_ms).bind(2, device_id).run()) return failed("cannot update lastActivityTime");
  return {};
}

TwinRecord Store::load_twin(const std::string& device_id) {
  Stmt s(db_,
         "SELECT desired, reported, desired_version, reported_version, model_id, tags, tags_version FROM twins "
         "WHERE device_id = ?");
  s.bind(1, device_id);
  TwinRecord twin;
  twin.device_id = device_id;
  if (s.step()) {
    twin.desired_json = s.text(0);
    twin.reported_json = s.text(1);
    twin.desired_version = s.integer(2);
    twin.reported_version = s.integer(3);
    twin.model_id = s.text(4);
    twin.tags_json = s.text(5);
    twin.tags_version = s.integer(6);
  }
  return twin;
}

Result<void> Store::save_twin(const TwinRecord& twin) {
  WriteScope scope(*this);
  Stmt s(db_,
         "INSERT INTO twins(device_id, desired, reported, desired_version, reported_version, model_id, tags, "
         "tags_version) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET desired = excluded.desired, "
         "reported = excluded.reported, desired_version = excluded.desired_version, "
         "reported_version = excluded.reported_version, model_id = excluded.model_id, tags = excluded.tags, "
         "tags_version = excluded.tags_version");
  s.bind(1, twin.device_id).bind(2, twin.desired_json).bind(3, twin.reported_json);
  s.bind(4, twin.desired_version).bind(5, twin.reported_version).bind(6, twin.model_id);
  s.bind(7, twin.tags_json).bind(8, twin.tags_version);
  if (!s.run()) return failed("cannot save twin");
  return {};
}

std::int64_t Store::c2d_depth(const std::string& device_id) {
  Stmt s(db_, "SELECT COUNT(*) FROM c2d WHERE device_id = ?");
  s.bind(1, device_id);
  return s.step() ? s.integer(0) : 0;
}

Result<std::int64_t> Store::c2d_enqueue(const C2dRecord& m) {
  WriteScope scope(*this);
  Stmt s(db_, "INSERT INTO c2d(device_id, message_id, topic_bag, payload, enqueued_ms, expiry_ms) VALUES(?,?,?,?,?,?)");
  s.bind(1, m.device_id).bind(2, m.message_id).bind(3, m.topic_bag).bind_blob(4, m.payload);
  s.bind(5, m.enqueued_ms).bind(6, m.expiry_ms);
  if (!s.run()) return failed("cannot queue C2D message");
  return sqlite3_last_insert_rowid(db_);
}

std::vector<C2dRecord> Store::c2d_pending(const std::string& device_id, int limit) {
  Stmt s(db_,
         "SELECT seq, device_id, message_id, topic_bag, payload, enqueued_ms, expiry_ms, delivery_count FROM c2d "
         "WHERE device_id = ? ORDER BY seq LIMIT ?");
  s.bind(1, device_id).bind(2, static_cast<std::int64_t>(limit));
  std::vector<C2dRecord> out;
  while (s.step()) {
    C2dRecord m;
    m.seq = s.integer(0);
    m.device_id = s.text(1);
    m.message_id = s.text(2);
    m.topic_bag = s.text(3);
    m.payload = s.text(4);
    m.enqueued_ms = s.integer(5);
    m.expiry_ms = s.integer(6);
    m.delivery_count = s.integer(7);
    out.push_back(std::move(m));
  }
  return out;
}

Result<void> Store::c2d_remove(std::int64_t seq) {
  WriteScope scope(*this);
  Stmt s(db_, "DELETE FROM c2d WHERE seq = ?");
  if (!s.bind(1, seq).run()) return failed("cannot remove C2D message");
  return {};
}

Result<std::int64_t> Store::c2d_drop_expired(std::int64_t now_ms) {
  WriteScope scope(*this);
  Stmt s(db_, "DELETE FROM c2d WHERE expiry_ms <= ?");
  if (!s.bind(1, now_ms).run()) return failed("cannot drop expired C2D messages");
  return sqlite3_changes(db_);
}

void Store::c2d_count_delivery(std::int64_t seq) {
  WriteScope scope(*this);
  Stmt s(db_, "UPDATE c2d SET delivery_count = delivery_count + 1 WHERE seq = ?");
  s.bind(1, seq).run();
}

std::vector<C2dRecord> Store::c2d_expired_with_feedback(std::int64_t now_ms) {
  Stmt s(db_,
         "SELECT seq, device_id, message_id, topic_bag FROM c2d WHERE expiry_ms <= ? AND "
         "(topic_bag LIKE '%iothub-ack=negative%' OR topic_bag LIKE '%iothub-ack=full%')");
  s.bind(1, now_ms);
  std::vector<C2dRecord> out;
  while (s.step()) {
    C2dRecord m;
    m.seq = s.integer(0);
    m.device_id = s.text(1);
    m.message_id = s.text(2);
    m.topic_bag = s.text(3);
    out.push_back(std::move(m));
  }
  return out;
}

void Store::feedback_append(const FeedbackRecord& r) {
  WriteScope scope(*this);
  Stmt s(db_, "INSERT INTO c2d_feedback(device_id, message_id, status, description, enqueued_ms) VALUES(?,?,?,?,?)");
  s.bind(1, r.device_id).bind(2, r.message_id).bind(3, r.status).bind(4, r.description).bind(5, r.enqueued_ms).run();
}

std::vector<FeedbackRecord> Store::feedback_take(int limit) {
  Stmt s(db_,
         "SELECT id, device_id, message_id, status, description, enqueued_ms FROM c2d_feedback ORDER BY id LIMIT ?");
  s.bind(1, static_cast<std::int64_t>(limit));
  std::vector<FeedbackRecord> out;
  std::int64_t last = 0;
  while (s.step()) {
    last = s.integer(0);
    out.push_back({s.text(1), s.text(2), s.text(3), s.text(4), s.integer(5)});
  }
  if (!out.empty()) {
    WriteScope scope(*this);
    Stmt d(db_, "DELETE FROM c2d_feedback WHERE id <= ?");
    d.bind(1, last).run();
  }
  return out;
}

std::optional<SessionRecord> Store::load_session(const std::string& client_id) {
  Stmt s(db_, "SELECT filters, c2d_qos FROM sessions WHERE client_id = ?");
  s.bind(1, client_id);
  if (!s.step()) return std::nullopt;
  SessionRecord r;
  r.client_id = client_id;
  std::string filters = s.text(0);
  for (std::size_t at = 0; at < filters.size();) {  // one filter per line (a filter never holds a newline here)
    std::size_t end = filters.find('\n', at);
    if (end == std::string::npos) end = filters.size();
    if (end > at) r.filters.push_back(filters.substr(at, end - at));
    at = end + 1;
  }
  r.c2d_qos = static_cast<int>(s.integer(1));
  return r;
}

void Store::save_session(const SessionRecord& session) {
  std::string filters;
  for (auto& f : session.filters) filters += f + "\n";
  WriteScope scope(*this);
  Stmt s(db_,
         "INSERT INTO sessions(client_id, filters, c2d_qos) VALUES(?,?,?) ON CONFLICT(client_id) DO UPDATE SET "
         "filters = excluded.filters, c2d_qos = excluded.c2d_qos");
  s.bind(1, session.client_id).bind(2, filters).bind(3, static_cast<std::int64_t>(session.c2d_qos)).run();
}

void Store::delete_session(const std::string& client_id) {
  WriteScope scope(*this);
  Stmt s(db_, "DELETE FROM sessions WHERE client_id = ?");
  s.bind(1, client_id).run();
}

std::int64_t Store::next_telemetry_sequence() { return last_sequence_ + 1; }

Result<void> Store::telemetry_append(const TelemetryRecord& r, std::int64_t keep) {
  // No payload to split off: the row keeps the whole event (as schema 0 rows do).
  return append_row(r.sequence, r.device_id, r.enqueued_ms, std::nullopt, r.event_json, keep);
}

Result<void> Store::telemetry_append(std::int64_t sequence, std::string_view device_id, std::int64_t enqueued_ms,
                                     std::string_view payload, std::string_view event_json, std::int64_t keep) {
  std::string_view suffix = telemetry_event_suffix(event_json);
  if (suffix.empty()) return append_row(sequence, device_id, enqueued_ms, std::nullopt, event_json, keep);
  return append_row(sequence, device_id, enqueued_ms, payload, suffix, keep);
}

Result<void> Store::telemetry_append_parts(std::int64_t sequence, std::string_view device_id, std::int64_t enqueued_ms,
                                           std::string_view payload, std::string_view event, std::int64_t keep) {
  return append_row(sequence, device_id, enqueued_ms, payload, event, keep);
}

Result<void> Store::append_row(std::int64_t sequence, std::string_view device_id, std::int64_t enqueued_ms,
                               std::optional<std::string_view> payload, std::string_view event, std::int64_t keep) {
  if (journal_) {
    JournalRecord record{sequence, enqueued_ms, device_id, payload.has_value(), payload.value_or(""), event};
    if (!journal_->append(record)) {
      last_error_ = journal_->error();
      return fail(Errc::io_failure, "telemetry journal write failed");
    }
  }
  last_sequence_ = std::max(last_sequence_, sequence);
  if (fold_failed_) return {};  // durable in the journal; retry_fold() brings it into SQLite
  WriteScope scope(*this);
  {
    if (insert_telemetry_ == nullptr) {
      insert_telemetry_ = Stmt::prepared(
          db_, "INSERT INTO telemetry(sequence, device_id, enqueued_ms, event, payload) VALUES(?,?,?,?,?)");
    }
    Stmt s(insert_telemetry_);
    s.bind(1, sequence).bind_static(2, device_id).bind(3, enqueued_ms).bind_static(4, event);
    if (payload) s.bind_blob_static(5, *payload);
    if (!s.run()) {
      auto error = failed("cannot insert telemetry");
      fold_failed_ = true;  // this row (at least) is only in the journal now
      if (!journal_) return error;
      return {};
    }
    telemetry_in_batch_ = true;
  }
  // Trim in batches: cheap, and the log never exceeds keep + 1% rows.
  std::int64_t slack = std::max<std::int64_t>(1, keep / 100);
  if (sequence % slack == 0) {
    Stmt d(db_, "DELETE FROM telemetry WHERE sequence <= ?");
    if (!d.bind(1, last_sequence_ - keep).run()) {
      auto error = failed("cannot trim telemetry");  // the message itself is safe: trimming is retried later
      if (!journal_) return error;
    }
  }
  return {};
}

Result<std::int64_t> Store::enforce_retention(std::int64_t now_ms, const RetentionPolicy& policy) {
  WriteScope scope(*this);
  Stmt old(db_, "DELETE FROM telemetry WHERE enqueued_ms < ?");
  if (!old.bind(1, now_ms - policy.max_age_ms).run()) return failed("cannot delete old telemetry");
  std::int64_t deleted = sqlite3_changes(db_);
  auto pragma = [&](const char* sql) {
    Stmt p(db_, sql);
    return p.step() ? p.integer(0) : 0;
  };
  // Used pages (freed ones are reused, so the file stops growing near the limit). Each round drops the oldest
  // twentieth of the log; a few rounds at most.
  for (int round = 0; round < 20; ++round) {
    auto used = static_cast<std::uint64_t>(pragma("PRAGMA page_count") - pragma("PRAGMA freelist_count")) *
                static_cast<std::uint64_t>(pragma("PRAGMA page_size"));
    if (used <= policy.max_bytes) break;  // the usual case: no COUNT(*) over the log
    std::int64_t rows = telemetry_count();
    if (rows == 0) break;
    Stmt d(db_,
           "DELETE FROM telemetry WHERE sequence <= (SELECT sequence FROM telemetry ORDER BY sequence LIMIT 1 "
           "OFFSET ?)");
    if (!d.bind(1, std::max<std::int64_t>(0, rows / 20)).run()) return failed("cannot trim telemetry");
    deleted += sqlite3_changes(db_);
  }
  return deleted;
}

namespace {
std::vector<TelemetryRecord> read_telemetry_rows(Stmt& s);
}  // namespace

std::vector<TelemetryRecord> Store::telemetry_first(const std::string& device_pattern, std::int64_t since_ms,
                                                    std::int64_t after_sequence, int limit) {
  Stmt s(
      db_,
      "SELECT sequence, device_id, enqueued_ms, event, payload FROM telemetry WHERE (? = '' OR device_id GLOB ?) AND "
      "enqueued_ms >= ? AND sequence > ? ORDER BY sequence ASC LIMIT ?");
  s.bind(1, device_pattern).bind(2, device_pattern).bind(3, since_ms).bind(4, after_sequence);
  s.bind(5, static_cast<std::int64_t>(limit));
  return read_telemetry_rows(s);
}

std::vector<TelemetryRecord> Store::telemetry_query(const std::string& device_pattern, std::int64_t since_ms,
                                                    int limit) {
  Stmt s(
      db_,
      "SELECT sequence, device_id, enqueued_ms, event, payload FROM telemetry WHERE (? = '' OR device_id GLOB ?) AND "
      "enqueued_ms >= ? ORDER BY sequence DESC LIMIT ?");
  s.bind(1, device_pattern).bind(2, device_pattern).bind(3, since_ms).bind(4, static_cast<std::int64_t>(limit));
  auto out = read_telemetry_rows(s);
  std::reverse(out.begin(), out.end());  // oldest first
  return out;
}

namespace {
std::vector<TelemetryRecord> read_telemetry_rows(Stmt& s) {
  std::vector<TelemetryRecord> out;
  while (s.step()) {
    TelemetryRecord r;
    r.sequence = s.integer(0);
    r.device_id = s.text(1);
    r.enqueued_ms = s.integer(2);
    std::string event = s.text(3);
    TelemetryEventInput in;
    if (s.is_null(4)) {
      r.event_json = std::move(event);                // a whole event (schema 0 row, or not a hub-built event)
    } else if (decode_telemetry_fields(event, in)) {  // rendered now, as the hub would have written it
      const std::string payload = s.text(4);
      in.sequence = r.sequence;
      in.device_id = r.device_id;
      in.enqueued_ms = r.enqueued_ms;
      in.payload = payload;
      write_telemetry_event(in, r.event_json);
    } else {  // the event after its body fields (rows written before the fields form)
      append_event_body_fields(r.event_json, s.text(4));
      r.event_json += event;
    }
    out.push_back(std::move(r));
  }
  return out;
}
}  // namespace

std::int64_t Store::telemetry_count() {
  Stmt s(db_, "SELECT COUNT(*) FROM telemetry");
  return s.step() ? s.integer(0) : 0;
}

}  // namespace picohub::hub
