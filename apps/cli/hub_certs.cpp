// Certificates for the local hub, made with the `openssl` command (Debian package openssl, already a setup
// dependency). Why the command and not mbedTLS x509write: the CLI does not link mbedTLS, openssl gives correct
// SAN/extension encoding in a few lines, and key generation is a one-time step of `hub start`.
// Why RSA 2048 and not P-256: the board's TLS stack is configured for Azure's RSA chain (DigiCert Global Root G2),
// so an RSA hub certificate works with every client we have: mbedTLS on the board, libmosquitto, Node.
//
// Two chain shapes (`hub start --chain`):
//  - default: the root CA (RSA 2048, ca.crt) signs the server certificate (RSA 2048) directly.
//  - azure:   the same root signs an intermediate CA (RSA 4096, intermediate.crt) that signs the server
//             certificate (RSA 2048, SHA-384 signatures), and the server sends leaf + intermediate: the shape
//             and the 4 KB+ server flight of Azure IoT Hub (DigiCert Global Root G2 -> Microsoft Azure RSA TLS
//             Issuing CA, RSA 4096 -> *.azure-devices.net), so a board's handshake costs what it costs there.
// Both keep ca.crt, so devices provisioned with it work with either shape.
//
// Every certificate made here starts one day in the past (as public CAs backdate theirs), so a device whose
// clock is a little behind is not refused with "not valid yet". OpenSSL 3.0's `x509 -req` cannot set the start
// date, `openssl ca -startdate` can: it runs in a scratch folder with a throwaway database.
#include "service_hub.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <optional>
#include <grp.h>
#include <pwd.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace picohub::cli {

namespace fs = std::filesystem;

// Runs openssl with args, output to a log; returns true on exit status 0.
static bool run_openssl(const std::vector<std::string>& args, const fs::path& log, std::string& why) {
  std::vector<char*> argv;
  std::string program = "openssl";
  argv.push_back(program.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    why = "cannot start openssl: " + std::string(std::strerror(errno));
    return false;
  }
  if (pid == 0) {
    if (FILE* f = std::fopen(log.c_str(), "a"); f != nullptr) {
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
    }
    ::umask(077);
    ::execvp("openssl", argv.data());
    std::_Exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    why = "the openssl command is missing: install it (apt-get install openssl) or run ./run setup";
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    why = "openssl failed making the hub's certificates: see " + log.string();
    return false;
  }
  return true;
}

static std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<ChainShape> parse_chain_shape(const std::string& text) {
  if (text == "default") return ChainShape::single;
  if (text == "azure") return ChainShape::azure;
  return std::nullopt;
}

const char* chain_shape_name(ChainShape shape) { return shape == ChainShape::azure ? "azure" : "default"; }

// "YYYYMMDDHHMMSSZ" for `openssl ca -startdate/-enddate`.
static std::string openssl_time(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d%H%M%SZ", &tm);
  return text;
}

namespace {

constexpr std::time_t one_day_s = 24 * 60 * 60;

// The policy, CRL and issuer pointers a public CA puts in what it issues (the azure shape carries them for size;
// nothing here serves those URLs and no client of the local hub fetches them).
constexpr const char* issuer_references =
    "certificatePolicies=2.23.140.1.2.2\n"
    "crlDistributionPoints=URI:http://crl.picohub.invalid/picohub-azure-shaped-tls-issuing-ca.crl\n"
    "authorityInfoAccess=caIssuers;URI:http://ca.picohub.invalid/picohub-azure-shaped-tls-issuing-ca.crt,"
    "OCSP;URI:http://ocsp.picohub.invalid\n";

// One certificate to issue: the subject's CSR (made by `openssl req -new`), its extensions, validity and digest.
struct Issue {
  fs::path csr, out;
  fs::path issuer_crt, issuer_key;  // empty issuer_crt: self-signed with issuer_key
  std::string extensions;           // extension lines (openssl x509v3 config syntax)
  int days = 825;
  std::string digest = "sha256";
};

// Signs `issue` with `openssl ca`, valid from one day ago for `days` days.
bool sign_backdated(const fs::path& dir, const Issue& issue, const fs::path& log, std::string& why) {
  const fs::path scratch = dir / "ca-scratch";
  std::error_code ec;
  fs::remove_all(scratch, ec);
  fs::create_directories(scratch, ec);
  { std::ofstream index(scratch / "index.txt", std::ios::trunc); }  // openssl ca wants its database to exist
  // A serial unique enough for a local CA: the time and the pid (16 hex digits: openssl wants an even count).
  const unsigned long long serial = static_cast<unsigned long long>(::time(nullptr)) << 16 |
                                    static_cast<unsigned>(::getpid() & 0xffff);
  std::ofstream(scratch / "serial", std::ios::trunc)
      << std::hex << std::setw(16) << std::setfill('0') << serial << "\n";
  std::ofstream(scratch / "ext.cnf", std::ios::trunc) << issue.extensions;
  std::ofstream(scratch / "ca.cnf", std::ios::trunc)
      << "[ca]\ndefault_ca = picohub\n[picohub]\ndatabase = " << (scratch / "index.txt").string()
      << "\nnew_certs_dir = " << scratch.string() << "\nserial = " << (scratch / "serial").string()
      << "\npolicy = any\nunique_subject = no\ncopy_extensions = none\n[any]\norganizationName = optional\n"
      << "commonName = supplied\n";
  const std::time_t now = ::time(nullptr);
  std::vector<std::string> args{"ca",
                                "-batch",
                                "-notext",
                                "-config",
                                (scratch / "ca.cnf").string(),
                                "-in",
                                issue.csr.string(),
                                "-out",
                                issue.out.string(),
                                "-keyfile",
                                issue.issuer_key.string(),
                                "-md",
                                issue.digest,
                                "-extfile",
                                (scratch / "ext.cnf").string(),
                                "-startdate",
                                openssl_time(now - one_day_s),
                                "-enddate",
                                openssl_time(now + static_cast<std::time_t>(issue.days) * one_day_s)};
  if (issue.issuer_crt.empty()) {
    args.emplace_back("-selfsign");
  } else {
    args.insert(args.end(), {"-cert", issue.issuer_crt.string()});
  }
  const bool ok = run_openssl(args, log, why);
  fs::remove_all(scratch, ec);
  return ok;
}

// A new key (RSA of `bits`) and its CSR for `subject`.
bool new_key_and_csr(int bits, const fs::path& key, const fs::path& csr, const std::string& subject,
                     const fs::path& log, std::string& why) {
  return run_openssl({"req", "-new", "-newkey", "rsa:" + std::to_string(bits), "-nodes", "-keyout", key.string(),
                      "-out", csr.string(), "-subj", subject},
                     log, why);
}

bool make_root(const fs::path& dir, const fs::path& log, std::string& why) {
  const fs::path csr = dir / "ca.csr";
  const bool ok = new_key_and_csr(2048, dir / "ca.key", csr, "/O=picohub/CN=picohub local CA", log, why) &&
                  sign_backdated(dir,
                                 Issue{csr,
                                       dir / "ca.crt",
                                       {},
                                       dir / "ca.key",
                                       "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                                       "subjectKeyIdentifier=hash\n",
                                       3650,
                                       "sha256"},
                                 log, why);
  std::error_code ec;
  fs::remove(csr, ec);
  return ok;
}

// The azure shape's intermediate CA: RSA 4096, signed by the root with SHA-384 (as DigiCert signs Microsoft's).
bool make_intermediate(const fs::path& dir, const fs::path& log, std::string& why) {
  const fs::path csr = dir / "intermediate.csr";
  const bool ok = new_key_and_csr(4096, dir / "intermediate.key", csr,
                                  "/O=picohub/CN=picohub Azure-shaped TLS issuing CA", log, why) &&
                  sign_backdated(
                      dir,
                      Issue{csr, dir / "intermediate.crt", dir / "ca.crt", dir / "ca.key",
                            "basicConstraints=critical,CA:TRUE,pathlen:0\n"
                            "keyUsage=critical,digitalSignature,keyCertSign,cRLSign\nextendedKeyUsage=serverAuth\n"
                            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n" +
                                std::string(issuer_references),
                            1825, "sha384"},
                      log, why);
  std::error_code ec;
  fs::remove(csr, ec);
  return ok;
}

// The server certificate (RSA 2048) for host_name, issued by the root (default) or the intermediate (azure);
// server.crt then holds what the server sends: the leaf, plus the intermediate for azure.
bool make_server(const fs::path& dir, const std::string& host_name, ChainShape shape, const fs::path& log,
                 std::string& why) {
  const fs::path csr = dir / "server.csr", leaf = dir / "server-leaf.crt";
  std::ostringstream ext;
  ext << "basicConstraints=critical,CA:FALSE\n"
      << "keyUsage=critical,digitalSignature,keyEncipherment\n"
      << "extendedKeyUsage=serverAuth\n"
      << "subjectAltName=DNS:" << host_name << (host_name == "localhost" ? "" : ",DNS:localhost")
      << ",IP:127.0.0.1,IP:::1\n"
      << "authorityKeyIdentifier=keyid\n";
  const bool azure = shape == ChainShape::azure;
  if (azure) {
    // What Azure's leaf carries beyond names and keys: policies, where to find the issuer and its CRL, and a
    // signed certificate timestamp list (~650 bytes), stood in for by an extension under the example arc 2.999
    // that clients ignore. Together the flight is Azure's size (4 KB+), which is what the board's 16 KiB
    // record buffer and its arena must hold.
    ext << issuer_references << "2.999.1=ASN1:FORMAT:HEX,OCTETSTRING:" << std::string(2 * 650, '5') << "\n";
  }
  const fs::path issuer = azure ? dir / "intermediate" : dir / "ca";
  // Valid 825 days (the longest browsers and Apple clients accept for a server certificate).
  bool ok = new_key_and_csr(2048, dir / "server.key", csr, "/O=picohub/CN=" + host_name, log, why) &&
            sign_backdated(
                dir,
                Issue{csr, leaf, fs::path(issuer).replace_extension(".crt"), fs::path(issuer).replace_extension(".key"),
                      ext.str(), 825, azure ? "sha384" : "sha256"},
                log, why);
  std::error_code ec;
  fs::remove(csr, ec);
  if (!ok) return false;
  std::ofstream out(dir / "server.crt", std::ios::trunc);
  out << read_text(leaf);
  if (azure) out << read_text(dir / "intermediate.crt");
  fs::remove(leaf, ec);
  return static_cast<bool>(out);
}

}  // namespace

ChainShape chain_shape_of(const fs::path& dir) {
  return parse_chain_shape(read_text(dir / "server.chain")).value_or(ChainShape::single);
}

bool ensure_certificates(const fs::path& dir, const std::string& host_name, const Ownership& own,
                         std::optional<ChainShape> requested, std::string& why) {
  const fs::path log = dir / "openssl.log";
  const fs::path ca_crt = dir / "ca.crt", ca_key = dir / "ca.key";
  const fs::path crt = dir / "server.crt", key = dir / "server.key", marker = dir / "server.host";
  const fs::path chain_marker = dir / "server.chain";
  std::error_code ec;
  bool new_ca = false;
  if (!fs::exists(ca_crt, ec) || !fs::exists(ca_key, ec)) {
    if (!make_root(dir, log, why)) return false;
    new_ca = true;
  }
  // The CA keys stay 0600 root-only even as root: the broker never reads them, and group mosquitto must not be
  // able to mint certificates that devices trust.
  if (!secure_file(ca_key, Ownership{}, true, why) || !secure_file(ca_crt, own, false, why)) return false;

  // A data dir from before chain shapes has no marker: it is the default shape.
  const ChainShape current = chain_shape_of(dir);
  const ChainShape shape = requested.value_or(current);
  if (!new_ca && shape == current && fs::exists(crt, ec) && fs::exists(key, ec) && read_text(marker) == host_name) {
    return secure_file(key, own, true, why) && secure_file(crt, own, false, why);
  }
  if (shape == ChainShape::azure) {
    const fs::path inter_crt = dir / "intermediate.crt", inter_key = dir / "intermediate.key";
    if (new_ca || !fs::exists(inter_crt, ec) || !fs::exists(inter_key, ec)) {
      if (!make_intermediate(dir, log, why)) return false;
    }
    if (!secure_file(inter_key, Ownership{}, true, why) || !secure_file(inter_crt, own, false, why)) return false;
  }
  if (!make_server(dir, host_name, shape, log, why)) return false;
  fs::remove(log, ec);
  std::ofstream(marker, std::ios::trunc) << host_name;
  std::ofstream(chain_marker, std::ios::trunc) << chain_shape_name(shape);
  return secure_file(key, own, true, why) && secure_file(crt, own, false, why);
}

}  // namespace picohub::cli
