#include "service/amqp/sasl_plain.hpp"

#include <proton/sasl_plugin.h>
#include <proton/transport.h>

#include <cstring>
#include <map>
#include <mutex>

namespace picohub::service::amqp {

namespace {
std::mutex g_mutex;
std::map<pn_transport_t*, PlainCredentials> g_credentials;  // from PLAIN until the connection takes them

struct TransportAccess : proton::transport {
  static pn_transport_t* raw(const proton::transport& t) {
    auto accessor = &TransportAccess::pn_object;
    return (t.*accessor)();
  }
};

void forget(pn_transport_t* t) {
  std::lock_guard lock(g_mutex);
  g_credentials.erase(t);
}

const char* list_mechanisms(pn_transport_t*) { return "PLAIN ANONYMOUS"; }

bool init_server(pn_transport_t* t) {
  pnx_sasl_set_desired_state(t, SASL_POSTED_MECHANISMS);
  return true;
}

// "authzid \0 authcid \0 password" (RFC 4616)
std::optional<PlainCredentials> parse_plain(const pn_bytes_t* recv) {
  if (recv == nullptr || recv->start == nullptr) return std::nullopt;
  const std::string text(recv->start, recv->size);
  const auto first = text.find('\0');
  if (first == std::string::npos) return std::nullopt;
  const auto second = text.find('\0', first + 1);
  if (second == std::string::npos) return std::nullopt;
  return PlainCredentials{text.substr(first + 1, second - first - 1), text.substr(second + 1)};
}

void process_init(pn_transport_t* t, const char* mechanism, const pn_bytes_t* recv) {
  const std::string mech = mechanism == nullptr ? "" : mechanism;
  if (mech == "ANONYMOUS") {
    pnx_sasl_set_succeeded(t, "anonymous", nullptr);
  } else if (auto creds = mech == "PLAIN" ? parse_plain(recv) : std::nullopt) {
    // Accepted here, checked by the hub when the connection opens (a bad token closes it there).
    pnx_sasl_set_succeeded(t, creds->user.c_str(), nullptr);
    std::lock_guard lock(g_mutex);
    g_credentials[t] = std::move(*creds);
  } else {
    pnx_sasl_set_failed(t);
  }
  pnx_sasl_set_desired_state(t, SASL_POSTED_OUTCOME);
}

void process_response(pn_transport_t* t, const pn_bytes_t*) {  // no challenges are ever sent
  pnx_sasl_set_failed(t);
  pnx_sasl_set_desired_state(t, SASL_POSTED_OUTCOME);
}

bool init_client(pn_transport_t*) { return false; }  // the endpoint is never a SASL client
void no_op(pn_transport_t*) {}
bool no_mechanisms(pn_transport_t*, const char*) { return false; }
void no_bytes(pn_transport_t*, const pn_bytes_t*) {}
bool cannot_encrypt(pn_transport_t*) { return false; }
ssize_t no_size(pn_transport_t*) { return 0; }
ssize_t no_layer(pn_transport_t*, pn_bytes_t, pn_bytes_t*) { return 0; }

const pnx_sasl_implementation k_implementation = {
    forget,        list_mechanisms, init_server, init_client,    no_op,   process_init, process_response,
    no_mechanisms, no_bytes,        no_bytes,    cannot_encrypt, no_size, no_layer,     no_layer,
};
}  // namespace

void install_endpoint_sasl() { pnx_sasl_set_default_implementation(&k_implementation); }

std::optional<PlainCredentials> take_plain_credentials(const proton::transport& transport) {
  std::lock_guard lock(g_mutex);
  auto it = g_credentials.find(TransportAccess::raw(transport));
  if (it == g_credentials.end()) return std::nullopt;
  auto out = std::move(it->second);
  g_credentials.erase(it);
  return out;
}

}  // namespace picohub::service::amqp
