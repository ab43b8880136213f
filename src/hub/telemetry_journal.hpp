// An append-only file of telemetry records: the hub's durability point for device telemetry. mosquitto 2.0.11
// writes a QoS 1 PUBACK to the socket right after the MESSAGE callback returns, so a message is acknowledged
// only if its record was written (one writev(), i.e. the kernel has it: survives kill -9 of the broker) inside
// that callback. SQLite gets the rows in batches later (Store folds them per broker loop) and the journal is
// cut back once they are committed. See docs/hub-durability.md.
//
// Record: u32 magic, u32 body length, u32 CRC-32 of the body, then the body
//   i64 sequence, i64 enqueued_ms, u32 device id length, u32 payload length (all ones: no payload), device id,
//   payload, event text (the columns of the telemetry row)
// in host byte order (the file never leaves the machine that wrote it). A torn or corrupt record ends a replay:
// it was never acknowledged (the write had not returned).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

struct iovec;

namespace picohub::hub {

struct JournalRecord {
  std::int64_t sequence = 0;
  std::int64_t enqueued_ms = 0;
  std::string_view device_id;
  bool has_payload = true;  // false: `event` is a whole event (written without the body split)
  std::string_view payload;
  std::string_view event;  // the row's event column: telemetry fields, the JSON after its body fields, or whole
};

class TelemetryJournal {
 public:
  // Creates the file (mode `mode`) if needed. fsync=true adds an fdatasync per record (power loss).
  static std::unique_ptr<TelemetryJournal> open(const std::string& path, bool fsync, unsigned mode, std::string& error);
  ~TelemetryJournal();
  TelemetryJournal(const TelemetryJournal&) = delete;
  TelemetryJournal& operator=(const TelemetryJournal&) = delete;

  // One writev(). false + error() when the record is not wholly written (a partial record is cut off again).
  // Grouped: the record is kept in memory until sync().
  [[nodiscard]] bool append(const JournalRecord& record);
  // Grouped (a broker that holds PUBACKs until the end of its loop iteration): append() only keeps the record;
  // sync() writes every record kept so far with one write() (and, in fsync mode, one fdatasync), and only then
  // may their PUBACKs leave. Acknowledged still means "in the kernel" (kill -9) or "on the disk" (fsync).
  void set_grouped_sync(bool on);
  bool grouped_sync() const { return grouped_; }
  bool unsynced() const { return unsynced_; }
  [[nodiscard]] bool sync();
  // Tests count syncs with a fake; nullptr = fdatasync.
  using DataSync = int (*)(int fd);
  void set_datasync(DataSync f) { datasync_ = f; }
  // Empties the file (every record is committed in SQLite). Records kept for sync() are written first.
  [[nodiscard]] bool reset();
  // Calls `visit` for each intact record, oldest first; stops at the first torn or corrupt one and cuts the file
  // there. Returns false (+ error()) when the file cannot be read or cut. Records kept for sync() are written first.
  [[nodiscard]] bool replay(const std::function<void(const JournalRecord&)>& visit);

  std::uint64_t size() const { return size_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  TelemetryJournal(int fd, std::string path, bool fsync, std::uint64_t size);
  bool write_all(const iovec* parts, int count, std::size_t total);
  bool write_kept();
  int fd_;
  std::string path_;
  bool fsync_;
  bool grouped_ = false;
  bool unsynced_ = false;
  DataSync datasync_ = nullptr;
  std::uint64_t size_;      // of the file: records kept for sync() are not in it yet
  std::string kept_;        // grouped: whole records, appended since the last sync()
  bool kept_lost_ = false;  // kept records could not be written: the next sync() must fail
  std::string error_;
};

std::uint32_t crc32(std::uint32_t crc, const void* data, std::size_t size);

}  // namespace picohub::hub
