// picohub::hub::DpsEndpoint: the local hub answers the Device Provisioning Service's MQTT protocol
// ($dps/registrations/...) on its own broker port (reference iothub-mqtt.md §8, docs/dps.md). Hub forwards the
// events of connections whose user name starts with this hub's id scope.
//   CONNECT     client id = registration id, user name {idScope}/registrations/{regId}/..., SAS over
//               {idScope}/registrations/{regId} with skn=registration, signed with the individual enrollment's
//               key or, for a group, the key derived from the group key and the registration id
//   register    creates the device in this hub's registry if absent (with that key), answers 202 + operationId
//               + retry-after; the operation is "assigned" on the first poll after retry-after
//   enrollments control ops dps.enrollment.create|list|show|delete and dps.info (`picohub dps ...`)
// Single-threaded, like Hub: every call comes from the broker thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hub/config.hpp"
#include "hub/dps_enrollments.hpp"
#include "hub/dps_operations.hpp"
#include "hub/store.hpp"

namespace picohub::hub {

class BrokerPort;
enum class Access;
using ConnId = const void*;

struct DpsOptions {
  std::uint32_t retry_after_s = 1;    // in the 202 answers; Azure says 3, a local hub has no reason to be slow
  std::size_t max_operations = 1000;  // the oldest are forgotten beyond this
};

class DpsEndpoint {
 public:
  DpsEndpoint(const HubConfig& config, Store& store, BrokerPort& port, DpsOptions options = {});

  // true when `username` is a DPS user name for this hub's id scope: the connection is this endpoint's.
  bool handles_username(std::string_view username);
  bool owns(ConnId conn) const { return conns_.count(conn) != 0; }

  bool on_basic_auth(ConnId conn, std::string_view client_id, std::string_view username, std::string_view password,
                     std::int64_t now_ms);
  bool on_acl_check(ConnId conn, Access access, std::string_view topic);
  void on_message(ConnId conn, std::string_view topic, std::string_view payload, std::int64_t now_ms);
  void on_disconnect(ConnId conn) { conns_.erase(conn); }

  struct Reply {
    int status = 200;
    nlohmann::json body;
  };
  // ops: dps.info, dps.enrollment.create|list|show|delete
  Reply on_control(const std::string& op, const nlohmann::json& fields, std::int64_t now_ms);

  const std::string& id_scope();
  // The hub a device is assigned to when its enrollment names none: this hub, "host[:port]" (no port for 8883).
  std::string this_hub() const;

 private:
  struct Connection {
    std::string registration_id;
    EnrollmentKind kind = EnrollmentKind::individual;
    std::string enrollment_id;
    std::string key;        // the key the device signed with (individual key or derived key)
    std::string other_key;  // the enrollment's other key (derived for a group), the device's secondary
  };
  struct Operation {  // an outcome as assign() decides it; saved as a DpsOperation
    std::string registration_id;
    std::int64_t ready_ms = 0;  // "assigning" until then
    std::int64_t created_ms = 0;
    nlohmann::json state;  // registrationState once assigned / failed
    std::string status;    // assigned | failed | disabled
  };

  void answer(const std::string& client_id, int status, std::string_view rid, std::uint32_t retry_after_s,
              const nlohmann::json& body);
  void on_register(const Connection& c, std::string_view rid, std::string_view payload, std::int64_t now_ms);
  void on_poll(const Connection& c, std::string_view rid, std::string_view operation_id, std::int64_t now_ms);
  Operation assign(const Connection& c, const nlohmann::json& custom_payload, std::int64_t now_ms);
  std::optional<Connection> authenticate(std::string_view registration_id, std::string_view password,
                                         std::int64_t now_s, std::string& why);
  Reply enrollment_create(const nlohmann::json& f, std::int64_t now_ms);
  nlohmann::json enrollment_object(const DpsEnrollment& e);
  void log(const std::string& line);

  const HubConfig& config_;
  Store& store_;
  BrokerPort& port_;
  DpsOptions options_;
  DpsEnrollments enrollments_;
  std::string id_scope_;
  std::unordered_map<ConnId, Connection> conns_;
  DpsOperations operations_;
};

}  // namespace picohub::hub
