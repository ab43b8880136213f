// The portable tls::Session driven directly — caller-owned storage, the device profile the board uses, the
// CTR_DRBG seeded through platform::Entropy — over PosixTcp against a real mosquitto with an RSA certificate (as
// `picohub hub` makes). A wrong CA must fail as certificate_invalid; an unknown Unix time must refuse to start.
// Pipelined publishes (mqtt::Session + device::Pump over the session) share TLS records: the records are counted
// on the wire below the TLS layer, and every PUBACK must come back, also after a write that would block.
#include <gtest/gtest.h>
#include <mbedtls/x509_crt.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <poll.h>

#include <set>
#include <vector>

#include "device/pump.hpp"
#include "mqtt/session.hpp"
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
  const std::uint8_t connect[] = {0x10, 28,  0,   4,   'M', 'Q', 'T', 'T', 4,   0x02, 0,   60,  0,   16,  't',
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

// ---------------------------------------------------------------- pipelined publishes share records

namespace pipelined {

// Forwards to PosixTcp and reads the TLS record headers in what is written. On request, the next write takes
// only a few bytes and every later one would block until release() (a full socket), so mbedTLS holds a
// half-sent record.
class RecordCountingTcp final : public net::Transport {
 public:
  Result<bool> poll_connect() override { return tcp.poll_connect(); }
  Result<std::size_t> read(std::span<std::uint8_t> out) override { return tcp.read(out); }
  Result<std::size_t> write(std::span<const std::uint8_t> data) override {
    if (stall_ == Stall::blocked) return fail(Errc::would_block, "simulated full socket");
    if (stall_ == Stall::short_write) {
      data = data.first(std::min(data.size(), accept_bytes_));
      stall_ = Stall::blocked;
    }
    auto n = tcp.write(data);
    if (n) {
      ++writes;
      count_records(data.first(*n));
    }
    return n;
  }
  void close() override { tcp.close(); }
  net::Wait wants() const override { return tcp.wants(); }
  int poll_fd() const override { return tcp.poll_fd(); }

  void stall_next_write(std::size_t accept_bytes) {
    accept_bytes_ = accept_bytes;
    stall_ = Stall::short_write;
  }
  void release() { stall_ = Stall::none; }
  void reset_counts() { writes = application_records = 0; }

  net::PosixTcp tcp;
  std::size_t writes = 0;
  std::size_t application_records = 0;  // TLS records of content type application_data (23)

 private:
  enum class Stall : std::uint8_t { none, short_write, blocked };
  void count_records(std::span<const std::uint8_t> bytes) {
    for (const std::uint8_t b : bytes) {
      if (body_left_ > 0) {
        --body_left_;
        continue;
      }
      header_[header_seen_++] = b;
      if (header_seen_ < header_.size()) continue;
      header_seen_ = 0;
      body_left_ = std::size_t{header_[3]} << 8 | header_[4];
      if (header_[0] == 23) ++application_records;
    }
  }
  std::array<std::uint8_t, 5> header_{};
  std::size_t header_seen_ = 0;
  std::size_t body_left_ = 0;
  std::size_t accept_bytes_ = 0;
  Stall stall_ = Stall::none;
};

struct Acks final : device::MqttEventSink {
  std::set<std::uint16_t> acked;
  bool connected = false;
  void on_mqtt_event(const mqtt::Event& event) override {
    if (const auto* a = std::get_if<mqtt::PublishAcked>(&event)) acked.insert(a->packet_id);
    if (std::holds_alternative<mqtt::Connected>(event)) connected = true;
  }
};

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// Steps the pump until `done` or 20 s pass (the bound, not a timing assertion). false on a lost connection.
template <class Done>
bool pump_until(device::Pump& pump, net::Transport& link, mqtt::Session& session, Acks& sink, Done done) {
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  while (!done()) {
    const auto report = pump.step(link, session, sink, now_ms());
    if (report.lost) {
      ADD_FAILURE() << "connection lost: " << report.error.what;
      return false;
    }
    if (std::chrono::steady_clock::now() > give_up) {
      ADD_FAILURE() << "bounded wait passed";
      return false;
    }
    if (report.progress) continue;
    pollfd p{link.poll_fd(), POLLIN, 0};
    if (report.wait == net::Wait::writable) p.events |= POLLOUT;
    ::poll(&p, 1, 100);
  }
  return true;
}

constexpr std::size_t window = 20;
constexpr std::size_t slot_bytes = 1100;

struct Client {
  std::vector<std::uint8_t> tx = std::vector<std::uint8_t>(32 * 1024), rx = std::vector<std::uint8_t>(4096);
  std::vector<mqtt::InFlightSlot> slots = std::vector<mqtt::InFlightSlot>(window);
  std::vector<std::uint8_t> window_bytes = std::vector<std::uint8_t>(window * slot_bytes);
  mqtt::Session session{mqtt::SessionMemory{tx, rx, slots, window_bytes}, {}};
  std::vector<std::uint8_t> read_buffer = std::vector<std::uint8_t>(16 * 1024);
  device::Pump pump{read_buffer};
  Acks sink;
  std::set<std::uint16_t> sent;

  // count publishes of `body_bytes` each, queued back to back (what a pipelining sender does).
  void publish(std::size_t count, std::size_t body_bytes) {
    const std::vector<std::uint8_t> body(body_bytes, 'x');
    for (std::size_t i = 0; i < count; ++i) {
      auto id = session.publish("devices/pipelined/messages/events/", body, mqtt::QoS::at_least_once, false, now_ms());
      ASSERT_TRUE(id) << id.error().what;
      sent.insert(*id);
    }
  }
};

}  // namespace pipelined

class TlsPipelinedPublishes : public TlsSessionMosquitto {
 protected:
  // TLS + MQTT CONNECT/CONNACK through the pump, then the record counts start from zero.
  void open(pipelined::RecordCountingTcp& tcp, Session& session, pipelined::Client& client) {
    ASSERT_TRUE(tcp.tcp.start_connect("127.0.0.1", broker_.port()));
    auto up = net::connect_blocking(session, 20s);
    ASSERT_TRUE(up) << up.error().what;
    mqtt::ConnectOptions connect;
    connect.client_id = "tls-pipelined-test";
    connect.keep_alive_s = 60;
    ASSERT_TRUE(client.session.connect(connect, pipelined::now_ms()));
    ASSERT_TRUE(pipelined::pump_until(client.pump, session, client.session, client.sink,
                                      [&] { return client.sink.connected; }));
    tcp.reset_counts();
  }
};

TEST_F(TlsPipelinedPublishes, TwentyQueuedPublishesGoOutInOneRecordAndOneWriteAndEveryPubackMatches) {
  DeviceTls tls;
  configure(tls, "ca.crt");
  pipelined::RecordCountingTcp tcp;
  Session session(tls.storage, &tls.conf, tcp, SessionOptions{"localhost"});
  pipelined::Client client;
  open(tcp, session, client);
  client.publish(pipelined::window, 60);
  ASSERT_TRUE(pipelined::pump_until(client.pump, session, client.session, client.sink,
                                    [&] { return client.sink.acked.size() == pipelined::window; }));
  EXPECT_EQ(client.sink.acked, client.sent);
  EXPECT_EQ(tcp.application_records, 1u) << "20 pipelined publishes (~1.6 KB) fit one record";
  EXPECT_EQ(tcp.writes, 1u);
  session.close();
}

TEST_F(TlsPipelinedPublishes, QueuedBytesBeyondTheRecordLimitTakeAsFewRecordsAsTheLimitAllows) {
  DeviceTls tls;
  configure(tls, "ca.crt");
  pipelined::RecordCountingTcp tcp;
  Session session(tls.storage, &tls.conf, tcp, SessionOptions{"localhost"});
  pipelined::Client client;
  open(tcp, session, client);
  const auto limit = static_cast<std::size_t>(mbedtls_ssl_get_max_out_record_payload(&tls.storage.ssl));
  client.publish(pipelined::window, 1000);
  const std::size_t queued = client.session.pending_output().size();
  ASSERT_GT(queued, limit) << "the test needs more queued bytes than one record holds";
  ASSERT_TRUE(pipelined::pump_until(client.pump, session, client.session, client.sink,
                                    [&] { return client.sink.acked.size() == pipelined::window; }));
  EXPECT_EQ(client.sink.acked, client.sent);
  EXPECT_EQ(tcp.application_records, (queued + limit - 1) / limit) << queued << " bytes, record limit " << limit;
  session.close();
}

TEST_F(TlsPipelinedPublishes, OutputQueuedWhileARecordWaitsForTheSocketIsNotLostAndEveryPubackMatches) {
  DeviceTls tls;
  configure(tls, "ca.crt");
  pipelined::RecordCountingTcp tcp;
  Session session(tls.storage, &tls.conf, tcp, SessionOptions{"localhost"});
  pipelined::Client client;
  open(tcp, session, client);
  client.publish(5, 60);
  tcp.stall_next_write(10);  // the record of the first five leaves 10 bytes, then the socket is "full"
  auto report = client.pump.step(session, client.session, client.sink, pipelined::now_ms());
  ASSERT_FALSE(report.lost);
  EXPECT_EQ(report.wait, net::Wait::writable);
  ASSERT_FALSE(client.session.pending_output().empty());
  client.publish(5, 60);  // more output behind the half-sent record: it must go in a record of its own
  tcp.release();
  ASSERT_TRUE(pipelined::pump_until(client.pump, session, client.session, client.sink,
                                    [&] { return client.sink.acked.size() == 10; }));
  EXPECT_EQ(client.sink.acked, client.sent);
  EXPECT_EQ(tcp.application_records, 2u);
  session.close();
}

}  // namespace
}  // namespace picohub::tls
