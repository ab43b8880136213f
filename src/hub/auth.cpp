#include "hub/auth.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include "hub/codec.hpp"
#include "iothub/sas_token.hpp"
#include "iothub/username.hpp"

namespace picohub::hub {

bool is_reserved_client_id(std::string_view id) {
  constexpr std::string_view prefix = kServiceClientIdPrefix;
  if (id.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(id[i])) != prefix[i]) return false;
  }
  return true;
}

bool is_valid_device_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (std::isalnum(static_cast<unsigned char>(c))) continue;
    if (std::string_view("-.%_*?!(),:=@$'").find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string generation_id(std::int64_t created_ms) {
  constexpr std::int64_t kTicksAtUnixEpoch = 621355968000000000;
  return std::to_string(kTicksAtUnixEpoch + created_ms * 10000);
}

namespace {

AuthResult refuse(std::string reason) {
  AuthResult r;
  r.reason = std::move(reason);
  return r;
}

bool verify_with(const iothub::SasTokenFields& token, const std::string& primary, const std::string& secondary) {
  if (iothub::verify_sas_token(token, primary)) return true;
  return !secondary.empty() && iothub::verify_sas_token(token, secondary).has_value();
}

// Past 9999-12-31 no date prints and the int64 milliseconds the hub keeps would overflow; IoT Hub's own
// tokens stay far below. Refusing at CONNECT keeps "accepted" and "when it expires" the same rule.
constexpr std::uint64_t kLatestExpiry = 253402300799;  // 9999-12-31T23:59:59Z

std::optional<std::string> expiry_problem(std::uint64_t se, std::int64_t now_s) {
  if (se > kLatestExpiry) return "token se " + std::to_string(se) + " is past 9999-12-31; use a real expiry time";
  if (iothub::sas_expired(se, static_cast<std::uint64_t>(now_s), kMaxClockSkewSeconds)) {
    return "token expired at " + iso8601_utc(static_cast<std::int64_t>(se) * 1000) + " (now " +
           iso8601_utc(now_s * 1000) + ", 5 min skew allowed); issue a new token and check the clock";
  }
  return std::nullopt;
}

AuthResult authenticate_service(const HubConfig& config, std::string_view username, const iothub::SasTokenFields& token,
                                const std::string& sr, std::int64_t now_s) {
  auto policy = config.policies.find(std::string(username));
  auto skn = url_decode(token.skn);
  if (!token.has_skn || !skn || *skn != username) {
    return refuse("service token skn does not name policy '" + std::string(username) + "'");
  }
  if (!equals_ignore_case(sr, config.host_name)) {
    return refuse("service token sr '" + sr + "' is not this hub's host name '" + config.host_name + "'");
  }
  if (auto problem = expiry_problem(token.se, now_s)) return refuse(*problem);
  if (!verify_with(token, policy->second.primary_key, policy->second.secondary_key)) {
    return refuse("service token signature does not match either key of policy '" + std::string(username) + "'");
  }
  // The control ops read and write the registry and reach devices: only a policy holding all of that drives them.
  constexpr unsigned kControlRights = service::kRegistryRead | service::kRegistryWrite | service::kServiceConnect;
  if ((policy->second.rights & kControlRights) != kControlRights) {
    return refuse("policy '" + std::string(username) + "' lacks " +
                  service::rights_text(kControlRights & ~policy->second.rights) +
                  " (the control ops need RegistryRead, RegistryWrite and ServiceConnect, e.g. iothubowner)");
  }
  AuthResult r;
  r.accepted = true;
  r.principal = Principal::service;
  r.policy = std::string(username);
  r.expiry_s = static_cast<std::int64_t>(token.se);
  return r;
}

// A device registered with X.509: its certificate decides (the TLS handshake proved the key); no token needed.
AuthResult authenticate_x509(Store& store, const DeviceRecord& device, std::string_view cert_der, std::int64_t now_s) {
  X509Device who{device.device_id, device.auth, device.primary_thumbprint, device.secondary_thumbprint};
  std::vector<std::string> cas;
  if (device.auth == DeviceAuth::certificate_authority) {
    for (auto& ca : store.list_ca_certificates()) cas.push_back(std::move(ca.pem));
  }
  CertificateInfo info;
  if (auto problem = check_device_certificate(who, cert_der, cas, now_s, &info)) {
    return refuse(*problem + " (" + to_string(device.auth) + " device; docs/x509.md)");
  }
  AuthResult r;
  r.accepted = true;
  r.by_certificate = true;
  // The connection lasts while the certificate is valid (the hub closes it when expiry_s passes, as for a token).
  r.expiry_s = static_cast<std::int64_t>(
      std::min<std::uint64_t>(static_cast<std::uint64_t>(info.not_after_s), kLatestExpiry));
  r.generation_id = generation_id(device.created_ms);
  return r;
}

// A SAS device (or a module of any device): the token decides; a client certificate is not looked at.
AuthResult authenticate_sas_device(const HubConfig& config, Store& store, const DeviceRecord& device,
                                   const std::string& module_id, std::string_view password, std::int64_t now_s) {
  const std::string& device_id = device.device_id;
  if (password.empty() && device.auth == DeviceAuth::sas && module_id.empty()) {
    return refuse("device '" + device_id +
                  "' uses SAS keys: send a SAS token as the password (an X.509 "
                  "certificate does not authenticate it; re-create it with --auth x509-thumbprint|x509-ca)");
  }
  auto token = iothub::parse_sas_token(password);
  if (!token) return refuse(std::string("password is not a SAS token: ") + token.error().what);
  // The HMAC covers the raw sr; the identity check uses the decoded one (any hex case, or not encoded at all).
  auto sr = url_decode(token->sr);
  if (!sr) return refuse("token sr has a broken %-escape");
  // Audience: {host}/devices/{id}[/modules/{mod}], host part case-insensitive.
  std::string resource = "/devices/" + device_id + (module_id.empty() ? "" : "/modules/" + module_id);
  auto slash = sr->find('/');
  if (slash == std::string::npos || !equals_ignore_case(sr->substr(0, slash), config.host_name) ||
      sr->substr(slash) != resource) {
    return refuse("token sr '" + *sr + "' does not name " + config.host_name + resource);
  }
  // A module signs with its own keys; an unregistered module is refused (never the device's keys instead).
  std::string primary_key = device.primary_key, secondary_key = device.secondary_key;
  std::int64_t created_ms = device.created_ms;
  if (!module_id.empty()) {
    auto module = store.find_module(device_id, module_id);
    if (!module) {
      return refuse("module '" + device_id + "/" + module_id +
                    "' is not registered; create it with `picohub module create " + device_id + " " + module_id + "`");
    }
    primary_key = module->primary_key;
    created_ms = module->created_ms;
    secondary_key = module->secondary_key;
  }
  if (auto problem = expiry_problem(token->se, now_s)) return refuse(*problem);
  bool ok;
  if (token->has_skn) {
    // A hub policy key acting for the device (iothubowner has DeviceConnect on IoT Hub).
    auto skn = url_decode(token->skn);
    auto policy = skn ? config.policies.find(*skn) : config.policies.end();
    ok = policy != config.policies.end() && (policy->second.rights & service::kDeviceConnect) != 0 &&
         verify_with(*token, policy->second.primary_key, policy->second.secondary_key);
  } else {
    ok = !primary_key.empty() && verify_with(*token, primary_key, secondary_key);
  }
  if (!ok) return refuse("signature does not match either key");
  AuthResult r;
  r.accepted = true;
  r.expiry_s = static_cast<std::int64_t>(token->se);
  r.generation_id = generation_id(created_ms);
  return r;
}

}  // namespace

AuthResult authenticate(const HubConfig& config, Store& store, std::string_view client_id, std::string_view username,
                        std::string_view password, std::int64_t now_s, std::string_view client_cert_der) {
  // The service principal: a bare policy name as username, and a client id that cannot be a device's.
  if (username.find('/') == std::string_view::npos) {
    if (config.policies.count(std::string(username)) == 0) {
      return refuse("username '" + std::string(username) + "' is neither '{host}/{deviceId}/...' nor a hub policy");
    }
    if (!is_reserved_client_id(client_id)) {
      return refuse("service client id must start with '" + std::string(kServiceClientIdPrefix) + "'");
    }
    auto token = iothub::parse_sas_token(password);
    if (!token) return refuse(std::string("password is not a SAS token: ") + token.error().what);
    auto sr = url_decode(token->sr);
    if (!sr) return refuse("token sr has a broken %-escape");
    return authenticate_service(config, username, *token, *sr, now_s);
  }

  auto user = iothub::parse_mqtt_username(username);
  if (!user) return refuse("username is not '{host}/{deviceId}/?api-version=...'");
  if (!equals_ignore_case(user->host, config.host_name)) {
    return refuse("username host '" + std::string(user->host) + "' is not this hub's host name '" + config.host_name +
                  "'");
  }
  std::string device_id(user->device_id);
  // The service tools' client ids: a device by such a name could take over (and so disconnect) a running monitor.
  if (is_reserved_client_id(device_id)) {
    return refuse("device id '" + device_id + "' starts with the hub's reserved prefix '" +
                  std::string(kServiceClientIdPrefix) + "'");
  }
  std::string module_id(user->module_id);
  std::string expected_client = device_id + (module_id.empty() ? "" : "/" + module_id);
  if (client_id != expected_client) {
    return refuse("client id '" + std::string(client_id) + "' does not equal the device id '" + expected_client + "'");
  }
  auto device = store.find_device(device_id);
  if (!device) return refuse("device '" + device_id + "' is not registered; create it with `picohub device create`");
  if (device->status != "enabled") return refuse("device '" + device_id + "' is disabled (403012)");
  AuthResult r;
  if (device->auth != DeviceAuth::sas && module_id.empty()) {
    r = authenticate_x509(store, *device, client_cert_der, now_s);
  } else {
    r = authenticate_sas_device(config, store, *device, module_id, password, now_s);
  }
  if (!r.accepted) return r;
  r.principal = Principal::device;
  r.device_id = device_id;
  r.module_id = module_id;
  r.model_id = url_decode(user->model_id).value_or(std::string(user->model_id));
  return r;
}

}  // namespace picohub::hub
