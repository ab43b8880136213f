// Claims-based security: a put-token on $cbs carries a SAS token for an audience (`name`); the hub checks it
// through the port and the connection keeps the audience as a claim. IoT Hub audiences are the host name
// ("localhost", or "localhost:5671" when the client was given a port); Event Hub ones are "sb://host[:port]/...".
// The reply goes to the link named by reply_to (Event Hubs clients) or the $cbs sender (azure-iothub).
#include "service/amqp/connection_handler.hpp"

#include "service/amqp/message_values.hpp"
#include "service/amqp/sasl_plain.hpp"

#include <proton/error_condition.hpp>
#include <proton/transport.hpp>

#include <proton/scalar.hpp>

#include <map>

namespace picohub::service::amqp {

namespace {
std::string property(const proton::message& m, const std::string& key) {
  const auto& properties = m.properties();
  if (!properties.exists(key)) return {};
  return scalar_text(properties.get(key)).value_or("");
}

bool is_event_hub_audience(const std::string& audience) { return audience.rfind("sb://", 0) == 0; }
}  // namespace

bool ConnectionHandler::authorized_for_iothub() const {
  for (const auto& a : audiences_)
    if (!is_event_hub_audience(a)) return true;
  return false;
}

bool ConnectionHandler::authorized_for_event_hub() const {
  for (const auto& a : audiences_)
    if (is_event_hub_audience(a)) return true;
  return false;
}

// SASL PLAIN as IoT Hub takes it: user "<policy>@sas.root.<hub>", password a SAS token for the hub. It counts as
// a claim for the hub; a token the hub refuses closes the connection.
void ConnectionHandler::check_plain_credentials(proton::connection& c) {
  auto creds = take_plain_credentials(c.transport());
  if (!creds) return;
  const std::string audience = context_.hub_host;
  call([token = creds->password,
        audience](HubPort& hub) { return hub.authorize(token, audience, right_service_connect); },
       [this, audience](HubResult<void> result) {
         if (result) {
           audiences_.insert(audience);
           return;
         }
         connection_.close(proton::error_condition("amqp:unauthorized-access", result.error().message));
       });
}

void ConnectionHandler::handle_put_token(const proton::message& request) {
  const std::string operation = property(request, "operation");
  const std::string audience = property(request, "name");
  const std::string token = body_bytes(request).value_or("");
  const std::string reply_to = request.reply_to();
  // The request (a value type that owns its data, no Proton object) is kept for the reply's correlation id.
  auto answer = [this, reply_to, request](int status, const std::string& description) {
    proton::message response;
    response.properties().put("status-code", status);
    response.properties().put("status-description", description);
    reply(reply_to, "$cbs", request, std::move(response));
  };
  if (operation != "put-token" || audience.empty() || token.empty()) {
    return answer(400, "expected operation put-token with a name (the audience) and the token as the body");
  }
  call([token, audience](HubPort& hub) { return hub.authorize(token, audience, right_service_connect); },
       [this, audience, answer](HubResult<void> result) {
         if (!result) return answer(result.error().status == 0 ? 401 : result.error().status, result.error().message);
         audiences_.insert(audience);
         answer(200, "OK");
       });
}

}  // namespace picohub::service::amqp
