// Device Provisioning Service enrollments in state.db (schema 4): individual enrollments (one registration id
// with its own symmetric keys) and enrollment groups (a group key; each device signs with the key derived from
// it and its registration id), plus the hub's id scope. Host-only; the SQL runs on the Store's connection, so a
// write joins the Store's open batch and is committed by Store::flush().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "hub/store.hpp"

namespace picohub::hub {

enum class EnrollmentKind { individual, group };

const char* to_string(EnrollmentKind kind);
std::optional<EnrollmentKind> parse_enrollment_kind(const std::string& text);

struct DpsEnrollment {
  EnrollmentKind kind = EnrollmentKind::individual;
  std::string id;                  // registration id (individual) or enrollment group id
  std::string primary_key;         // base64; a group's is the group key the devices' keys derive from
  std::string secondary_key;       // base64
  std::string iot_hub;             // "host[:port]" the devices are assigned to; empty = this hub
  std::string device_id;           // individual: the device id to create (empty = the registration id)
  std::string status = "enabled";  // "enabled" | "disabled"
  std::int64_t created_ms = 0;
};

class DpsEnrollments {
 public:
  explicit DpsEnrollments(Store& store) : store_(store) {}

  std::optional<DpsEnrollment> find(EnrollmentKind kind, const std::string& id);
  // Individual enrollments first, then groups, each in creation order.
  std::vector<DpsEnrollment> list();
  std::vector<DpsEnrollment> groups();
  Result<bool> insert(const DpsEnrollment& enrollment);             // false when it exists
  Result<bool> remove(EnrollmentKind kind, const std::string& id);  // false when there is none
  // "0ne" + 8 upper-case hex digits, drawn when state.db reached schema 4.
  std::string id_scope();

 private:
  std::vector<DpsEnrollment> query(const char* sql, const std::string& kind);
  Store& store_;
};

}  // namespace picohub::hub
