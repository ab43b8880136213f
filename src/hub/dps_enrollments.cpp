#include "hub/dps_enrollments.hpp"

#include <cstdio>

#include "hub/dps_sql.hpp"

namespace picohub::hub {
namespace {

using dps_sql::bind;
using dps_sql::column;
using dps_sql::prepare;

constexpr const char* kColumns =
    "SELECT kind, id, primary_key, secondary_key, iot_hub, device_id, status, created_ms FROM dps_enrollments ";

}  // namespace

const char* to_string(EnrollmentKind kind) { return kind == EnrollmentKind::group ? "group" : "individual"; }

std::optional<EnrollmentKind> parse_enrollment_kind(const std::string& text) {
  if (text == "individual") return EnrollmentKind::individual;
  if (text == "group") return EnrollmentKind::group;
  return std::nullopt;
}

std::vector<DpsEnrollment> DpsEnrollments::query(const char* sql, const std::string& kind) {
  std::vector<DpsEnrollment> out;
  auto s = prepare(store_.handle(), sql);
  if (!s) return out;
  if (!kind.empty()) bind(s.get(), 1, kind);
  while (sqlite3_step(s.get()) == SQLITE_ROW) {
    DpsEnrollment e;
    e.kind = parse_enrollment_kind(column(s.get(), 0)).value_or(EnrollmentKind::individual);
    e.id = column(s.get(), 1);
    e.primary_key = column(s.get(), 2);
    e.secondary_key = column(s.get(), 3);
    e.iot_hub = column(s.get(), 4);
    e.device_id = column(s.get(), 5);
    e.status = column(s.get(), 6);
    e.created_ms = sqlite3_column_int64(s.get(), 7);
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<DpsEnrollment> DpsEnrollments::find(EnrollmentKind kind, const std::string& id) {
  for (const auto& e :
       query((std::string(kColumns) + "WHERE kind = ?1 ORDER BY created_ms, id").c_str(), to_string(kind)))
    if (e.id == id) return e;
  return std::nullopt;
}

std::vector<DpsEnrollment> DpsEnrollments::list() {
  return query((std::string(kColumns) + "ORDER BY kind = 'group', created_ms, id").c_str(), "");
}

std::vector<DpsEnrollment> DpsEnrollments::groups() {
  return query((std::string(kColumns) + "WHERE kind = ?1 ORDER BY created_ms, id").c_str(), "group");
}

Result<bool> DpsEnrollments::insert(const DpsEnrollment& e) {
  if (find(e.kind, e.id)) return false;
  auto s = prepare(store_.handle(),
                   "INSERT INTO dps_enrollments(kind, id, primary_key, secondary_key, iot_hub, device_id, status, "
                   "created_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  if (!s) return fail(Errc::io_failure, "state.db: cannot prepare the enrollment insert");
  bind(s.get(), 1, to_string(e.kind));
  bind(s.get(), 2, e.id);
  bind(s.get(), 3, e.primary_key);
  bind(s.get(), 4, e.secondary_key);
  bind(s.get(), 5, e.iot_hub);
  bind(s.get(), 6, e.device_id);
  bind(s.get(), 7, e.status);
  sqlite3_bind_int64(s.get(), 8, e.created_ms);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return fail(Errc::io_failure, "state.db: the enrollment insert failed");
  return true;
}

Result<bool> DpsEnrollments::remove(EnrollmentKind kind, const std::string& id) {
  auto s = prepare(store_.handle(), "DELETE FROM dps_enrollments WHERE kind = ? AND id = ?");
  if (!s) return fail(Errc::io_failure, "state.db: cannot prepare the enrollment delete");
  bind(s.get(), 1, to_string(kind));
  bind(s.get(), 2, id);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return fail(Errc::io_failure, "state.db: the enrollment delete failed");
  return sqlite3_changes(store_.handle()) > 0;
}

std::string DpsEnrollments::id_scope() {
  auto s = prepare(store_.handle(), "SELECT value FROM meta WHERE key = 'dps_id_scope'");
  std::uint32_t value = 0;
  if (s && sqlite3_step(s.get()) == SQLITE_ROW) value = static_cast<std::uint32_t>(sqlite3_column_int64(s.get(), 0));
  char text[16];
  std::snprintf(text, sizeof text, "0ne%08X", value);
  return text;
}

}  // namespace picohub::hub
