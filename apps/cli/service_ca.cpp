// `picohub ca add|list|delete|create`: the CA certificates registered with the local hub. A device created with
// --auth x509-ca connects with a certificate that chains to one of them and names it in its subject CN
// (docs/x509.md). `create` is for makers: a P-256 CA key + certificate, registered at once.
#include "command.hpp"
#include "data_dir.hpp"
#include "service_call.hpp"

#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>

#include "hub/x509_maker.hpp"

namespace picohub::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct CaArgs {
  ServiceOptions service;
  std::string name;
  std::string file;
  std::string out_dir;
  int days = 3650;
};

int ca_add_pem(CaArgs& a, const std::string& pem) {
  ServiceError err;
  const auto ca = call_hub(a.service, "ca.add", {{"name", a.name}, {"pem", pem}}, err);
  if (!ca) return report_error(err, a.service.json);
  if (a.service.json) {
    std::cout << ca->dump(2) << '\n';
  } else {
    std::cout << "registered CA '" << a.name << "': " << ca->value("subject", "") << " (SHA-1 "
              << ca->value("thumbprint", "") << ", expires " << ca->value("expiry", "") << ")\n"
              << "devices created with --auth x509-ca may now connect with certificates it signed (CN = device id)\n";
  }
  return exit_ok;
}

int ca_add(CaArgs& a) {
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return report_error({exit_usage, "cannot read " + a.file}, a.service.json);
  return ca_add_pem(a, std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

int ca_list(CaArgs& a) {
  ServiceError err;
  const auto body = call_hub(a.service, "ca.list", json::object(), err);
  if (!body) return report_error(err, a.service.json);
  const json list = body->value("certificates", json::array());
  if (a.service.json) {
    std::cout << list.dump(2) << '\n';
    return exit_ok;
  }
  if (list.empty()) std::cout << "no CA certificates: add one with picohub ca add NAME FILE.pem\n";
  for (const auto& c : list) {
    std::cout << std::left << std::setw(16) << c.value("name", "") << std::setw(42) << c.value("thumbprint", "")
              << std::setw(24) << c.value("expiry", "") << c.value("subject", "") << "\n";
  }
  return exit_ok;
}

int ca_delete(CaArgs& a) {
  ServiceError err;
  if (!call_hub(a.service, "ca.delete", {{"name", a.name}}, err)) return report_error(err, a.service.json);
  if (a.service.json) {
    std::cout << json{{"deleted", a.name}}.dump(2) << '\n';
  } else {
    std::cout << "deleted CA '" << a.name << "': devices it signed can no longer connect unless another CA vouches\n";
  }
  return exit_ok;
}

int ca_create(CaArgs& a) {
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string why;
  auto made = hub::make_certificate({a.name, now - 300, now + std::int64_t{a.days} * 86400, true}, nullptr, why);
  if (!made) return report_error({exit_failure, "cannot make the CA: " + why}, a.service.json);
  const fs::path out = a.out_dir.empty() ? fs::path(".") : fs::path(a.out_dir);
  std::error_code ec;
  fs::create_directories(out, ec);
  const fs::path cert = out / (a.name + ".crt"), key = out / (a.name + ".key");
  std::ofstream(key, std::ios::trunc) << made->key_pem;
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write, ec);
  std::ofstream(cert, std::ios::trunc) << made->certificate_pem;
  if (!a.service.json)
    std::cout << "CA key: " << key.string() << " (keep it secret)\nCA certificate: " << cert.string() << "\n";
  const int rc = ca_add_pem(a, made->certificate_pem);
  if (rc == exit_ok && !a.service.json) {
    std::cout << "next: picohub device cert DEVICE --ca-cert " << cert.string() << " --ca-key " << key.string() << "\n";
  }
  return rc;
}

}  // namespace

PICOHUB_COMMAND(68, [](CLI::App& root, int& exit_code) {
  auto* ca = root.add_subcommand("ca", "CA certificates for X.509 devices (--auth x509-ca): add, list, delete, create");
  ca->require_subcommand(1);
  auto add = [&](const char* name, const char* help, bool needs_name, auto run) {
    auto args = std::make_shared<CaArgs>();
    auto* sub = ca->add_subcommand(name, help);
    add_service_options(*sub, args->service);
    if (needs_name) sub->add_option("name", args->name, "a name for the CA in this hub")->required();
    sub->callback([args, run, &exit_code] { exit_code = run(*args); });
    return std::make_pair(sub, args);
  };
  {
    auto [sub, args] = add("add", "register a CA certificate (PEM)", true, ca_add);
    sub->add_option("file", args->file, "the CA certificate, PEM")->required();
  }
  add("list", "list the registered CA certificates", false, ca_list);
  add("delete", "unregister a CA certificate", true, ca_delete);
  {
    auto [sub, args] = add("create", "make a P-256 CA (NAME.crt, NAME.key) and register it", true, ca_create);
    sub->add_option("--out", args->out_dir, "directory for NAME.crt and NAME.key (default: .)");
    sub->add_option("--days", args->days, "validity in days (default 3650)")->check(CLI::Range(1, 36500));
  }
});

}  // namespace picohub::cli
