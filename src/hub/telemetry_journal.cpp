#include "hub/telemetry_journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace picohub::hub {

namespace {

constexpr std::uint32_t kMagic = 0x314a4850;  // "PHJ1"
constexpr std::size_t kHeader = 12;
constexpr std::size_t kFixedBody = 24;
constexpr std::uint32_t kNoPayload = 0xFFFFFFFFu;

template <class T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::string errno_text(const char* what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

}  // namespace

// zlib's CRC-32 (the common polynomial): several times faster than a byte-wise table on 256 KB bodies.
std::uint32_t crc32(std::uint32_t crc, const void* data, std::size_t size) {
  if (size == 0) return crc;  // zlib treats a null buffer as "give me the initial value"
  return static_cast<std::uint32_t>(::crc32_z(crc, static_cast<const Bytef*>(data), size));
}

std::unique_ptr<TelemetryJournal> TelemetryJournal::open(const std::string& path, bool fsync, unsigned mode,
                                                         std::string& error) {
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, static_cast<mode_t>(mode));
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0) {
    error = errno_text("cannot open", path);
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  if (st.st_size == 0) (void)fchmod(fd, static_cast<mode_t>(mode));  // new: the umask does not decide
  return std::unique_ptr<TelemetryJournal>(
      new TelemetryJournal(fd, path, fsync, static_cast<std::uint64_t>(st.st_size)));
}

TelemetryJournal::TelemetryJournal(int fd, std::string path, bool fsync, std::uint64_t size)
    : fd_(fd), path_(std::move(path)), fsync_(fsync), size_(size) {}

TelemetryJournal::~TelemetryJournal() { ::close(fd_); }

bool TelemetryJournal::append(const JournalRecord& r) {
  auto dev_len = static_cast<std::uint32_t>(r.device_id.size());
  std::string_view payload = r.has_payload ? r.payload : std::string_view();
  std::uint32_t payload_len = r.has_payload ? static_cast<std::uint32_t>(payload.size()) : kNoPayload;
  char fixed[kHeader + kFixedBody];
  std::memcpy(fixed + 12, &r.sequence, 8);
  std::memcpy(fixed + 20, &r.enqueued_ms, 8);
  std::memcpy(fixed + 28, &dev_len, 4);
  std::memcpy(fixed + 32, &payload_len, 4);
  auto body_len = static_cast<std::uint32_t>(kFixedBody + r.device_id.size() + payload.size() + r.event.size());
  std::uint32_t crc = crc32(0, fixed + kHeader, kFixedBody);
  crc = crc32(crc, r.device_id.data(), r.device_id.size());
  crc = crc32(crc, payload.data(), payload.size());
  crc = crc32(crc, r.event.data(), r.event.size());
  std::memcpy(fixed, &kMagic, 4);
  std::memcpy(fixed + 4, &body_len, 4);
  std::memcpy(fixed + 8, &crc, 4);
  if (grouped_) {  // written by sync(), before the PUBACK
    kept_.append(fixed, sizeof fixed).append(r.device_id).append(payload).append(r.event);
    unsynced_ = true;
    return true;
  }
  iovec parts[4] = {{fixed, sizeof fixed},
                    {const_cast<char*>(r.device_id.data()), r.device_id.size()},
                    {const_cast<char*>(payload.data()), payload.size()},
                    {const_cast<char*>(r.event.data()), r.event.size()}};
  if (!write_all(parts, 4, kHeader + body_len)) return false;
  if (fsync_ && (datasync_ ? datasync_(fd_) : fdatasync(fd_)) != 0) {
    error_ = errno_text("cannot fdatasync", path_);
    return false;  // written, maybe not on the platter: report it, the sender retries (at least once)
  }
  return true;
}

bool TelemetryJournal::write_all(const iovec* parts, int count, std::size_t total) {
  ssize_t n = ::writev(fd_, parts, count);
  if (n != static_cast<ssize_t>(total)) {
    error_ = n < 0 ? errno_text("cannot write", path_) : "short write to " + path_ + " (disk full?)";
    if (n > 0 && ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      error_ += "; the partial record could not be cut off";
    }
    return false;
  }
  size_ += total;
  return true;
}

// The records kept since the last sync(), in one write. On failure they are gone (never acknowledged: the next
// sync() fails).
bool TelemetryJournal::write_kept() {
  if (kept_.empty()) return true;
  iovec all{kept_.data(), kept_.size()};
  const bool ok = write_all(&all, 1, kept_.size());
  kept_.clear();  // keeps its capacity: no allocation per loop iteration
  if (!ok) kept_lost_ = true;
  return ok;
}

void TelemetryJournal::set_grouped_sync(bool on) {
  if (!on) (void)write_kept();
  grouped_ = on;
}

bool TelemetryJournal::sync() {
  if (!unsynced_) return true;
  const bool written = write_kept() && !kept_lost_;
  kept_lost_ = false;
  if (!written) {
    unsynced_ = false;  // nothing of this iteration reached the file: none of it may be acknowledged
    return false;
  }
  if (fsync_ && (datasync_ ? datasync_(fd_) : fdatasync(fd_)) != 0) {
    error_ = errno_text("cannot fdatasync", path_);
    return false;  // stays unsynced: nothing held may be acknowledged
  }
  unsynced_ = false;
  return true;
}

bool TelemetryJournal::reset() {
  if (!write_kept()) return false;  // kept records are committed with the rest: written, then cut with them
  if (ftruncate(fd_, 0) != 0) {
    error_ = errno_text("cannot truncate", path_);
    return false;
  }
  size_ = 0;
  return true;
}

bool TelemetryJournal::replay(const std::function<void(const JournalRecord&)>& visit) {
  if (!write_kept()) return false;  // a replay that folds records must see every one appended so far
  std::string data;
  data.resize(static_cast<std::size_t>(size_));
  std::size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::pread(fd_, data.data() + got, data.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = errno_text("cannot read", path_);
      return false;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  data.resize(got);
  std::size_t at = 0;
  while (data.size() - at >= kHeader + kFixedBody) {
    const char* h = data.data() + at;
    auto body_len = load<std::uint32_t>(h + 4);
    if (load<std::uint32_t>(h) != kMagic || body_len < kFixedBody || data.size() - at - kHeader < body_len) break;
    const char* b = h + kHeader;
    if (crc32(0, b, body_len) != load<std::uint32_t>(h + 8)) break;
    auto dev_len = load<std::uint32_t>(b + 16);
    auto payload_len = load<std::uint32_t>(b + 20);
    bool has_payload = payload_len != kNoPayload;
    if (!has_payload) payload_len = 0;
    if (std::uint64_t{dev_len} + payload_len > body_len - kFixedBody) break;
    JournalRecord r;
    r.sequence = load<std::int64_t>(b);
    r.enqueued_ms = load<std::int64_t>(b + 8);
    r.has_payload = has_payload;
    r.device_id = std::string_view(b + kFixedBody, dev_len);
    r.payload = std::string_view(b + kFixedBody + dev_len, payload_len);
    r.event = std::string_view(b + kFixedBody + dev_len + payload_len, body_len - kFixedBody - dev_len - payload_len);
    visit(r);
    at += kHeader + body_len;
  }
  // A torn tail (the broker died inside a write, so it was never acknowledged) is cut off: records appended
  // after it would otherwise be unreachable by the next replay.
  if (at < size_) {
    if (ftruncate(fd_, static_cast<off_t>(at)) != 0) {
      error_ = errno_text("cannot cut the torn tail of", path_);
      return false;
    }
    size_ = at;
  }
  return true;
}

}  // namespace picohub::hub
