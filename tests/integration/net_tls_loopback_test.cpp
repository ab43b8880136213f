// TLS and TCP against an independent peer: `openssl s_server -rev` (echoes each line reversed) on loopback,
// with a throwaway CA and server certificate made by the openssl command in a temp directory.
#include <gtest/gtest.h>

#include <csignal>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "net/connect.hpp"
#include "net/posix_tcp.hpp"
#include "net/tls_context.hpp"
#include "net/tls_transport.hpp"

extern char** environ;

namespace picohub::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Runs a command with stdin/stdout/stderr on /dev/null; returns its exit status (-1 if it could not start).
int run_quiet(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd <= 2; ++fd)
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool have_openssl() { return run_quiet({"openssl", "version"}) == 0; }

// A port nobody listens on right now: bind to port 0, read it back, release it.
std::uint16_t free_port(int family) {
  const int fd = ::socket(family, SOCK_STREAM, 0);
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  }
  std::uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                    : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

// Throwaway PKI: a CA and a server certificate for localhost, 127.0.0.1 and ::1.
struct Pki {
  fs::path dir;
  bool ok = false;
  fs::path ca() const { return dir / "ca.pem"; }
  fs::path cert() const { return dir / "server.pem"; }
  fs::path key() const { return dir / "server.key"; }
};

Pki make_pki() {
  Pki pki;
  char tmpl[] = "/tmp/picohub-net-test-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return pki;
  pki.dir = tmpl;
  const std::string d = pki.dir.string();
  std::ofstream(pki.dir / "server.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n"
                                           "basicConstraints=CA:FALSE\n"
                                           "keyUsage=critical,digitalSignature,keyEncipherment\n"
                                           "extendedKeyUsage=serverAuth\n";
  pki.ok = run_quiet({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/ca.key", "-out",
                      d + "/ca.pem", "-days", "2", "-subj", "/CN=picohub net test CA", "-addext",
                      "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"}) == 0 &&
           run_quiet({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/server.key", "-out",
                      d + "/server.csr", "-subj", "/CN=localhost"}) == 0 &&
           run_quiet({"openssl", "x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.pem", "-CAkey",
                      d + "/ca.key", "-CAcreateserial", "-out", d + "/server.pem", "-days", "2", "-extfile",
                      d + "/server.ext"}) == 0;
  return pki;
}

// `openssl s_server -rev` on a loopback port, stopped (SIGTERM) when this object goes away.
class OpensslServer {
 public:
  OpensslServer(const Pki& pki, const std::string& bind_host, int family, std::vector<std::string> extra = {}) {
    port_ = free_port(family);
    if (port_ == 0) return;
    const std::string accept = (family == AF_INET6 ? "[" + bind_host + "]" : bind_host) + ":" + std::to_string(port_);
    std::vector<std::string> args = {"openssl",           "s_server", "-accept",          accept, "-cert",
                                     pki.cert().string(), "-key",     pki.key().string(), "-rev"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, out[1], 2);
    const int rc = posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    out_ = out[0];
    if (rc != 0) {
      pid_ = -1;
      return;
    }
    // s_server prints ACCEPT once it listens; give it a bounded time to get there.
    const auto deadline = Clock::now() + 15s;
    while (Clock::now() < deadline && log_.find("ACCEPT") == std::string::npos) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[512];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) break;
      log_.append(buf, static_cast<std::size_t>(n));
    }
    ready_ = log_.find("ACCEPT") != std::string::npos;
  }
  ~OpensslServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  OpensslServer(const OpensslServer&) = delete;
  OpensslServer& operator=(const OpensslServer&) = delete;

  bool ready() const { return ready_; }
  std::uint16_t port() const { return port_; }
  const std::string& log() const { return log_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::uint16_t port_ = 0;
  bool ready_ = false;
  std::string log_;
};

// Sends `line` and reads until a newline comes back; bounded by `timeout`.
Result<std::string> echo(Transport& t, const std::string& line, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = Clock::now() + timeout;
  auto left = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()); };
  std::size_t sent = 0;
  while (sent < line.size()) {
    if (left().count() <= 0) return fail(Errc::timeout, "echo: send timed out");
    auto n = t.write(std::span(reinterpret_cast<const std::uint8_t*>(line.data()) + sent, line.size() - sent));
    if (n) {
      sent += *n;
    } else if (n.error().code == Errc::would_block) {
      (void)wait_ready(t, left());
    } else {
      return tl::unexpected(n.error());
    }
  }
  std::string got;
  while (got.find('\n') == std::string::npos) {
    if (left().count() <= 0) return fail(Errc::timeout, "echo: no answer");
    std::uint8_t buf[256];
    auto n = t.read(buf);
    if (n) {
      got.append(reinterpret_cast<const char*>(buf), *n);
    } else if (n.error().code == Errc::would_block) {
      (void)wait_ready(t, left());
    } else {
      return tl::unexpected(n.error());
    }
  }
  return got;
}

class NetTlsLoopback : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    openssl_ = have_openssl();
    if (openssl_) pki_ = new Pki(make_pki());
  }
  static void TearDownTestSuite() {
    if (pki_ != nullptr) {
      std::error_code ec;
      fs::remove_all(pki_->dir, ec);
      delete pki_;
      pki_ = nullptr;
    }
  }
  void SetUp() override {
    if (!openssl_) GTEST_SKIP() << "the openssl command is not installed";
    ASSERT_TRUE(pki_->ok) << "could not generate test certificates with openssl in " << pki_->dir;
  }
  // A context trusting only the test CA (plus, as always by default, the built-in roots).
  static void trust_test_ca(TlsContext& ctx, TlsOptions options = {}) {
    ASSERT_TRUE(ctx.init(options)) << ctx.last_error_detail();
    ASSERT_TRUE(ctx.add_ca_file(pki_->ca().string())) << ctx.last_error_detail();
  }

  static inline bool openssl_ = false;
  static inline Pki* pki_ = nullptr;
};

TEST_F(NetTlsLoopback, HandshakeAndEchoRoundTripSucceedWithTheRightCa) {
  OpensslServer server(*pki_, "127.0.0.1", AF_INET);
  ASSERT_TRUE(server.ready()) << server.log();
  TlsContext ctx;
  trust_test_ca(ctx);
  std::string detail;
  auto t = open_connection({"localhost", server.port(), &ctx}, 15s, &detail);
  ASSERT_TRUE(t) << t.error().what << " / " << detail;
  auto* tls = dynamic_cast<TlsTransport*>(t->get());
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(tls->protocol_version(), "TLSv1.3");  // OpenSSL 3 prefers 1.3 and we allow it on the host
  auto back = echo(**t, "hello picohub\n");
  ASSERT_TRUE(back) << back.error().what;
  EXPECT_EQ(*back, "buhocip olleh\n");
  (*t)->close();
}

TEST_F(NetTlsLoopback, BuiltInTrustStoreAloneRejectsThePrivateCaAsNotTrusted) {
  OpensslServer server(*pki_, "127.0.0.1", AF_INET);
  ASSERT_TRUE(server.ready()) << server.log();
  TlsContext ctx;
  ASSERT_TRUE(ctx.init());
  std::string detail;
  auto t = open_connection({"localhost", server.port(), &ctx}, 15s, &detail);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::certificate_invalid);
  const std::string what = t.error().what;
  EXPECT_NE(what.find("not trusted"), std::string::npos) << what;
  EXPECT_NE(what.find("--ca FILE"), std::string::npos) << what;
  EXPECT_NE(detail.find("not trusted"), std::string::npos) << detail;
}

TEST_F(NetTlsLoopback, NameNotInTheCertificateIsAHostNameMismatch) {
  OpensslServer server(*pki_, "127.0.0.1", AF_INET);
  ASSERT_TRUE(server.ready()) << server.log();
  TlsContext ctx;
  trust_test_ca(ctx);
  PosixTcp tcp;
  ASSERT_TRUE(tcp.start_connect("127.0.0.1", server.port()));
  TlsTransport tls(ctx, tcp, "wrong-name.picohub.test");
  auto r = connect_blocking(tls, 15s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::certificate_invalid);
  EXPECT_NE(std::string(r.error().what).find("does not match the host name"), std::string::npos) << r.error().what;
  EXPECT_NE(tls.last_error_detail().find("wrong-name.picohub.test"), std::string::npos) << tls.last_error_detail();
}

TEST_F(NetTlsLoopback, Ipv6LoopbackConnectAndEchoWork) {
  OpensslServer server(*pki_, "::1", AF_INET6);
  ASSERT_TRUE(server.ready()) << server.log();
  TlsContext ctx;
  trust_test_ca(ctx);
  std::string detail;
  auto t = open_connection({"::1", server.port(), &ctx}, 15s, &detail);
  ASSERT_TRUE(t) << t.error().what << " / " << detail;
  auto back = echo(**t, "ipv6\n");
  ASSERT_TRUE(back) << back.error().what;
  EXPECT_EQ(*back, "6vpi\n");
}

TEST_F(NetTlsLoopback, PinnedTls12NegotiatesAnEcdheRsaSuite) {
  OpensslServer server(*pki_, "127.0.0.1", AF_INET);
  ASSERT_TRUE(server.ready()) << server.log();
  TlsContext ctx;
  TlsOptions options;
  options.allow_tls13 = false;
  trust_test_ca(ctx, options);
  PosixTcp tcp;
  ASSERT_TRUE(tcp.start_connect("127.0.0.1", server.port()));
  TlsTransport tls(ctx, tcp, "localhost");
  auto r = connect_blocking(tls, 15s);
  ASSERT_TRUE(r) << r.error().what << " / " << tls.last_error_detail();
  EXPECT_EQ(tls.protocol_version(), "TLSv1.2");
  EXPECT_NE(tls.ciphersuite().find("ECDHE-RSA"), std::string::npos) << tls.ciphersuite();
  auto back = echo(tls, "tls12\n");
  ASSERT_TRUE(back) << back.error().what;
  EXPECT_EQ(*back, "21slt\n");
}

// Each suite IoT Hub enforces, forced on the server side one at a time, with a server that only speaks TLS 1.2
// while we offer 1.2 and 1.3 (this once failed: mbedTLS 3.6 rejects the RSA-PSS ServerKeyExchange OpenSSL picks
// from a PSS-first signature_algorithms list).
class NetTlsIotHubSuites : public NetTlsLoopback, public ::testing::WithParamInterface<const char*> {};

TEST_P(NetTlsIotHubSuites, ServerRestrictedToTheSuiteStillHandshakes) {
  OpensslServer server(*pki_, "127.0.0.1", AF_INET, {"-tls1_2", "-cipher", GetParam()});
  ASSERT_TRUE(server.ready()) << server.log();
  TlsContext ctx;
  trust_test_ca(ctx);
  std::string detail;
  auto t = open_connection({"localhost", server.port(), &ctx}, 15s, &detail);
  ASSERT_TRUE(t) << t.error().what << " / " << detail;
  auto* tls = dynamic_cast<TlsTransport*>(t->get());
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(tls->protocol_version(), "TLSv1.2");
  auto back = echo(**t, "suite\n");
  ASSERT_TRUE(back) << back.error().what;
  EXPECT_EQ(*back, "etius\n");
}

INSTANTIATE_TEST_SUITE_P(IotHub, NetTlsIotHubSuites,
                         ::testing::Values("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                                           "ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384"));

TEST_F(NetTlsLoopback, InsecureSkipVerifyAcceptsAnUntrustedServerOnlyWhenAskedTo) {
  OpensslServer server(*pki_, "127.0.0.1", AF_INET);
  ASSERT_TRUE(server.ready()) << server.log();
  TlsContext ctx;
  TlsOptions options;
  options.insecure_skip_verify = true;
  ASSERT_TRUE(ctx.init(options));
  std::string detail;
  auto t = open_connection({"127.0.0.1", server.port(), &ctx}, 15s, &detail);
  ASSERT_TRUE(t) << t.error().what << " / " << detail;
  auto back = echo(**t, "unsafe\n");
  ASSERT_TRUE(back) << back.error().what;
  EXPECT_EQ(*back, "efasnu\n");
}

// Plain TCP cases need no TLS peer.
TEST(NetTcpLoopback, ClosedPortIsConnectFailedWithRefusedInTheMessage) {
  const std::uint16_t port = free_port(AF_INET);
  ASSERT_NE(port, 0);
  std::string detail;
  auto t = open_connection({"127.0.0.1", port, nullptr}, 10s, &detail);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::connect_failed);
  EXPECT_NE(std::string(t.error().what).find("refused"), std::string::npos) << t.error().what;
  EXPECT_NE(detail.find("127.0.0.1 port " + std::to_string(port)), std::string::npos) << detail;
}

TEST(NetTcpLoopback, Ipv6ClosedPortIsConnectFailedToo) {
  const std::uint16_t port = free_port(AF_INET6);
  ASSERT_NE(port, 0);
  auto t = open_connection({"::1", port, nullptr}, 10s);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::connect_failed);
}

// A listener on 127.0.0.1 that runs `serve(fd)` on its first connection, in a thread, with bounded waits.
class OneShotListener {
 public:
  template <class Serve>
  explicit OneShotListener(Serve serve) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 1) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return;
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, serve] {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10000) != 1) return;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      serve(c, stop_);
      ::close(c);
    });
  }
  ~OneShotListener() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(NetTlsMisbehavingPeer, PeerClosingMidHandshakeIsAClearErrorWithoutHanging) {
  // Reads the ClientHello, then hangs up: what a non-TLS or overloaded server does.
  OneShotListener peer([](int c, std::atomic<bool>&) {
    pollfd p{c, POLLIN, 0};
    if (::poll(&p, 1, 10000) == 1) {
      char buf[4096];
      (void)::read(c, buf, sizeof buf);
    }
  });
  ASSERT_NE(peer.port(), 0);
  TlsContext ctx;
  ASSERT_TRUE(ctx.init());
  std::string detail;
  const auto started = Clock::now();
  auto t = open_connection({"127.0.0.1", peer.port(), &ctx}, 20s, &detail);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::tls_failure);  // not a timeout: the close is noticed
  EXPECT_NE(std::string(t.error().what).find("closed the connection during the TLS handshake"), std::string::npos)
      << t.error().what;
  EXPECT_LT(Clock::now() - started, 20s);
}

TEST(NetTlsMisbehavingPeer, SilentPeerEndsInTheCallersTimeout) {
  OneShotListener peer([](int, std::atomic<bool>& stop) {
    const auto until = Clock::now() + 10s;
    while (!stop && Clock::now() < until) std::this_thread::sleep_for(10ms);
  });
  ASSERT_NE(peer.port(), 0);
  TlsContext ctx;
  ASSERT_TRUE(ctx.init());
  auto t = open_connection({"127.0.0.1", peer.port(), &ctx}, 300ms);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::timeout);
}

TEST(NetTlsMisbehavingPeer, PlainTextServerIsReportedAsNotTls) {
  OneShotListener peer([](int c, std::atomic<bool>&) {
    static const char reply[] = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
    pollfd p{c, POLLIN, 0};
    if (::poll(&p, 1, 10000) == 1) {
      char buf[4096];
      (void)::read(c, buf, sizeof buf);
      (void)::write(c, reply, sizeof reply - 1);
    }
  });
  ASSERT_NE(peer.port(), 0);
  TlsContext ctx;
  ASSERT_TRUE(ctx.init());
  auto t = open_connection({"127.0.0.1", peer.port(), &ctx}, 20s);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::tls_failure);
  EXPECT_NE(t.error().code, Errc::timeout);
}

}  // namespace
}  // namespace picohub::net
