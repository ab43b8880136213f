// Certificates for the local hub, made with the `openssl` command (Debian package openssl, already a setup
// dependency). Why the command and not mbedTLS x509write: the CLI does not link mbedTLS, openssl gives correct
// SAN/extension encoding in a few lines, and key generation is a one-time step of `hub start`.
// Why RSA 2048 and not P-256: the board's TLS stack is configured for Azure's RSA chain (DigiCert Global Root G2),
// so an RSA hub certificate works with every client we have: mbedTLS on the board, libmosquitto, Node.
#include "service_hub.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <grp.h>
#include <pwd.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace picohub::cli {

namespace fs = std::filesystem;

// The ancestors of `dir`, outermost first ("/", "/root", "/root/.local", ...), without `dir` itself.
static std::vector<fs::path> ancestors_of(const fs::path& dir) {
  std::vector<fs::path> out;
  for (fs::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    out.insert(out.begin(), p);
    if (p == p.root_path()) break;
  }
  return out;
}

// Asks the kernel, as `user`, whether it can traverse every ancestor of `dir` and read `plugin` (a child process
// switches to the user: this honours groups and ACLs, which reading mode bits would not). Returns "" when it
// can, else what blocks it.
static std::string unreachable_for(const passwd& user, const fs::path& dir, const fs::path& plugin) {
  const auto parents = ancestors_of(dir);
  const pid_t pid = ::fork();
  if (pid < 0) return "cannot check (fork failed)";
  if (pid == 0) {
    if (::initgroups(user.pw_name, user.pw_gid) != 0 || ::setgid(user.pw_gid) != 0 || ::setuid(user.pw_uid) != 0) {
      std::_Exit(126);
    }
    for (std::size_t i = 0; i < parents.size() && i < 100; ++i) {
      if (::access(parents[i].c_str(), X_OK) != 0) std::_Exit(static_cast<int>(i + 1));
    }
    std::_Exit(::access(plugin.c_str(), R_OK) == 0 ? 0 : 101);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 126;
  if (code == 0) return "";
  if (code == 101) return "it cannot read the plugin " + plugin.string();
  if (code >= 1 && code <= static_cast<int>(parents.size())) {
    return "it cannot enter " + parents[static_cast<std::size_t>(code - 1)].string();
  }
  return "cannot check whether it can reach the data dir";
}

Ownership decide_ownership(const fs::path& dir, const fs::path& plugin) {
  Ownership own;
  if (::geteuid() != 0) return own;
  own.as_root = true;
  own.broker_user = "root";
  const passwd* pw = ::getpwnam("mosquitto");
  if (pw == nullptr) {
    own.why_root = "there is no user mosquitto on this system";
    return own;
  }
  const passwd user = *pw;  // getpwnam's buffer is static
  const std::string name = user.pw_name;
  if (std::string blocked = unreachable_for(user, dir, plugin); !blocked.empty()) {
    own.why_root = "user mosquitto cannot reach the data dir (" + blocked + ")";
    return own;
  }
  own.broker_user = name;
  own.broker_uid = user.pw_uid;
  own.broker_gid = user.pw_gid;
  return own;
}

bool secure_file(const fs::path& file, const Ownership& own, bool secret, std::string& why) {
  mode_t mode = secret ? 0600 : 0644;
  if (own.shares_with_broker_group() && secret) {
    mode = 0640;
    if (::chown(file.c_str(), 0, own.broker_gid) != 0) {
      why = "cannot give " + file.string() + " to group mosquitto: " + std::strerror(errno);
      return false;
    }
  }
  if (::chmod(file.c_str(), mode) != 0) {
    why = "cannot set the mode of " + file.string() + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool secure_dir(const fs::path& dir, const Ownership& own, std::string& why) {
  mode_t mode = 0700;
  if (own.shares_with_broker_group()) {
    mode = 0770;
    if (::chown(dir.c_str(), 0, own.broker_gid) != 0) {
      why = "cannot give " + dir.string() + " to group mosquitto: " + std::strerror(errno);
      return false;
    }
  }
  if (::chmod(dir.c_str(), mode) != 0) {
    why = "cannot set the mode of " + dir.string() + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

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

bool ensure_certificates(const fs::path& dir, const std::string& host_name, const Ownership& own, std::string& why) {
  const fs::path log = dir / "openssl.log";
  const fs::path ca_crt = dir / "ca.crt", ca_key = dir / "ca.key";
  const fs::path crt = dir / "server.crt", key = dir / "server.key", marker = dir / "server.host";
  std::error_code ec;
  bool new_ca = false;
  if (!fs::exists(ca_crt, ec) || !fs::exists(ca_key, ec)) {
    if (!run_openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "3650", "-keyout",
                      ca_key.string(), "-out", ca_crt.string(), "-subj", "/O=picohub/CN=picohub local CA", "-addext",
                      "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"},
                     log, why)) {
      return false;
    }
    new_ca = true;
  }
  // The CA key stays 0600 root-only even as root: the broker never reads it, and group mosquitto must not be able
  // to mint certificates that devices trust.
  if (!secure_file(ca_key, Ownership{}, true, why) || !secure_file(ca_crt, own, false, why)) return false;

  if (!new_ca && fs::exists(crt, ec) && fs::exists(key, ec) && read_text(marker) == host_name) {
    return secure_file(key, own, true, why) && secure_file(crt, own, false, why);
  }
  const fs::path csr = dir / "server.csr", ext = dir / "server.ext";
  {
    std::ofstream out(ext, std::ios::trunc);
    out << "basicConstraints=critical,CA:FALSE\n"
        << "keyUsage=critical,digitalSignature,keyEncipherment\n"
        << "extendedKeyUsage=serverAuth\n"
        << "subjectAltName=DNS:" << host_name << (host_name == "localhost" ? "" : ",DNS:localhost")
        << ",IP:127.0.0.1,IP:::1\n";
  }
  // Certificates are valid 825 days (the longest browsers and Apple clients accept for a server certificate).
  if (!run_openssl({"req", "-new", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", key.string(), "-out",
                    csr.string(), "-subj", "/O=picohub/CN=" + host_name},
                   log, why) ||
      !run_openssl({"x509", "-req", "-in", csr.string(), "-CA", ca_crt.string(), "-CAkey", ca_key.string(),
                    "-set_serial", "0x" + std::to_string(::getpid()) + std::to_string(::time(nullptr)), "-days",
                    "825", "-sha256", "-extfile", ext.string(), "-out", crt.string()},
                   log, why)) {
    return false;
  }
  fs::remove(csr, ec);
  fs::remove(ext, ec);
  fs::remove(log, ec);
  std::ofstream(marker, std::ios::trunc) << host_name;
  return secure_file(key, own, true, why) && secure_file(crt, own, false, why);
}

}  // namespace picohub::cli
