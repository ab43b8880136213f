// DPS registration operations in state.db (schema 8): what a register request decided, kept until the device
// polls for it. They outlive a hub restart, as Azure's do: a device that registered just before the restart
// polls its operation id afterwards and gets its assignment instead of "unknown operation". Bounded: beyond
// `max_operations` the oldest are forgotten (the device then registers again). Host-only; writes join the
// Store's open batch, committed by Store::flush().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "hub/store.hpp"

namespace picohub::hub {

struct DpsOperation {
  std::string operation_id;
  std::string registration_id;
  std::string status;      // assigned | failed | disabled
  std::string state_json;  // the registrationState object, as the poll answer carries it
  std::int64_t created_ms = 0;
  std::int64_t ready_ms = 0;  // "assigning" until then
};

class DpsOperations {
 public:
  DpsOperations(Store& store, std::size_t max_operations) : store_(store), max_(max_operations) {}

  std::optional<DpsOperation> find(const std::string& operation_id);
  // Saves `op`, forgetting the oldest operations beyond the bound.
  Result<void> insert(const DpsOperation& op);

 private:
  Store& store_;
  std::size_t max_;
};

}  // namespace picohub::hub
