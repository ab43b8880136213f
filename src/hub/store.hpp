// The hub's durable state in SQLite (WAL, synchronous=NORMAL: committed rows survive kill -9 of the broker):
// device registry, twins, C2D queues and the telemetry log. One connection, used from the broker thread only.
// Telemetry is durable once in the TelemetryJournal beside state.db; rows reach SQLite in batches (flush()).
// Every write returns a Result: a caller answers a device or service only after its write (and, for anything
// but telemetry, the commit: flush()) succeeded. last_error() says what went wrong. docs/hub-durability.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "hub/telemetry_journal.hpp"
#include "hub/x509_identity.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace picohub::hub {

class WalCheckpointer;

struct DeviceRecord {
  std::string device_id;
  std::string status = "enabled";  // "enabled" | "disabled"
  std::string primary_key;         // base64; empty for an X.509 device
  std::string secondary_key;       // base64; empty for an X.509 device
  std::int64_t created_ms = 0;
  std::int64_t last_activity_ms = 0;
  DeviceAuth auth = DeviceAuth::sas;  // schema 6
  std::string primary_thumbprint{};   // selfSigned: normalized hex (normalize_thumbprint)
  std::string secondary_thumbprint{};
};

// A CA certificate registered with the hub (`picohub ca add`): CA-signed devices chain to one of these.
struct CaCertificateRecord {
  std::string name;
  std::string pem;
  std::string subject;
  std::string thumbprint;  // SHA-1, upper-case hex (what IoT Hub shows)
  std::int64_t not_after_ms = 0;
  std::int64_t created_ms = 0;
};

// A module identity (`az iot hub module-identity`): its own keys under a registered device.
struct ModuleRecord {
  std::string device_id;
  std::string module_id;
  std::string primary_key;    // base64
  std::string secondary_key;  // base64
  std::int64_t created_ms = 0;
};

// A module's twin is stored under "deviceId/moduleId" (a device id never holds '/').
inline std::string identity_key(const std::string& device_id, const std::string& module_id) {
  return module_id.empty() ? device_id : device_id + "/" + module_id;
}

struct TwinRecord {
  std::string device_id;            // identity_key(): the device, or "device/module" for a module twin
  std::string desired_json = "{}";  // section members + "$metadata"; no "$version"
  std::string reported_json = "{}";
  std::int64_t desired_version = 1;
  std::int64_t reported_version = 1;
  std::string model_id;           // Plug and Play model the identity announced at its last CONNECT (the twin's modelId)
  std::string tags_json = "{}";   // the service's tags: never seen by the device
  std::int64_t tags_version = 0;  // tag patches so far (part of the twin's version and etag)
};

struct C2dRecord {
  std::int64_t seq = 0;  // queue order, assigned by the store
  std::string device_id;
  std::string message_id;
  std::string topic_bag;  // encoded property bag after devicebound/ (built at enqueue time)
  std::string payload;
  std::int64_t enqueued_ms = 0;
  std::int64_t expiry_ms = 0;
  std::int64_t delivery_count = 0;  // times handed to the device (IoT Hub's Enqueued → Invisible transitions)
};

// A C2D feedback record (what IoT Hub's feedback receiver hands the service), for messages sent with
// iothub-ack positive|negative|full.
struct FeedbackRecord {
  std::string device_id;
  std::string message_id;
  std::string status;  // Success | Expired | DeliveryCountExceeded
  std::string description;
  std::int64_t enqueued_ms = 0;  // when the outcome was recorded
};

// What the hub remembers of a device's persistent MQTT session (clean_session=0): its subscription filters and
// the QoS of its C2D subscription, so a restarted hub keeps serving them (mosquitto itself runs without
// persistence: the hub publishes to the client id and needs no broker-side subscription).
struct SessionRecord {
  std::string client_id;
  std::vector<std::string> filters;
  int c2d_qos = 1;
};

struct TelemetryRecord {
  std::int64_t sequence = 0;
  std::string device_id;
  std::int64_t enqueued_ms = 0;
  std::string event_json;  // the live telemetry event, as published
};

struct StoreOptions {
  bool journal = true;        // telemetry journal at <path>.telemetry-journal (never for ":memory:")
  bool fsync = false;         // fdatasync each journal record and synchronous=FULL (survives power loss; slower)
  unsigned file_mode = 0600;  // state.db (SQLite gives -wal/-shm the same mode) and the journal
  std::uint64_t journal_reset_bytes = 1 << 20;            // cut the journal once this big and fully committed
  TelemetryJournal::DataSync journal_datasync = nullptr;  // tests: a fake fdatasync
};

struct RetentionPolicy {
  std::int64_t max_age_ms = 7LL * 24 * 3600 * 1000;  // telemetry older than this is deleted
  std::uint64_t max_bytes = 1ULL << 30;              // state.db's used pages beyond this: oldest telemetry goes
};

inline constexpr int kSchemaVersion = 8;  // PRAGMA user_version; 0 = a state.db from before versioning

class Store {
 public:
  // path ":memory:" gives a private in-memory database (tests). nullptr + error on failure.
  // Creates or upgrades the schema, then folds journal records that SQLite does not have yet.
  static std::unique_ptr<Store> open(const std::string& path, std::string& error, StoreOptions options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Registry
  std::optional<DeviceRecord> find_device(const std::string& device_id);
  std::vector<DeviceRecord> list_devices();
  Result<bool> insert_device(const DeviceRecord& device);                                   // false when the id exists
  Result<bool> set_device_status(const std::string& device_id, const std::string& status);  // false: no such id
  // Also drops its twin, C2D queue, sessions and modules (with their twins).
  Result<bool> delete_device(const std::string& device_id);
  std::optional<ModuleRecord> find_module(const std::string& device_id, const std::string& module_id);
  std::vector<ModuleRecord> list_modules(const std::string& device_id);
  Result<bool> insert_module(const ModuleRecord& module);  // false when the module exists
  Result<bool> delete_module(const std::string& device_id, const std::string& module_id);  // also drops its twin
  Result<void> touch_device(const std::string& device_id, std::int64_t now_ms);

  // Registered CA certificates, by name
  std::vector<CaCertificateRecord> list_ca_certificates();
  Result<bool> insert_ca_certificate(const CaCertificateRecord& ca);  // false when the name exists
  Result<bool> delete_ca_certificate(const std::string& name);        // false when there is none

  // Twin (a missing twin reads as the new-twin default, versions 1)
  TwinRecord load_twin(const std::string& device_id);
  Result<void> save_twin(const TwinRecord& twin);

  // C2D queue
  std::int64_t c2d_depth(const std::string& device_id);
  Result<std::int64_t> c2d_enqueue(const C2dRecord& message);  // returns seq
  std::vector<C2dRecord> c2d_pending(const std::string& device_id, int limit);
  Result<void> c2d_remove(std::int64_t seq);
  Result<std::int64_t> c2d_drop_expired(std::int64_t now_ms);             // returns how many were dropped
  void c2d_count_delivery(std::int64_t seq);                              // delivery_count + 1
  std::vector<C2dRecord> c2d_expired_with_feedback(std::int64_t now_ms);  // expired, ack negative|full

  // C2D feedback, oldest first; take removes what it returns (the service completes the batch)
  void feedback_append(const FeedbackRecord& record);
  std::vector<FeedbackRecord> feedback_take(int limit);

  // Persistent sessions (device client ids only)
  std::optional<SessionRecord> load_session(const std::string& client_id);
  void save_session(const SessionRecord& session);
  void delete_session(const std::string& client_id);

  // Telemetry log, bounded to the newest `keep` rows (and by enforce_retention)
  std::int64_t next_telemetry_sequence();
  Result<void> telemetry_append(const TelemetryRecord& record, std::int64_t keep);
  // The hot path (one per device message): `event_json` is write_telemetry_event()'s text for `payload`. Success
  // means the record is durable (in the journal, or committed when there is none): the message may be acked.
  Result<void> telemetry_append(std::int64_t sequence, std::string_view device_id, std::int64_t enqueued_ms,
                                std::string_view payload, std::string_view event_json, std::int64_t keep);
  // The same row from its parts: `event` is encode_telemetry_fields() text (telemetry_fields.hpp: readers render
  // the event from it) or write_telemetry_event_suffix() text.
  Result<void> telemetry_append_parts(std::int64_t sequence, std::string_view device_id, std::int64_t enqueued_ms,
                                      std::string_view payload, std::string_view event, std::int64_t keep);
  // Grouped sync on (the broker can hold PUBACKs): telemetry_append() only keeps the record and sync_telemetry()
  // writes everything appended with one write() (+ one fdatasync in fsync mode), once per broker loop iteration.
  void set_grouped_sync(bool on);
  bool telemetry_unsynced() const { return journal_ && journal_->unsynced(); }
  Result<void> sync_telemetry();
  // false while journaled telemetry could not be committed to SQLite (disk full, I/O error); flush() retries.
  bool telemetry_healthy() const { return !fold_failed_; }
  // Commits what is pending, then tries again to bring journaled telemetry into SQLite.
  Result<void> retry_fold();
  // Deletes telemetry older than the policy's age, then the oldest rows while the database is over its size.
  Result<std::int64_t> enforce_retention(std::int64_t now_ms, const RetentionPolicy& policy);
  // device_pattern: "" = all, otherwise a glob (*, ?) over the device id
  std::vector<TelemetryRecord> telemetry_query(const std::string& device_pattern, std::int64_t since_ms, int limit);
  // The first `limit` rows after `after_sequence` enqueued at or after since_ms, oldest first (for paging a replay).
  std::vector<TelemetryRecord> telemetry_first(const std::string& device_pattern, std::int64_t since_ms,
                                               std::int64_t after_sequence, int limit);
  std::int64_t telemetry_count();

  // Writes are grouped into one transaction until flush() (the hub calls it after every acknowledged change and
  // at the end of every broker loop iteration), or until 1000 writes accumulate. The destructor flushes.
  // A failed COMMIT is rolled back; telemetry rows lost with it are folded again from the journal later.
  Result<void> flush();

  const std::string& last_error() const { return last_error_; }
  int schema_version();
  sqlite3* handle() { return db_; }  // tests: PRAGMA max_page_count etc.

 private:
  explicit Store(sqlite3* db);
  bool exec(const char* sql);
  tl::unexpected<Error> failed(const char* what);
  bool create_or_upgrade_schema(std::string& error);
  bool refold_journal();
  std::int64_t folded_sequence();
  Result<void> append_row(std::int64_t sequence, std::string_view device_id, std::int64_t enqueued_ms,
                          std::optional<std::string_view> payload, std::string_view event, std::int64_t keep);
  // Opens the batch transaction if needed; counts the write when it goes out of scope.
  class WriteScope {
   public:
    explicit WriteScope(Store& store);
    ~WriteScope();
    WriteScope(const WriteScope&) = delete;
    WriteScope& operator=(const WriteScope&) = delete;

   private:
    Store& store_;
  };
  sqlite3* db_;
  std::unique_ptr<TelemetryJournal> journal_;
  std::unique_ptr<WalCheckpointer> checkpointer_;
  StoreOptions options_;
  std::string last_error_;
  std::int64_t last_sequence_ = 0;
  bool in_transaction_ = false;
  bool telemetry_in_batch_ = false;
  bool fold_failed_ = false;  // journaled telemetry is missing from SQLite until a refold succeeds
  int pending_writes_ = 0;
  sqlite3_stmt* insert_telemetry_ = nullptr;  // one per message: kept (owned by the statement cache)
};

}  // namespace picohub::hub
