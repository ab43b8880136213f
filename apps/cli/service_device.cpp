// `picohub device create|list|show|delete|enable|disable|connection-string|cert`: the device registry of the local
// hub (what `az iot hub device-identity` and IoT Explorer's device list do). X.509: docs/x509.md.
#include "command.hpp"
#include "data_dir.hpp"
#include "service_call.hpp"

#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>

#include "hub/x509_identity.hpp"
#include "hub/x509_maker.hpp"

namespace picohub::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string text_of(const json& device, const char* key, const char* fallback = "-") {
  if (!device.contains(key) || device[key].is_null()) return fallback;
  return device[key].is_string() ? device[key].get<std::string>() : device[key].dump();
}

void print_device(const json& d) {
  std::cout << "deviceId          " << text_of(d, "deviceId") << "\n"
            << "status            " << text_of(d, "status") << "\n"
            << "connectionState   " << text_of(d, "connectionState") << "\n"
            << "lastActivityTime  " << text_of(d, "lastActivityTime") << "\n"
            << "c2dQueueDepth     " << text_of(d, "c2dQueueDepth", "0") << "\n"
            << "createdTime       " << text_of(d, "createdTime") << "\n"
            << "authType          " << text_of(d, "authType", "sas") << "\n";
  if (text_of(d, "authType", "sas") == "sas") {
    std::cout << "primaryKey        " << text_of(d, "primaryKey") << "\n"
              << "secondaryKey      " << text_of(d, "secondaryKey") << "\n";
  } else {
    std::cout << "primaryThumbprint   " << text_of(d, "primaryThumbprint") << "\n"
              << "secondaryThumbprint " << text_of(d, "secondaryThumbprint") << "\n";
  }
}

struct DeviceArgs {
  ServiceOptions service;
  std::string id;
  std::string primary_key;
  std::string secondary_key;
  bool disabled = false;
  std::string key = "primary";
  bool gateway = false;
  std::string auth = "sas";  // sas | x509-thumbprint | x509-ca
  std::string primary_thumbprint;
  std::string secondary_thumbprint;
  std::string out_dir;  // device cert
  std::string ca_cert, ca_key;
  int days = 365;
};

int fail(ServiceError err, const DeviceArgs& a) {
  explain_hub_error(err, a.id);
  return report_error(err, a.service.json);
}

// key empty: an X.509 device (x509=true; the certificate and key travel as files beside it).
std::string connection_string(const HubConfig& hub, const std::string& id, const std::string& key, bool gateway) {
  std::string cs = "HostName=" + hub.host_name + ";DeviceId=" + id +
                   (key.empty() ? ";x509=true" : ";SharedAccessKey=" + key);
  // The Node SDK and picohub sim connect to GatewayHostName (host:port accepted) but sign for HostName.
  if (gateway) cs += ";GatewayHostName=" + std::string("localhost:") + std::to_string(hub.port);
  return cs;
}

// --auth as the CLI spells it → IoT Hub's authentication type.
std::optional<std::string> auth_type(const std::string& cli) {
  if (cli == "sas") return "sas";
  if (cli == "x509-thumbprint") return "selfSigned";
  if (cli == "x509-ca") return "certificateAuthority";
  return std::nullopt;
}

int device_create(DeviceArgs& a) {
  json fields = {{"deviceId", a.id}, {"status", a.disabled ? "disabled" : "enabled"}};
  if (!a.primary_key.empty()) fields["primaryKey"] = a.primary_key;
  if (!a.secondary_key.empty()) fields["secondaryKey"] = a.secondary_key;
  const auto type = auth_type(a.auth);
  if (!type) return report_error({exit_usage, "--auth must be sas, x509-thumbprint or x509-ca"}, a.service.json);
  if (*type != "sas") {
    fields["authType"] = *type;
    if (!a.primary_thumbprint.empty()) fields["primaryThumbprint"] = a.primary_thumbprint;
    if (!a.secondary_thumbprint.empty()) fields["secondaryThumbprint"] = a.secondary_thumbprint;
  } else if (!a.primary_thumbprint.empty() || !a.secondary_thumbprint.empty()) {
    return report_error({exit_usage, "thumbprints go with --auth x509-thumbprint"}, a.service.json);
  }
  ServiceError err;
  const auto device = call_hub(a.service, "device.create", fields, err);
  if (!device) return fail(err, a);
  if (a.service.json) {
    std::cout << device->dump(2) << '\n';
    return exit_ok;
  }
  const auto dir = resolve_data_dir(a.service.data);
  std::string why;
  const auto hub = load_hub_config(dir, why);
  std::cout << "created device '" << a.id << "' (" << text_of(*device, "status") << ", "
            << text_of(*device, "authType", "sas") << ")\n";
  if (hub) {
    std::cout << "connection string: "
              << connection_string(*hub, a.id, text_of(*device, "primaryKey", ""), hub->port != 8883) << "\n";
  }
  const std::string data = resolve_data_dir("") == dir ? "" : " --data-dir " + dir.string();
  std::cout << "next: connect it (picohub sim, or the Node SDK trusting " << (dir / "ca.crt").string()
            << "), then watch it: picohub monitor --device " << a.id << data << "\n";
  return exit_ok;
}

int device_list(DeviceArgs& a) {
  ServiceError err;
  const auto body = call_hub(a.service, "device.list", json::object(), err);
  if (!body) return fail(err, a);
  const json devices = body->contains("devices") ? (*body)["devices"] : json::array();
  if (a.service.json) {
    std::cout << devices.dump(2) << '\n';
    return exit_ok;
  }
  if (devices.empty()) {
    std::cout << "no devices yet: create one with picohub device create dev1\n";
    return exit_ok;
  }
  std::size_t width = 9;
  for (const auto& d : devices) width = std::max(width, text_of(d, "deviceId").size());
  std::cout << std::left << std::setw(static_cast<int>(width + 2)) << "DEVICE ID" << std::setw(10) << "STATUS"
            << std::setw(22) << "AUTH" << std::setw(14) << "CONNECTION" << std::setw(6) << "C2D"
            << "LAST ACTIVITY\n";
  for (const auto& d : devices) {
    std::cout << std::left << std::setw(static_cast<int>(width + 2)) << text_of(d, "deviceId") << std::setw(10)
              << text_of(d, "status") << std::setw(22) << text_of(d, "authType", "sas") << std::setw(14)
              << text_of(d, "connectionState") << std::setw(6) << text_of(d, "c2dQueueDepth", "0")
              << text_of(d, "lastActivityTime") << "\n";
  }
  return exit_ok;
}

int device_show(DeviceArgs& a) {
  ServiceError err;
  const auto device = call_hub(a.service, "device.show", {{"deviceId", a.id}}, err);
  if (!device) return fail(err, a);
  if (a.service.json) {
    std::cout << device->dump(2) << '\n';
  } else {
    print_device(*device);
  }
  return exit_ok;
}

int device_delete(DeviceArgs& a) {
  ServiceError err;
  const auto body = call_hub(a.service, "device.delete", {{"deviceId", a.id}}, err);
  if (!body) return fail(err, a);
  if (a.service.json) {
    std::cout << json{{"deleted", a.id}}.dump(2) << '\n';
  } else {
    std::cout << "deleted device '" << a.id << "' (its twin and queued messages are gone)\n";
  }
  return exit_ok;
}

int device_set_status(DeviceArgs& a, const char* status) {
  ServiceError err;
  const auto device = call_hub(a.service, "device.update", {{"deviceId", a.id}, {"status", status}}, err);
  if (!device) return fail(err, a);
  if (a.service.json) {
    std::cout << device->dump(2) << '\n';
  } else if (std::string(status) == "disabled") {
    std::cout << "device '" << a.id << "' disabled: it is disconnected and cannot connect until enabled again\n";
  } else {
    std::cout << "device '" << a.id << "' enabled: it may connect\n";
  }
  return exit_ok;
}

int device_connection_string(DeviceArgs& a) {
  if (a.key != "primary" && a.key != "secondary") {
    return report_error({exit_usage, "--key must be primary or secondary"}, a.service.json);
  }
  const auto dir = resolve_data_dir(a.service.data);
  std::string why;
  const auto hub = load_hub_config(dir, why);
  if (!hub) return report_error({exit_failure, why}, a.service.json);
  ServiceError err;
  const auto device = call_hub(a.service, "device.show", {{"deviceId", a.id}}, err);
  if (!device) return fail(err, a);
  const std::string key = text_of(*device, a.key == "primary" ? "primaryKey" : "secondaryKey", "");  // "": X.509
  const std::string plain = connection_string(*hub, a.id, key, false);
  const std::string with_gateway = connection_string(*hub, a.id, key, true);
  if (a.service.json) {
    std::cout << json{{"connectionString", a.gateway ? with_gateway : plain},
                      {"connectionStringWithGateway", with_gateway},
                      {"caFile", (dir / "ca.crt").string()}}
                     .dump(2)
              << '\n';
    return exit_ok;
  }
  std::cout << (a.gateway ? with_gateway : plain) << "\n";
  if (!a.gateway && hub->port != 8883) {
    std::cerr << "note: this hub listens on port " << hub->port
              << ", not 8883: clients must connect to localhost:" << hub->port << ". Use --gateway to get\n  "
              << with_gateway
              << "\n  (picohub sim and the Node SDK connect to GatewayHostName and sign for HostName)\n";
  }
  return exit_ok;
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool write_private(const fs::path& path, const std::string& text, std::string& why) {
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << text;
  out.close();
  std::error_code ec;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, ec);  // a private key: owner only
  if (!out || ec) why = "cannot write " + path.string();
  return why.empty();
}

// For makers: a P-256 key and certificate for the device (self-signed, or signed by --ca-cert/--ca-key), the
// device registered with it (x509-thumbprint, or x509-ca), and the connection string to use with them.
int device_cert(DeviceArgs& a) {
  if (a.ca_cert.empty() != a.ca_key.empty()) {
    return report_error({exit_usage, "--ca-cert and --ca-key go together"}, a.service.json);
  }
  std::optional<hub::KeyAndCertificate> issuer;
  if (!a.ca_cert.empty()) {
    auto cert = read_text(a.ca_cert), key = read_text(a.ca_key);
    if (!cert || !key) return report_error({exit_usage, "cannot read --ca-cert or --ca-key"}, a.service.json);
    issuer = hub::KeyAndCertificate{*key, *cert};
  }
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string why;
  auto made = hub::make_certificate({a.id, now - 300, now + std::int64_t{a.days} * 86400, false},
                                    issuer ? &*issuer : nullptr, why);
  auto der = made ? hub::pem_certificate_to_der(made->certificate_pem, why) : std::nullopt;
  auto info = der ? hub::inspect_certificate(*der, why) : std::nullopt;
  if (!info) return report_error({exit_failure, "cannot make the certificate: " + why}, a.service.json);
  json fields = {{"deviceId", a.id}, {"authType", issuer ? "certificateAuthority" : "selfSigned"}};
  if (!issuer) fields["primaryThumbprint"] = info->sha1_thumbprint;
  ServiceError err;
  const auto device = call_hub(a.service, "device.create", fields, err);
  if (!device) return fail(err, a);
  const fs::path out = a.out_dir.empty() ? fs::path(".") : fs::path(a.out_dir);
  std::error_code ec;
  fs::create_directories(out, ec);
  const fs::path cert_file = out / (a.id + ".crt"), key_file = out / (a.id + ".key");
  if (!write_private(key_file, made->key_pem, why) || !write_private(cert_file, made->certificate_pem, why)) {
    return report_error({exit_failure, why}, a.service.json);
  }
  const auto dir = resolve_data_dir(a.service.data);
  const auto hub = load_hub_config(dir, why);
  const std::string cs = hub ? connection_string(*hub, a.id, "", hub->port != 8883) : "";
  if (a.service.json) {
    std::cout << json{{"device", *device},
                      {"connectionString", cs},
                      {"certFile", cert_file.string()},
                      {"keyFile", key_file.string()},
                      {"thumbprint", info->sha1_thumbprint},
                      {"sha256Thumbprint", info->sha256_thumbprint}}
                     .dump(2)
              << '\n';
    return exit_ok;
  }
  std::cout << "created device '" << a.id << "' (" << text_of(*device, "authType") << ")\n"
            << "certificate: " << cert_file.string() << " (P-256, CN=" << a.id << ", valid " << a.days << " days, "
            << (issuer ? "signed by " + a.ca_cert : "SHA-1 thumbprint " + info->sha1_thumbprint) << ")\n"
            << "private key: " << key_file.string() << " (keep it secret)\n";
  if (hub) std::cout << "connection string: " << cs << "\n";
  std::cout << "next: picohub sim --connection-string '" << cs << "' --cert " << cert_file.string() << " --cert-key "
            << key_file.string() << " --ca " << (dir / "ca.crt").string() << "\n";
  return exit_ok;
}

}  // namespace

PICOHUB_COMMAND(61, [](CLI::App& root, int& exit_code) {
  auto* device = root.add_subcommand("device",
                                     "the local hub's device registry: create, list, show, delete, "
                                     "enable, disable, connection-string, cert");
  device->require_subcommand(1);

  auto add = [&](const char* name, const char* help, bool needs_id, auto run) {
    auto args = std::make_shared<DeviceArgs>();
    auto* sub = device->add_subcommand(name, help);
    add_service_options(*sub, args->service);
    if (needs_id) sub->add_option("id", args->id, "device id")->required();
    sub->callback([args, run, &exit_code] { exit_code = run(*args); });
    return std::make_pair(sub, args);
  };

  {
    auto [sub, args] = add("create", "register a device (symmetric keys generated unless given)", true, device_create);
    sub->add_option("--primary-key", args->primary_key, "base64 primary key (default: 32 random bytes)");
    sub->add_option("--secondary-key", args->secondary_key, "base64 secondary key (default: 32 random bytes)");
    sub->add_flag("--disabled", args->disabled, "create it disabled (it cannot connect until enabled)");
    sub->add_option("--auth", args->auth,
                    "sas (default), x509-thumbprint (self-signed certificate) or x509-ca (signed by a CA added "
                    "with picohub ca add); docs/x509.md");
    sub->add_option("--primary-thumbprint", args->primary_thumbprint,
                    "x509-thumbprint: SHA-1 or SHA-256 of the device certificate (hex, any case, ':' allowed)");
    sub->add_option("--secondary-thumbprint", args->secondary_thumbprint, "x509-thumbprint: a second certificate's");
  }
  {
    auto [sub, args] = add("cert",
                           "make a P-256 key + certificate for a new device and register it with them (self-signed, "
                           "or signed by --ca-cert/--ca-key)",
                           true, device_cert);
    sub->add_option("--out", args->out_dir, "directory for ID.crt and ID.key (default: .)");
    sub->add_option("--days", args->days, "validity in days (default 365)")->check(CLI::Range(1, 36500));
    sub->add_option("--ca-cert", args->ca_cert, "sign with this CA certificate (PEM; registered with picohub ca add)");
    sub->add_option("--ca-key", args->ca_key, "the CA's private key (PEM)");
  }
  add("list", "list devices with status, connection state and queued C2D messages", false, device_list);
  add("show", "show one device, its keys (or thumbprints) and state", true, device_show);
  add("delete", "delete a device, its twin and its C2D queue (a connected device is disconnected)", true,
      device_delete);
  add("enable", "let a device connect again", true, [](DeviceArgs& a) { return device_set_status(a, "enabled"); });
  add("disable", "refuse a device's connections (a connected device is disconnected)", true,
      [](DeviceArgs& a) { return device_set_status(a, "disabled"); });
  {
    auto [sub, args] = add("connection-string", "print the device's connection string", true, device_connection_string);
    sub->add_option("--key", args->key, "primary (default) or secondary");
    sub->add_flag("--gateway", args->gateway,
                  "append GatewayHostName=localhost:<port> so picohub sim and the Node SDK reach this local hub "
                  "on any port");
  }
});

}  // namespace picohub::cli
