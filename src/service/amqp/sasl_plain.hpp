// Server-side SASL PLAIN (and ANONYMOUS) for the listener. Debian's Proton 0.37 is built without Cyrus SASL, and
// Proton's built-in SASL serves only ANONYMOUS and EXTERNAL; PLAIN on the server needs Cyrus plus a sasldb or
// an auxprop plugin to check passwords, none of which fits a SAS token that must be checked by the hub. Proton's
// documented SASL plugin interface (proton/sasl_plugin.h) lets the endpoint take PLAIN itself: the credentials
// are kept for the connection and checked as a CBS claim when it opens (IoT Hub's `<policy>@sas.root.<hub>`
// user with a SAS token as the password, the form tools use before the Event Hub redirect).
#pragma once

#include <proton/transport.hpp>

#include <optional>
#include <string>

namespace picohub::service::amqp {

struct PlainCredentials {
  std::string user;
  std::string password;
};

// Makes this process's Proton transports use the endpoint's SASL (idempotent; call before listening).
void install_endpoint_sasl();

// The PLAIN credentials the peer of `transport` authenticated with, if it used PLAIN (consumed: a second call
// returns nullopt).
std::optional<PlainCredentials> take_plain_credentials(const proton::transport& transport);

}  // namespace picohub::service::amqp
