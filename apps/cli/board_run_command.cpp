// `picohub board run`: the firmware UF2 in the virtual W5100S-EVB-Pico (tools/vboard, Node + rp2040js) on its
// virtual LAN, against the local hub. Without --uf2 it provisions one on the fly (`picohub board uf2` with the
// hub's CA and GatewayHostName = the hub certificate's name, which the virtual DNS maps to the bridged address).
// The board's console goes to stdout; Ctrl-C (or --max-time) stops the board and its node process.
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "command.hpp"
#include "common/error.hpp"
#include "data_dir.hpp"
#include "duration.hpp"

#ifndef PICOHUB_VBOARD_DIR
#define PICOHUB_VBOARD_DIR "tools/vboard"
#endif

namespace picohub::cli {
namespace {

namespace fs = std::filesystem;

struct BoardRunOptions {
  std::string uf2;
  std::string connection_string;
  std::string device;
  std::string data;
  std::string max_time;  // empty: until Ctrl-C
  std::string interval = "2s";
  std::string firmware;
  std::vector<std::string> vboard_args;  // after `--`, passed to run.mjs as is (e.g. --expect, --fault)
};

// The board's address for the hub on the virtual LAN; the firmware reaches it as <hub name>:8883.
constexpr const char* hub_lan_address = "192.0.2.20";

struct Failure {
  int exit_code;
  std::string message;
};

template <class T>
using Checked = tl::expected<T, Failure>;

// In a forked child: runs argv[0] with argv, or ends the child with 127 when it cannot.
[[noreturn]] void exec_argv(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

tl::unexpected<Failure> fail(int exit_code, std::string message) {
  return tl::unexpected<Failure>(Failure{exit_code, std::move(message)});
}

// $PICOHUB_NODE, else `node` on PATH.
Checked<std::string> find_node() {
  if (const char* given = std::getenv("PICOHUB_NODE"); given && *given) {
    if (::access(given, X_OK) == 0) return std::string(given);
    return fail(exit_failure, std::string("PICOHUB_NODE=") + given + " is not an executable");
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const auto colon = std::min(dirs.find(':', start), dirs.size());
    const fs::path candidate = fs::path(dirs.substr(start, colon - start)) / "node";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = colon + 1;
  }
  return fail(exit_failure,
              "node is not installed (the virtual board runs in Node.js): run ./run setup, or "
              "apt-get install nodejs, or set PICOHUB_NODE");
}

// $PICOHUB_VBOARD, else the source tree's tools/vboard (compiled in), with rp2040js installed.
Checked<fs::path> find_vboard() {
  const char* given = std::getenv("PICOHUB_VBOARD");
  const fs::path dir = given && *given ? fs::path(given) : fs::path(PICOHUB_VBOARD_DIR);
  if (!fs::exists(dir / "run.mjs"))
    return fail(exit_failure, "the virtual board is not at " + dir.string() +
                                  " (no run.mjs): set PICOHUB_VBOARD to picohub's tools/vboard");
  if (!fs::exists(dir / "node_modules" / "rp2040js"))
    return fail(exit_failure,
                "rp2040js is not installed in " + dir.string() + ": run scripts/vboard-setup.sh (./run setup does)");
  return dir;
}

// Runs argv to completion with `env_extra` added; its stdout goes to `out_path` (or stays ours if empty).
int run_child(const std::vector<std::string>& argv, const std::vector<std::string>& env_extra,
              const std::string& out_path) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    for (const auto& kv : env_extra) ::putenv(const_cast<char*>(kv.c_str()));
    if (!out_path.empty()) {
      const int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) ::dup2(fd, STDOUT_FILENO);
    }
    exec_argv(argv);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string read_text(const fs::path& path) {
  std::string text;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
    std::fclose(f);
  }
  return text;
}

// The connection string with GatewayHostName pointing at the hub certificate's name on port 8883 (the port the
// board dials; the bridge carries it to the hub's real loopback port).
std::string with_gateway(const std::string& cs, const std::string& host_name) {
  std::string out;
  for (std::size_t start = 0; start < cs.size();) {
    const auto semi = std::min(cs.find(';', start), cs.size());
    const std::string part = cs.substr(start, semi - start);
    if (!part.empty() && part.rfind("GatewayHostName=", 0) != 0) out += (out.empty() ? "" : ";") + part;
    start = semi + 1;
  }
  return out + ";GatewayHostName=" + host_name + ":8883";
}

// The device's connection string from the hub registry (`picohub device connection-string`, run as a child).
Checked<std::string> device_connection_string(const BoardRunOptions& o, const fs::path& dir, const fs::path& work) {
  const fs::path out = work / "cs.txt";
  const int rc = run_child({"/proc/self/exe", "device", "connection-string", o.device, "--data-dir", dir.string()}, {},
                           out.string());
  std::string cs = read_text(out);
  fs::remove(out);
  if (const auto nl = cs.find('\n'); nl != std::string::npos) cs.resize(nl);
  if (rc != 0 || cs.rfind("HostName=", 0) != 0)
    return fail(exit_usage, "no device '" + o.device + "' in the hub at " + dir.string() +
                                ": create it with picohub device create " + o.device);
  return cs;
}

// A UF2 for this run in `work` (mode 0700: it holds the device key), made by `picohub board uf2`.
Checked<fs::path> provision_uf2(const BoardRunOptions& o, const fs::path& dir, const HubConfig& hub,
                                const fs::path& work) {
  std::string cs = o.connection_string;
  if (cs.empty()) {
    auto from_registry = device_connection_string(o, dir, work);
    if (!from_registry) return tl::unexpected(from_registry.error());
    cs = *from_registry;
  }
  const fs::path uf2 = work / "board.uf2";
  std::vector<std::string> argv{"/proc/self/exe", "board",    "uf2", "--ca",      (dir / "ca.crt").string(),
                                "--interval",     o.interval, "-o",  uf2.string()};
  if (!o.firmware.empty()) argv.insert(argv.end(), {"--firmware", o.firmware});
  // Through the environment, so the key is not on a command line other users can read.
  const int rc = run_child(argv, {"PICOHUB_CONNECTION_STRING=" + with_gateway(cs, hub.host_name)},
                           (work / "uf2.txt").string());
  if (rc != 0) return fail(rc == exit_usage ? exit_usage : exit_failure, "could not provision the board (see above)");
  return uf2;
}

volatile std::sig_atomic_t board_pid = 0;

// Ctrl-C / SIGTERM: pass it on to the node child, which stops the board and closes its bridged connections.
extern "C" void forward_signal(int signal) {
  if (board_pid > 0) ::kill(static_cast<pid_t>(board_pid), signal);
}

std::vector<std::string> vboard_argv(const BoardRunOptions& o, const std::string& node, const fs::path& vboard,
                                     const fs::path& uf2, const HubConfig& hub, std::uint64_t max_ms) {
  // Unbounded runs get limits far beyond any session (run.mjs wants positive numbers).
  const std::string limit = std::to_string(max_ms > 0 ? max_ms : 100ull * 24 * 3600 * 1000);
  std::vector<std::string> argv{
      node,        (vboard / "run.mjs").string(),
      "--uf2",     uf2.string(),
      "--max-ms",  limit,
      "--wall-ms", limit,
      "--host",    hub.host_name + "=" + hub_lan_address,
      "--bridge",  std::string(hub_lan_address) + ":8883=127.0.0.1:" + std::to_string(hub.port)};
  argv.insert(argv.end(), o.vboard_args.begin(), o.vboard_args.end());
  return argv;
}

// Starts node with the board and waits for it, forwarding Ctrl-C; returns run.mjs's exit code.
int run_vboard(const std::vector<std::string>& argv) {
  struct sigaction action {};
  action.sa_handler = forward_signal;
  ::sigemptyset(&action.sa_mask);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::setpgid(0, 0);                     // its own group: a terminal's Ctrl-C reaches it once, through us
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // and it does not outlive us if we are killed outright
    exec_argv(argv);
  }
  board_pid = pid;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGHUP, &action, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  board_pid = 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Checked<int> run_board(const BoardRunOptions& o) {
  std::uint64_t max_ms = 0;
  if (!o.max_time.empty() && (!parse_duration_ms(o.max_time, max_ms) || max_ms == 0))
    return fail(exit_usage, "--max-time looks like 60s, 1500ms or 2m");
  if (!o.uf2.empty() && (!o.connection_string.empty() || !o.device.empty()))
    return fail(exit_usage, "--uf2 already holds the device's identity: give --connection-string/--device without it");
  if (o.uf2.empty() && o.connection_string.empty() && o.device.empty())
    return fail(exit_usage,
                "which board? --uf2 FILE, --device ID (a device of the local hub) or --connection-string CS");
  const auto node = find_node();
  if (!node) return tl::unexpected(node.error());
  const auto vboard = find_vboard();
  if (!vboard) return tl::unexpected(vboard.error());
  const fs::path dir = resolve_data_dir(o.data);
  std::string why;
  const auto hub = load_hub_config(dir, why);
  if (!hub || running_pid(dir) == 0) return fail(exit_network, no_hub_message(dir));

  char work_template[] = "/tmp/picohub-board-run.XXXXXX";
  if (!::mkdtemp(work_template)) return fail(exit_failure, "cannot create a temporary directory in /tmp");
  const fs::path work = work_template;
  fs::path uf2 = o.uf2;
  if (uf2.empty()) {
    auto made = provision_uf2(o, dir, *hub, work);
    if (!made) {
      std::fputs(read_text(work / "uf2.txt").c_str(), stderr);
      fs::remove_all(work);
      return tl::unexpected(made.error());
    }
    uf2 = *made;
  }
  std::fprintf(stderr,
               "picohub board run: a VIRTUAL W5100S-EVB-Pico (RP2040 in rp2040js, W5100S model) on the virtual LAN "
               "192.0.2.0/24; the hub %s:8883 is %s there, bridged to 127.0.0.1:%d. Ctrl-C stops it.\n",
               hub->host_name.c_str(), hub_lan_address, hub->port);
  std::fflush(stdout);
  const int rc = run_vboard(vboard_argv(o, *node, *vboard, uf2, *hub, max_ms));
  fs::remove_all(work);  // the provisioned UF2 holds the key
  return rc;
}

}  // namespace

// Installed after `board` (order 60) so it can add itself to that verb.
PICOHUB_COMMAND(61, [](CLI::App& root, int& exit_code) {
  CLI::App* board = root.get_subcommand("board");
  auto o = std::make_shared<BoardRunOptions>();
  auto* run = board->add_subcommand("run",
                                    "Run the firmware in the virtual board (rp2040js + W5100S model) against "
                                    "the local hub; console on stdout, Ctrl-C stops it");
  run->add_option("--uf2", o->uf2, "A provisioned UF2 (from picohub board uf2) to boot");
  run->add_option("--device", o->device, "Provision a UF2 on the fly for this device of the local hub");
  run->add_option("--connection-string,-c", o->connection_string,
                  "Provision a UF2 on the fly with this connection string (SharedAccessKey)");
  run->add_option("--data-dir", o->data,
                  "Local hub data directory (default: $PICOHUB_DATA, else ~/.local/share/picohub)");
  run->add_option("--max-time", o->max_time, "Stop after this long (60s, 2m; default: until Ctrl-C)");
  run->add_option("--interval", o->interval, "Telemetry interval of a UF2 provisioned on the fly")
      ->capture_default_str();
  run->add_option("--firmware", o->firmware,
                  "Raw firmware image for a UF2 provisioned on the fly (default: the "
                  "board build's)")
      ->envname("PICOHUB_FIRMWARE");
  run->add_option("vboard-args", o->vboard_args, "After --: more tools/vboard/run.mjs options (--expect, --fault ...)");
  run->callback([o, &exit_code] {
    const auto done = run_board(*o);
    if (!done) std::fprintf(stderr, "picohub board run: %s\n", done.error().message.c_str());
    exit_code = done ? *done : done.error().exit_code;
  });
});

}  // namespace picohub::cli
