#include "hub/wal_checkpointer.hpp"

namespace picohub::hub {

std::unique_ptr<WalCheckpointer> WalCheckpointer::start(sqlite3* db, const std::string& path, int pages,
                                                        std::string& error) {
  sqlite3* own = nullptr;
  if (sqlite3_open_v2(path.c_str(), &own, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    error = std::string("cannot open a checkpoint connection: ") + (own ? sqlite3_errmsg(own) : "out of memory");
    sqlite3_close(own);
    return nullptr;
  }
  return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(db, own, pages));
}

WalCheckpointer::WalCheckpointer(sqlite3* db, sqlite3* own, int pages) : db_(db), own_(own), pages_(pages) {
  thread_ = std::thread([this] { run(); });
  sqlite3_wal_hook(db_, &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_autocheckpoint(db_, 1000);  // replaces our hook with SQLite's own
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_close(own_);
}

int WalCheckpointer::checkpoints() const {
  std::lock_guard lock(mutex_);
  return done_;
}

int WalCheckpointer::on_commit(void* self, sqlite3*, const char*, int frames) {
  auto* c = static_cast<WalCheckpointer*>(self);
  if (frames >= c->pages_) {
    {
      std::lock_guard lock(c->mutex_);
      c->requested_ = true;
    }
    c->wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return requested_ || stop_; });
    if (stop_) return;
    requested_ = false;
    lock.unlock();
    // PASSIVE: copies the frames no reader needs without waiting for locks; a busy moment is retried at the
    // next signal. Errors change nothing durable (the WAL keeps the data), so they are not reported.
    (void)sqlite3_wal_checkpoint_v2(own_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    ++done_;
  }
}

}  // namespace picohub::hub
