// The registry side of X.509 (docs/x509.md): the authentication fields of device.create and the ca.* control
// ops (Hub::op_ca, defined in x509_registry.cpp). The decisions at CONNECT are x509_identity's.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "hub/store.hpp"

namespace picohub::hub {

// Reads `authType` (sas | selfSigned | certificateAuthority) and the thumbprints of a device.create request into
// `d`. An X.509 device gets no keys; a selfSigned one needs a primary thumbprint (SHA-1 or SHA-256 hex).
// nullopt = fine; otherwise what is wrong (answered 400).
std::optional<std::string> read_device_auth(const nlohmann::json& fields, DeviceRecord& d);

}  // namespace picohub::hub
