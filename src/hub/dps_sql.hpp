// The few SQLite helpers the DPS tables use (enrollments, operations). Their calls are rare (CLI commands, one
// or two per registration), so a statement prepared per call is fine; the hot telemetry path has Store's cache.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>

namespace picohub::hub::dps_sql {

using Statement = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

inline Statement prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  return Statement(s, sqlite3_finalize);
}

inline void bind(sqlite3_stmt* s, int i, const std::string& text) {
  sqlite3_bind_text(s, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

inline std::string column(sqlite3_stmt* s, int i) {
  const auto* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}

}  // namespace picohub::hub::dps_sql
