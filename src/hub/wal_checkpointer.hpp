// Moves SQLite's WAL checkpoints off the broker thread. With synchronous=NORMAL a checkpoint is the only point
// where state.db is fsynced, and SQLite's automatic checkpoint runs it inside the COMMIT that crossed the
// threshold: a 10-15 ms stall of the broker loop (every PUBACK of that iteration waits) every few thousand
// messages. Here the commit only signals; a helper thread with its own connection runs a PASSIVE checkpoint,
// which never blocks the writer (SQLite copies what no reader still needs and the writer restarts the WAL later).
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace picohub::hub {

class WalCheckpointer {
 public:
  // Takes over `db`'s WAL hook (and so its automatic checkpoint): a commit that leaves `pages` or more frames in
  // the WAL wakes the thread. nullptr + error when the second connection cannot be opened (the caller keeps
  // SQLite's automatic checkpoint then).
  static std::unique_ptr<WalCheckpointer> start(sqlite3* db, const std::string& path, int pages, std::string& error);
  ~WalCheckpointer();  // stops the thread (before `db` is closed) and restores the automatic checkpoint
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Checkpoints run so far (tests).
  int checkpoints() const;

 private:
  WalCheckpointer(sqlite3* db, sqlite3* own, int pages);
  static int on_commit(void* self, sqlite3* db, const char* schema, int frames);
  void run();

  sqlite3* db_;
  sqlite3* own_;
  int pages_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stop_ = false;
  int done_ = 0;
  std::thread thread_;
};

}  // namespace picohub::hub
