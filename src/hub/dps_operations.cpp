#include "hub/dps_operations.hpp"

#include "hub/dps_sql.hpp"

namespace picohub::hub {

using dps_sql::bind;
using dps_sql::column;
using dps_sql::prepare;

std::optional<DpsOperation> DpsOperations::find(const std::string& operation_id) {
  auto s = prepare(store_.handle(),
                   "SELECT registration_id, status, state, created_ms, ready_ms FROM dps_operations "
                   "WHERE operation_id = ?");
  if (!s) return std::nullopt;
  bind(s.get(), 1, operation_id);
  if (sqlite3_step(s.get()) != SQLITE_ROW) return std::nullopt;
  DpsOperation op;
  op.operation_id = operation_id;
  op.registration_id = column(s.get(), 0);
  op.status = column(s.get(), 1);
  op.state_json = column(s.get(), 2);
  op.created_ms = sqlite3_column_int64(s.get(), 3);
  op.ready_ms = sqlite3_column_int64(s.get(), 4);
  return op;
}

Result<void> DpsOperations::insert(const DpsOperation& op) {
  auto s = prepare(store_.handle(),
                   "INSERT OR REPLACE INTO dps_operations(operation_id, registration_id, status, state, created_ms, "
                   "ready_ms) VALUES(?, ?, ?, ?, ?, ?)");
  if (!s) return fail(Errc::io_failure, "state.db: cannot prepare the DPS operation insert");
  bind(s.get(), 1, op.operation_id);
  bind(s.get(), 2, op.registration_id);
  bind(s.get(), 3, op.status);
  bind(s.get(), 4, op.state_json);
  sqlite3_bind_int64(s.get(), 5, op.created_ms);
  sqlite3_bind_int64(s.get(), 6, op.ready_ms);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return fail(Errc::io_failure, "state.db: the DPS operation insert failed");
  // Keep the newest `max_` (by creation, then rowid for ties).
  auto trim = prepare(store_.handle(),
                      "DELETE FROM dps_operations WHERE rowid NOT IN (SELECT rowid FROM dps_operations "
                      "ORDER BY created_ms DESC, rowid DESC LIMIT ?)");
  if (!trim) return fail(Errc::io_failure, "state.db: cannot prepare the DPS operation trim");
  sqlite3_bind_int64(trim.get(), 1, static_cast<sqlite3_int64>(max_));
  if (sqlite3_step(trim.get()) != SQLITE_DONE) return fail(Errc::io_failure, "state.db: the DPS operation trim failed");
  return {};
}

}  // namespace picohub::hub
