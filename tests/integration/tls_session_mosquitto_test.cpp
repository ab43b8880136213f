// The portable tls::Session driven directly — caller-owned storage, the device profile the board uses, the
// CTR_DRBG seeded through platform::Entropy — over PosixTcp against a real mosquitto with an RSA certificate (as
// `picohub hub` makes). A wrong CA must fail as certificate_invalid; an unknown Unix time must refuse to start.
#include <gtest/gtest.h>
#include <mbedtls/x509_crt.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "net/connect.hpp"
#include "net/posix_tcp.hpp"
#include "platform/entropy.hpp"
#include "tls/client_config.hpp"
#include "tls/entropy_drbg.hpp"
#include "tls/session.hpp"
#include "tls/unix_time.hpp"

extern char** environ;

namespace picohub::tls {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

bool sh(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()) == 0; }

// Host entropy for the test: the kernel's generator, always healthy.
class UrandomEntropy final : public platform::Entropy {
 public:
  Result<void> fill(std::span<std::uint8_t> out) override {
    std::ifstream in("/dev/urandom", std::ios::binary);
    if (!in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size())))
      return fail(Errc::crypto_failure, "cannot read /dev/urandom");
    return {};
  }
  platform::EntropyHealth health() const noexcept override { return platform::EntropyHealth::ok; }
};

// A loopback port nobody listens on right now: bind to port 0, read it back, release it.
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

// mosquitto on a loopback TLS port with an RSA-2048 CA and server certificate for localhost; a second CA that
// signed nothing, for the wrong-CA case.
class Mosquitto {
 public:
  Mosquitto() {
    char tmpl[] = "/tmp/picohub-tls-session-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    const std::string d = dir_.string();
    std::ofstream(dir_ / "server.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                                          "extendedKeyUsage=serverAuth\n";
    const std::string ca_ext = " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign";
    if (!sh("openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj '/CN=picohub tls test CA' -keyout " + d +
            "/ca.key -out " + d + "/ca.crt" + ca_ext) ||
        !sh("openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj '/CN=some other CA' -keyout " + d +
            "/other.key -out " + d + "/other.crt" + ca_ext) ||
        !sh("openssl req -new -newkey rsa:2048 -nodes -sha256 -subj /CN=localhost -keyout " + d + "/server.key -out " +
            d + "/server.csr") ||
        !sh("openssl x509 -req -sha256 -days 2 -in " + d + "/server.csr -CA " + d + "/ca.crt -CAkey " + d +
            "/ca.key -CAcreateserial -extfile " + d + "/server.ext -out " + d + "/server.crt"))
      return;
    port_ = free_port();
    std::ofstream(dir_ / "mosquitto.conf") << "user root\npersistence false\nallow_anonymous true\nlog_dest none\n"
                                           << "listener " << port_ << " 127.0.0.1\ncafile " << d << "/ca.crt\n"
                                           << "certfile " << d << "/server.crt\nkeyfile " << d << "/server.key\n";
    std::string conf = d + "/mosquitto.conf";
    char* argv[] = {const_cast<char*>("mosquitto"), const_cast<char*>("-c"), conf.data(), nullptr};
    posix_spawn_file_actions_t quiet;  // mosquitto warns on stderr when run as root
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
    if (::posix_spawnp(&pid_, "mosquitto", &quiet, nullptr, argv, environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&quiet);
    // Ready once it accepts TCP; bounded.
    for (int i = 0; i < 100 && pid_ > 0 && !ready_; ++i) {
      net::PosixTcp probe;
      ready_ = probe.start_connect("127.0.0.1", port_) && net::connect_blocking(probe, 200ms).has_value();
      if (!ready_) ::usleep(50'000);
    }
  }
  ~Mosquitto() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  bool ready() const { return ready_; }
  std::uint16_t port() const { return port_; }
  std::string file(const char* name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  bool ready_ = false;
};

// Everything the board keeps in static storage for TLS, here in one caller-owned object.
struct DeviceTls {
  mbedtls_x509_crt anchors;
  EntropyDrbg drbg;
  mbedtls_ssl_config conf;
  SessionStorage storage;
  DeviceTls() {
    mbedtls_x509_crt_init(&anchors);
    mbedtls_ssl_config_init(&conf);
  }
  ~DeviceTls() {
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&anchors);
  }
};

struct Captured {
  int calls = 0;
  FailureInfo last{};
};
void capture(void* p, const FailureInfo& f) {
  auto* c = static_cast<Captured*>(p);
  ++c->calls;
  c->last = f;
}

class TlsSessionMosquitto : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!sh("command -v openssl") || !sh("command -v mosquitto")) GTEST_SKIP() << "openssl or mosquitto missing";
    ASSERT_TRUE(broker_.ready()) << "mosquitto did not start on port " << broker_.port();
  }
  void TearDown() override { set_unix_time_source(nullptr); }

  void configure(DeviceTls& tls, const char* ca_file) {
    ASSERT_EQ(mbedtls_x509_crt_parse_file(&tls.anchors, broker_.file(ca_file).c_str()), 0);
    ASSERT_TRUE(tls.drbg.seed(entropy_, "picohub tls session test"));
    ClientConfigParams params;
    params.random = &EntropyDrbg::random;
    params.random_state = &tls.drbg;
    params.trust_anchors = &tls.anchors;
    params.profile = Profile::device;
    ASSERT_TRUE(setup_client_config(tls.conf, params));
  }

  Mosquitto broker_;
  UrandomEntropy entropy_;
};

Result<void> send_all(net::Transport& t, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    auto n = t.write(bytes);
    if (n) {
      bytes = bytes.subspan(*n);
    } else if (n.error().code != Errc::would_block) {
      return tl::unexpected(n.error());
    } else if (auto w = net::wait_ready(t, 10s); !w) {
      return tl::unexpected(w.error());
    }
  }
  return {};
}

TEST_F(TlsSessionMosquitto, DeviceProfileSessionInCallerStorageGetsAConnackFromMosquitto) {
  DeviceTls tls;
  configure(tls, "ca.crt");
  net::PosixTcp tcp;
  ASSERT_TRUE(tcp.start_connect("127.0.0.1", broker_.port()));
  Session session(tls.storage, &tls.conf, tcp, SessionOptions{"localhost"});
  auto up = net::connect_blocking(session, 20s);
  ASSERT_TRUE(up) << up.error().what;
  EXPECT_STREQ(session.protocol_version(), "TLSv1.2");
  const std::string suite = session.ciphersuite();
  EXPECT_NE(suite.find("ECDHE-RSA-WITH-AES"), std::string::npos) << suite;
  EXPECT_NE(suite.find("GCM"), std::string::npos) << suite;

  // MQTT 3.1.1 CONNECT, clean session, keep-alive 60 s, client id "tls-session-test".
  const std::uint8_t connect[] = {0x10, 28,  0,   4,   'M', 'Q', 'T', 'T', 4,   0x02, 0,   60,  0,   16, 't',
                                  'l',  's', '-', 's', 'e', 's', 's', 'i', 'o', 'n',  '-', 't', 'e', 's', 't'};
  ASSERT_TRUE(send_all(session, connect));
  std::uint8_t connack[4] = {};
  std::size_t got = 0;
  while (got < sizeof connack) {
    auto n = session.read(std::span<std::uint8_t>(connack + got, sizeof connack - got));
    if (n) {
      got += *n;
    } else {
      ASSERT_EQ(n.error().code, Errc::would_block) << n.error().what;
      ASSERT_TRUE(net::wait_ready(session, 10s));
    }
  }
  EXPECT_EQ(connack[0], 0x20);
  EXPECT_EQ(connack[1], 0x02);
  EXPECT_EQ(connack[3], 0x00) << "CONNACK return code";
  session.close();
}

TEST_F(TlsSessionMosquitto, WrongCaIsCertificateInvalidWithTheRawFlagsForTheHook) {
  DeviceTls tls;
  configure(tls, "other.crt");
  net::PosixTcp tcp;
  ASSERT_TRUE(tcp.start_connect("127.0.0.1", broker_.port()));
  Captured captured;
  SessionOptions options{"localhost"};
  options.detail_hook = &capture;
  options.detail_context = &captured;
  Session session(tls.storage, &tls.conf, tcp, options);
  auto up = net::connect_blocking(session, 20s);
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, Errc::certificate_invalid);
  EXPECT_NE(std::string(up.error().what).find("not trusted"), std::string::npos) << up.error().what;
  ASSERT_EQ(captured.calls, 1);
  EXPECT_EQ(captured.last.stage, FailureStage::handshake);
  EXPECT_EQ(captured.last.mbedtls_code, MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
  EXPECT_TRUE(captured.last.verify_flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
  EXPECT_STREQ(captured.last.server_name, "localhost");
}

TEST_F(TlsSessionMosquitto, UnknownUnixTimeRefusesTheHandshakeInsteadOfSkippingTheDates) {
  DeviceTls tls;
  configure(tls, "ca.crt");
  set_unix_time_source([](std::int64_t&) { return false; });  // no SNTP answer yet
  net::PosixTcp tcp;
  ASSERT_TRUE(tcp.start_connect("127.0.0.1", broker_.port()));
  Session session(tls.storage, &tls.conf, tcp, SessionOptions{"localhost"});
  auto up = net::connect_blocking(session, 20s);
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, Errc::tls_failure);
  EXPECT_NE(std::string(up.error().what).find("time is not known"), std::string::npos) << up.error().what;

  // Once the time is known, a new session on the same storage connects.
  set_unix_time_source([](std::int64_t& now) {
    now = static_cast<std::int64_t>(std::time(nullptr));
    return true;
  });
  net::PosixTcp tcp2;
  ASSERT_TRUE(tcp2.start_connect("127.0.0.1", broker_.port()));
  Session again(tls.storage, &tls.conf, tcp2, SessionOptions{"localhost"});
  auto up2 = net::connect_blocking(again, 20s);
  ASSERT_TRUE(up2) << up2.error().what;
}

}  // namespace
}  // namespace picohub::tls
