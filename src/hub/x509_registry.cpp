#include "hub/x509_registry.hpp"

#include "hub/codec.hpp"
#include "hub/control_request.hpp"
#include "hub/hub.hpp"

namespace picohub::hub {

using nlohmann::json;

std::optional<std::string> read_device_auth(const json& f, DeviceRecord& d) {
  std::string error;
  const auto type = optional_string(f, "authType", error);
  const auto primary = optional_string(f, "primaryThumbprint", error);
  const auto secondary = optional_string(f, "secondaryThumbprint", error);
  if (!error.empty()) return error;
  const auto auth = parse_device_auth(type.value_or("sas"));
  if (!auth) return "authType must be sas, selfSigned or certificateAuthority";
  d.auth = *auth;
  if (d.auth == DeviceAuth::sas) {
    if (primary || secondary) return "thumbprints belong to authType selfSigned";
    return std::nullopt;
  }
  d.primary_key.clear();  // an X.509 device has no keys: no SAS token can stand in for its certificate
  d.secondary_key.clear();
  if (d.auth == DeviceAuth::certificate_authority) {
    if (primary || secondary) return "a certificateAuthority device has no thumbprints (its CA is registered instead)";
    return std::nullopt;
  }
  if (!primary) return "a selfSigned device needs primaryThumbprint (SHA-1 or SHA-256 of its certificate, hex)";
  for (auto [text, out] :
       {std::pair{&primary, &d.primary_thumbprint}, std::pair{&secondary, &d.secondary_thumbprint}}) {
    if (!*text) continue;
    auto normalized = normalize_thumbprint(**text);
    if (!normalized) return "thumbprint '" + **text + "' is not 40 (SHA-1) or 64 (SHA-256) hex digits";
    *out = *normalized;
  }
  return std::nullopt;
}

namespace {

json ca_object(const CaCertificateRecord& ca) {
  return json{{"name", ca.name},
              {"subject", ca.subject},
              {"thumbprint", ca.thumbprint},
              {"expiry", iso8601_utc(ca.not_after_ms)},
              {"createdTime", iso8601_utc(ca.created_ms)}};
}

}  // namespace

void Hub::op_ca(const std::string& op, const std::string& client, const std::string& cid, const json& f,
                std::int64_t now_ms) {
  std::string error;
  const auto name = optional_string(f, "name", error);
  if (op == "ca.list") {
    json list = json::array();
    for (const auto& ca : store_.list_ca_certificates()) list.push_back(ca_object(ca));
    return respond(client, cid, 200, json{{"certificates", list}});
  }
  if (!name || name->empty()) return respond_error(client, cid, 400, 400004, "field 'name' (string) is required");
  if (op == "ca.delete") {
    auto deleted = store_.delete_ca_certificate(*name);
    if (!stored(deleted, "ca delete") || !commit("ca delete")) return respond_store_error(client, cid);
    if (!*deleted) return respond_error(client, cid, 404, 404001, "no CA certificate named '" + *name + "'");
    log(LogLevel::notice, "CA certificate " + *name + " deleted");
    return respond(client, cid, 200, json{{"deleted", *name}});
  }
  if (op != "ca.add")
    return respond_error(client, cid, 400, 400004, "unknown op '" + op + "'; known: ca.add|list|delete");
  const auto pem = optional_string(f, "pem", error);
  if (!pem) return respond_error(client, cid, 400, 400004, "field 'pem' (the CA certificate, PEM) is required");
  auto der = pem_certificate_to_der(*pem, error);
  auto info = der ? inspect_certificate(*der, error) : std::nullopt;
  if (!info) return respond_error(client, cid, 400, 400004, "CA certificate: " + error);
  CaCertificateRecord ca{*name, *pem, info->subject, info->sha1_thumbprint, info->not_after_s * 1000, now_ms};
  auto inserted = store_.insert_ca_certificate(ca);
  if (!stored(inserted, "ca add") || !commit("ca add")) return respond_store_error(client, cid);
  if (!*inserted) {
    return respond_error(client, cid, 409, 409001, "a CA certificate named '" + *name + "' exists; delete it first");
  }
  log(LogLevel::notice, "CA certificate " + *name + " (" + info->subject + ") registered");
  respond(client, cid, 200, ca_object(ca));
}

}  // namespace picohub::hub
