#include "hub/auth.hpp"

#include <cctype>
#include <charconv>
#include <vector>

#include "hub/codec.hpp"

namespace picohub::hub {

namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::optional<SasFields> parse_sas_password(std::string_view password, std::string& reason) {
  // Split on whitespace: exactly two parts, the first exactly "SharedAccessSignature".
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < password.size()) {
    while (i < password.size() && is_space(password[i])) ++i;
    std::size_t start = i;
    while (i < password.size() && !is_space(password[i])) ++i;
    if (i > start) words.push_back(password.substr(start, i - start));
  }
  if (words.size() != 2 || words[0] != "SharedAccessSignature") {
    reason = "password is not a SAS token (expected 'SharedAccessSignature sr=..&sig=..&se=..')";
    return std::nullopt;
  }
  SasFields token;
  bool have_sr = false, have_sig = false, have_se = false;
  for (auto field : split(words[1], '&')) {
    auto eq = field.find('=');
    if (eq == std::string_view::npos) {
      reason = "SAS token field without '='";
      return std::nullopt;
    }
    auto name = field.substr(0, eq);
    auto raw = field.substr(eq + 1);
    if (equals_ignore_case(name, "sr")) {
      auto decoded = url_decode(raw);
      if (!decoded) {
        reason = "SAS token sr has a broken %-escape";
        return std::nullopt;
      }
      token.raw_sr = std::string(raw);
      token.sr = *decoded;
      have_sr = true;
      continue;
    }
    auto decoded = url_decode(raw, true);
    if (!decoded) {
      reason = "SAS token field has a broken %-escape";
      return std::nullopt;
    }
    if (equals_ignore_case(name, "sig")) {
      token.sig = *decoded;
      have_sig = true;
    } else if (equals_ignore_case(name, "se")) {
      token.raw_se = std::string(raw);
      auto [ptr, ec] = std::from_chars(decoded->data(), decoded->data() + decoded->size(), token.se);
      if (ec != std::errc() || ptr != decoded->data() + decoded->size() || decoded->empty()) {
        reason = "SAS token se is not a number of seconds since 1970";
        return std::nullopt;
      }
      have_se = true;
    } else if (equals_ignore_case(name, "skn")) {
      token.skn = *decoded;
    }
  }
  if (!have_sr || !have_sig || !have_se) {
    reason = "SAS token lacks sr, sig or se";
    return std::nullopt;
  }
  return token;
}

std::optional<UsernameParts> parse_device_username(std::string_view username) {
  auto path = username.substr(0, username.find('?'));
  auto segments = split(path, '/');
  // Drop the empty segment left by the trailing '/' before '?', and an old-style "api-version=..." segment.
  while (!segments.empty() && (segments.back().empty() || segments.back().find('=') != std::string_view::npos)) {
    segments.pop_back();
  }
  if (segments.size() < 2 || segments.size() > 3) return std::nullopt;
  for (auto s : segments) {
    if (s.empty()) return std::nullopt;
  }
  UsernameParts parts{std::string(segments[0]), std::string(segments[1]), {}};
  if (segments.size() == 3) parts.module_id = std::string(segments[2]);
  return parts;
}

bool signature_matches(const SasFields& token, std::string_view key_base64) {
  auto key = base64_decode(key_base64);
  if (!key || key->empty()) return false;
  std::string to_sign = token.raw_sr + "\n" + token.raw_se;
  return constant_time_equal(base64_encode(hmac_sha256(*key, to_sign)), token.sig);
}

bool is_valid_device_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) continue;
    switch (c) {
      case '-': case '.': case '%': case '_': case '*': case '?': case '!': case '(': case ')': case ',':
      case ':': case '=': case '@': case '$': case '\'':
        continue;
      default:
        return false;
    }
  }
  return true;
}

namespace {

AuthResult refuse(std::string reason) {
  AuthResult r;
  r.reason = std::move(reason);
  return r;
}

AuthResult authenticate_service(const HubConfig& config, std::string_view username, const SasFields& token,
                                std::int64_t now_s) {
  auto policy = config.policies.find(std::string(username));
  if (policy == config.policies.end()) return refuse("unknown policy '" + std::string(username) + "'");
  if (token.skn != username) return refuse("service token skn does not name policy '" + std::string(username) + "'");
  if (!equals_ignore_case(token.sr, config.host_name)) {
    return refuse("service token sr '" + token.sr + "' is not this hub's host name '" + config.host_name + "'");
  }
  if (token.se + kMaxClockSkewSeconds < now_s) return refuse("service token expired");
  if (!signature_matches(token, policy->second.primary_key) &&
      (policy->second.secondary_key.empty() || !signature_matches(token, policy->second.secondary_key))) {
    return refuse("service token signature does not match either key of policy '" + std::string(username) + "'");
  }
  AuthResult r;
  r.accepted = true;
  r.principal = Principal::service;
  r.policy = std::string(username);
  r.expiry_s = token.se;
  return r;
}

}  // namespace

AuthResult authenticate(const HubConfig& config, Store& store, std::string_view client_id, std::string_view username,
                        std::string_view password, std::int64_t now_s) {
  std::string reason;
  auto token = parse_sas_password(password, reason);
  if (!token) return refuse(reason);

  // The service principal: username is a bare policy name (no '/'), and its client id may not look like a device.
  if (username.find('/') == std::string_view::npos) {
    if (config.policies.count(std::string(username)) == 0) return refuse("username is neither a device nor a policy");
    if (client_id.substr(0, 16) != "picohub-service-") {
      return refuse("service client id must start with 'picohub-service-'");
    }
    return authenticate_service(config, username, *token, now_s);
  }

  auto user = parse_device_username(username);
  if (!user) return refuse("username is not '{host}/{deviceId}/?api-version=...'");
  if (!equals_ignore_case(user->host, config.host_name)) {
    return refuse("username host '" + user->host + "' is not this hub's host name '" + config.host_name + "'");
  }
  std::string expected_client = user->device_id + (user->module_id.empty() ? "" : "/" + user->module_id);
  if (client_id != expected_client) {
    return refuse("client id '" + std::string(client_id) + "' does not equal the device id '" + expected_client + "'");
  }
  // Audience: {host}/devices/{id}[/modules/{mod}], host part case-insensitive.
  std::string resource = "/devices/" + user->device_id + (user->module_id.empty() ? "" : "/modules/" + user->module_id);
  auto slash = token->sr.find('/');
  if (slash == std::string::npos || !equals_ignore_case(token->sr.substr(0, slash), config.host_name) ||
      token->sr.substr(slash) != resource) {
    return refuse("token sr '" + token->sr + "' does not name " + config.host_name + resource);
  }
  auto device = store.find_device(user->device_id);
  if (!device) return refuse("device '" + user->device_id + "' is not registered");
  if (device->status != "enabled") return refuse("device '" + user->device_id + "' is disabled");
  if (token->se + kMaxClockSkewSeconds < now_s) {
    return refuse("token expired at " + std::to_string(token->se) + " (now " + std::to_string(now_s) +
                  ", 5 min skew allowed)");
  }
  bool ok;
  if (!token->skn.empty()) {
    // A hub policy key acting for the device (iothubowner has DeviceConnect on IoT Hub).
    auto policy = config.policies.find(token->skn);
    ok = policy != config.policies.end() &&
         (signature_matches(*token, policy->second.primary_key) ||
          (!policy->second.secondary_key.empty() && signature_matches(*token, policy->second.secondary_key)));
  } else {
    ok = signature_matches(*token, device->primary_key) ||
         (!device->secondary_key.empty() && signature_matches(*token, device->secondary_key));
  }
  if (!ok) return refuse("signature does not match either key");
  AuthResult r;
  r.accepted = true;
  r.principal = Principal::device;
  r.device_id = user->device_id;
  r.module_id = user->module_id;
  r.expiry_s = token->se;
  return r;
}

}  // namespace picohub::hub
