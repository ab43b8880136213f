// Bench 2, the load: N simulated devices in ONE process, non-blocking, epoll over N TlsTransports (mbedTLS) each
// driving its own mqtt::Session. Devices authenticate the IoT Hub way (client id = device id, username from
// iothub::mqtt_username, password = SAS token from iothub::make_sas_token) and publish QoS 1 telemetry to
// their own topic (iothub::telemetry_topic). Against plain mosquitto (allow_anonymous) the same bytes are sent.
//
//   load_generator --port P --ca FILE --devices N --messages M [--window W] [--host localhost]
//                  [--hub-host-name localhost] [--device-key B64] [--prefix bench-]
//                  [--provision HUB_JSON] [--broker-pid PID] [--concurrency 64] [--timeout S]
//                  [--interval-ms I] [--slow-us U]
//
// --interval-ms I (latency mode, window 1): each device sends its next message I ms after the previous one was
// sent (or when it is acknowledged, if later), and the publish → PUBACK time of every message is reported as
// lat_p50_us / lat_p99_us / lat_max_us: the broker's latency while it is mostly idle. --slow-us U also prints, on
// stderr, every message slower than U µs with its send time on CLOCK_MONOTONIC, to line outliers up with what the
// broker was doing then (its log, perf, a probe build).
//
// Phases: (provision: create the N devices through the hub's control channel as the iothubowner service
// principal) → connect all (at most --concurrency TLS handshakes at a time) → send: every connected device
// publishes M messages, W in flight → disconnect. Bounded by --timeout (default 300 s) in total.
// Prints one line of key=value results (see bench/README.md).
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "blocking_pump.hpp"
#include "iothub/sas_token.hpp"
#include "iothub/topics.hpp"
#include "iothub/username.hpp"
#include "mqtt/session.hpp"
#include "net/connect.hpp"
#include "net/posix_tcp.hpp"
#include "net/tls_context.hpp"
#include "net/tls_transport.hpp"

namespace {

using namespace picohub;
using bench::now_ms;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "localhost";
  std::uint16_t port = 0;
  std::string ca;
  std::size_t devices = 100;
  std::size_t messages = 20;
  std::size_t window = 1;
  std::string hub_host_name = "localhost";
  std::string device_key = "YmVuY2gtZGV2aWNlLWtleS0wMTIzNDU2Nzg5YWJjZGVm";  // any base64 works
  std::string prefix = "bench-";
  std::string provision;  // hub.json of a running local hub: create the devices first
  long broker_pid = 0;
  std::size_t concurrency = 64;
  int timeout_s = 300;
  int interval_ms = 0;  // > 0: latency mode
  int slow_us = 0;      // > 0 (latency mode): print each message slower than this
};

int usage() {
  std::fprintf(stderr,
               "usage: load_generator --port P --ca FILE --devices N --messages M [--window W] [--host H]\n"
               "       [--hub-host-name NAME] [--device-key B64] [--prefix P] [--provision HUB_JSON]\n"
               "       [--broker-pid PID] [--concurrency C] [--timeout S] [--interval-ms I] [--slow-us U]\n");
  return 2;
}

std::string error_text(const Error& e, std::string_view detail = {}) {
  std::string s = e.what;
  if (!detail.empty()) s += " (" + std::string(detail) + ")";
  return s;
}

// Broker CPU seconds (user, system) and resident memory, from /proc.
struct CpuTimes {
  double user = 0, system = 0;
  double total() const { return user + system; }
};

CpuTimes process_cpu(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15 (1-based) are utime, stime
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  const auto tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  return CpuTimes{static_cast<double>(utime) / tick, static_cast<double>(stime) / tick};
}

double process_rss_mb(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return -1;
}

std::string sas_token(std::string_view resource, std::string_view key, std::string_view policy) {
  std::array<char, 512> buf{};
  iothub::SasTokenRequest req;
  req.resource = resource;
  req.key_base64 = key;
  req.expiry_unix = static_cast<std::uint64_t>(std::time(nullptr)) + 3600;
  req.policy_name = policy;
  auto token = iothub::make_sas_token(req, buf);
  if (!token) {
    std::fprintf(stderr, "load_generator: cannot make a SAS token: %s\n", token.error().what);
    std::exit(1);
  }
  return std::string(*token);
}

// ---- provisioning through the hub's control channel (docs/control-protocol.md) ----

int provision(const Options& o, net::TlsContext& tls) {
  std::ifstream f(o.provision);
  if (!f) {
    std::fprintf(stderr, "load_generator: cannot read %s: is the hub's data dir right?\n", o.provision.c_str());
    return 1;
  }
  const auto hub = nlohmann::json::parse(f, nullptr, false);
  if (hub.is_discarded() || !hub.contains("policies")) {
    std::fprintf(stderr, "load_generator: %s is not a picohub hub.json\n", o.provision.c_str());
    return 1;
  }
  const std::string host_name = hub.value("hostName", "localhost");
  const std::string key = hub["policies"]["iothubowner"]["primaryKey"].get<std::string>();
  const std::string password = sas_token(host_name, key, "iothubowner");
  const std::string client_id = "picohub-service-" + std::to_string(getpid()) + "-bench";

  net::PosixTcp tcp;
  if (auto r = tcp.start_connect(o.host, o.port); !r) {
    std::fprintf(stderr, "load_generator: provisioning connect failed: %s\n",
                 error_text(r.error(), tcp.last_error_detail()).c_str());
    return 1;
  }
  net::TlsTransport link(tls, tcp, o.host);
  if (auto r = net::connect_blocking(link, std::chrono::seconds(10)); !r) {
    std::fprintf(stderr, "load_generator: provisioning TLS failed: %s\n",
                 error_text(r.error(), link.last_error_detail()).c_str());
    return 1;
  }
  constexpr std::size_t window = 32;
  std::vector<std::uint8_t> tx(65536), rx(65536), window_bytes(window * 1024);
  std::vector<mqtt::InFlightSlot> slots(window);
  mqtt::Session session(mqtt::SessionMemory{tx, rx, slots, window_bytes}, {});
  bool connected = false, subscribed = false;
  std::size_t answered = 0, created = 0;
  std::string last_failure;
  bench::BlockingPump pump{link, session, [&](const mqtt::Event& ev) {
                             if (std::holds_alternative<mqtt::Connected>(ev)) connected = true;
                             else if (std::holds_alternative<mqtt::Subscribed>(ev)) subscribed = true;
                             else if (auto* m = std::get_if<mqtt::MessageReceived>(&ev)) {
                               auto body = nlohmann::json::parse(m->payload.begin(), m->payload.end(), nullptr, false);
                               if (body.is_discarded()) return;
                               ++answered;
                               const int status = body.value("status", 0);
                               if (status == 200) ++created;
                               else last_failure = body.dump();
                             }
                           }};
  mqtt::ConnectOptions c;
  c.client_id = client_id;
  c.username = "iothubowner";
  c.password = std::span(reinterpret_cast<const std::uint8_t*>(password.data()), password.size());
  c.keep_alive_s = 60;
  session.connect(c, now_ms());
  const auto give_up = Clock::now() + std::chrono::seconds(o.timeout_s);
  while (!connected) {
    if (!pump.turn(100) || session.state() == mqtt::SessionState::refused || Clock::now() > give_up) {
      std::fprintf(stderr, "load_generator: the hub refused the service principal or did not answer\n");
      return 1;
    }
  }
  const mqtt::Subscription sub{"$picohub/v1/response", mqtt::QoS::at_least_once};
  session.subscribe(std::span(&sub, 1));
  while (!subscribed && pump.turn(100) && Clock::now() < give_up) {
  }
  std::size_t sent = 0;
  std::string request;
  while (answered < o.devices) {
    while (sent < o.devices && session.in_flight() < window && sent - answered < 256) {
      request = nlohmann::json{{"op", "device.create"},
                               {"correlationId", "bench-" + std::to_string(sent)},
                               {"deviceId", o.prefix + std::to_string(sent)},
                               {"primaryKey", o.device_key},
                               {"secondaryKey", o.device_key}}
                    .dump();
      auto id = session.publish("$CONTROL/picohub/v1",
                                std::span(reinterpret_cast<const std::uint8_t*>(request.data()), request.size()),
                                mqtt::QoS::at_least_once, false, now_ms());
      if (!id) break;
      ++sent;
    }
    if (!pump.turn(1000) || Clock::now() > give_up) {
      std::fprintf(stderr, "load_generator: provisioning stopped after %zu of %zu answers\n", answered, o.devices);
      return 1;
    }
  }
  session.disconnect();
  pump.flush();
  link.close();
  if (created != o.devices) {
    std::fprintf(stderr, "load_generator: created %zu of %zu devices; last refusal: %s\n", created, o.devices,
                 last_failure.c_str());
    return 1;
  }
  return 0;
}

// ---- the devices ----

enum class State : std::uint8_t { waiting, handshake, mqtt_connect, ready, closed, failed };

struct Device {
  std::size_t index = 0;
  std::string id, username, password, topic;
  std::unique_ptr<net::PosixTcp> tcp;
  std::unique_ptr<net::TlsTransport> tls;
  std::vector<std::uint8_t> memory;  // tx | rx | window bytes
  std::vector<mqtt::InFlightSlot> slots;
  std::unique_ptr<mqtt::Session> session;
  State state = State::waiting;
  std::size_t sent = 0, acked = 0;
  Clock::time_point sent_at{}, next_due{};  // latency mode
  int registered_fd = -1;
  std::uint32_t interest = 0;
};

class Load {
 public:
  explicit Load(const Options& o, net::TlsContext& tls) : o_(o), tls_(tls), devices_(o.devices) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    std::array<char, 256> buf{};
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      Device& d = devices_[i];
      d.index = i;
      d.id = o.prefix + std::to_string(i);
      iothub::UsernameOptions u;
      u.host = o.hub_host_name;
      u.device_id = d.id;
      d.username = std::string(iothub::mqtt_username(u, buf).value_or(""));
      auto resource = iothub::device_resource(o.hub_host_name, d.id, "", buf);
      d.password = sas_token(resource ? *resource : "", o.device_key, "");
      iothub::MessageProperties props;
      props.content_type = "application/json";
      props.content_encoding = "utf-8";
      d.topic = std::string(iothub::telemetry_topic(d.id, "", props, buf).value_or(""));
    }
  }
  ~Load() { ::close(epoll_); }

  // Connects every device (bounded concurrency). Returns when all are connected or failed, or at the deadline.
  void connect_all(Clock::time_point deadline) {
    while (connected_ + failed_ < devices_.size() && Clock::now() < deadline) {
      while (next_ < devices_.size() && in_handshake_ < o_.concurrency) start(devices_[next_++]);
      run_once(100);
    }
  }

  // Every connected device publishes `messages` QoS 1 messages. Returns when all are acknowledged or at the deadline.
  void send_all(Clock::time_point deadline) {
    sending_ = true;
    for (auto& d : devices_)
      if (d.state == State::ready) service(d);
    while (acked_ < expected() && Clock::now() < deadline && connected_ > 0) {
      run_once(o_.interval_ms > 0 ? 1 : 100);
      if (o_.interval_ms > 0) {
        const auto now = Clock::now();
        for (auto& d : devices_)
          if (d.state == State::ready && d.sent < o_.messages && d.session->in_flight() == 0 && now >= d.next_due)
            service(d);
      }
    }
  }

  void record_latency(const Device& d) {
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - d.sent_at).count();
    latencies_us_.push_back(us);
    if (o_.slow_us > 0 && us >= o_.slow_us) {
      const auto sent = std::chrono::duration_cast<std::chrono::microseconds>(d.sent_at.time_since_epoch()).count();
      std::fprintf(stderr, "slow message: sent_monotonic_s=%lld.%06lld latency_us=%.0f\n",
                   static_cast<long long>(sent / 1000000), static_cast<long long>(sent % 1000000), us);
    }
  }

  // publish → PUBACK latencies in µs (latency mode), sorted.
  std::vector<double> latencies_us() const {
    auto v = latencies_us_;
    std::sort(v.begin(), v.end());
    return v;
  }

  void disconnect_all() {
    for (auto& d : devices_) {
      if (d.state != State::ready) continue;
      d.session->disconnect();
      flush(d);
      d.tls->close();
      d.state = State::closed;
    }
  }

  std::size_t connected() const { return connected_; }
  std::size_t failed() const { return failed_; }
  std::size_t acked() const { return acked_; }
  std::size_t expected() const { return connected_ * o_.messages; }
  const std::string& first_failure() const { return first_failure_; }

 private:
  void start(Device& d) {
    d.tcp = std::make_unique<net::PosixTcp>();
    if (auto r = d.tcp->start_connect(o_.host, o_.port); !r)
      return fail(d, error_text(r.error(), d.tcp->last_error_detail()));
    d.tls = std::make_unique<net::TlsTransport>(tls_, *d.tcp, o_.host);
    const std::size_t tx = 1024, rx = 1024, slot = 256;
    d.memory.assign(tx + rx + o_.window * slot, 0);
    d.slots.assign(o_.window, mqtt::InFlightSlot{});
    std::span<std::uint8_t> m(d.memory);
    d.session = std::make_unique<mqtt::Session>(
        mqtt::SessionMemory{m.subspan(0, tx), m.subspan(tx, rx), d.slots, m.subspan(tx + rx)}, mqtt::SessionOptions{});
    d.state = State::handshake;
    ++in_handshake_;
    service(d);
  }

  void fail(Device& d, const std::string& why) {
    if (d.state == State::handshake) --in_handshake_;
    if (d.state == State::ready) --connected_;
    if (first_failure_.empty()) first_failure_ = d.id + ": " + why;
    if (d.registered_fd >= 0) epoll_ctl(epoll_, EPOLL_CTL_DEL, d.registered_fd, nullptr);
    d.registered_fd = -1;
    if (d.tls) d.tls->close();
    d.state = State::failed;
    ++failed_;
  }

  bool flush(Device& d) {
    for (auto out = d.session->pending_output(); !out.empty(); out = d.session->pending_output()) {
      auto n = d.tls->write(out);
      if (!n) {
        if (n.error().code == Errc::would_block) return true;
        fail(d, error_text(n.error(), d.tls->last_error_detail()));
        return false;
      }
      d.session->consume_output(*n);
    }
    return true;
  }

  void take_events(Device& d) {
    while (auto ev = d.session->poll_event()) {
      if (std::holds_alternative<mqtt::PublishAcked>(*ev)) {
        ++d.acked;
        ++acked_;
        if (o_.interval_ms > 0) record_latency(d);
      } else if (std::holds_alternative<mqtt::Connected>(*ev)) {
        d.state = State::ready;
        ++connected_;
      } else if (auto* r = std::get_if<mqtt::ConnectRefused>(&*ev)) {
        return fail(d, "CONNACK refused, return code " + std::to_string(static_cast<int>(r->return_code)));
      } else if (auto* e = std::get_if<mqtt::ProtocolError>(&*ev)) {
        return fail(d, e->error.what);
      }
    }
  }

  // Advances one device as far as it can go without blocking, then re-arms epoll for what it waits for.
  void service(Device& d) {
    if (d.state == State::handshake) {
      auto r = d.tls->poll_connect();
      if (!r) return fail(d, error_text(r.error(), d.tls->last_error_detail()));
      if (*r) {
        --in_handshake_;
        d.state = State::mqtt_connect;
        mqtt::ConnectOptions c;
        c.client_id = d.id;
        c.username = d.username;
        c.password = std::span(reinterpret_cast<const std::uint8_t*>(d.password.data()), d.password.size());
        c.keep_alive_s = 1177;  // the hub's max_keepalive; the bench never idles that long
        if (auto q = d.session->connect(c, now_ms()); !q) return fail(d, q.error().what);
      }
    }
    if (d.state == State::mqtt_connect || d.state == State::ready) {
      if (!flush(d)) return;
      for (;;) {
        auto n = d.tls->read(buf_);
        if (!n) {
          if (n.error().code == Errc::would_block) break;
          return fail(d, error_text(n.error(), d.tls->last_error_detail()));
        }
        std::span<const std::uint8_t> rest(buf_.data(), *n);
        while (!rest.empty()) {
          auto used = d.session->receive(rest, now_ms());
          if (!used) return fail(d, used.error().what);
          rest = rest.subspan(*used);
          take_events(d);
          if (d.state == State::failed) return;
          if (*used == 0 && !flush(d)) return;
        }
      }
      take_events(d);
      if (d.state == State::failed) return;
      if (sending_ && d.state == State::ready) {
        char body[96];
        while (d.sent < o_.messages && d.session->in_flight() < o_.window &&
               (o_.interval_ms == 0 || Clock::now() >= d.next_due)) {
          const int len = std::snprintf(body, sizeof body, "{\"messageId\":%zu,\"temperature\":21.5,\"humidity\":48.2}",
                                        d.sent);
          auto id = d.session->publish(
              d.topic, std::span(reinterpret_cast<const std::uint8_t*>(body), static_cast<std::size_t>(len)),
              mqtt::QoS::at_least_once, false, now_ms());
          if (!id) {
            if (id.error().code == Errc::buffer_full) break;
            return fail(d, id.error().what);
          }
          ++d.sent;
          d.sent_at = Clock::now();
          d.next_due = d.sent_at + std::chrono::milliseconds(o_.interval_ms);
        }
      }
      if (!flush(d)) return;
    }
    arm(d);
  }

  void arm(Device& d) {
    const int fd = d.tls->poll_fd();
    std::uint32_t want = EPOLLIN;
    if (d.tls->wants() == net::Wait::writable || !d.session->pending_output().empty()) want |= EPOLLOUT;
    if (d.tls->wants() == net::Wait::none && d.state == State::handshake) runnable_.push_back(d.index);
    if (fd != d.registered_fd) {  // PosixTcp moves to a new socket when it tries the next address
      if (d.registered_fd >= 0) epoll_ctl(epoll_, EPOLL_CTL_DEL, d.registered_fd, nullptr);
      epoll_event ev{want, {.u64 = d.index}};
      if (fd >= 0) epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
      d.registered_fd = fd;
      d.interest = want;
    } else if (want != d.interest && fd >= 0) {
      epoll_event ev{want, {.u64 = d.index}};
      epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev);
      d.interest = want;
    }
  }

  void run_once(int timeout_ms) {
    while (!runnable_.empty()) {
      const std::size_t i = runnable_.front();
      runnable_.pop_front();
      if (devices_[i].state == State::handshake) service(devices_[i]);
    }
    std::array<epoll_event, 256> events{};
    const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
    for (int k = 0; k < n; ++k) {
      Device& d = devices_[events[static_cast<std::size_t>(k)].data.u64];
      if (d.state == State::handshake || d.state == State::mqtt_connect || d.state == State::ready) service(d);
    }
    // Keep-alive and CONNACK timeouts, checked once a second.
    const auto now = Clock::now();
    if (now - last_tick_ > std::chrono::seconds(1)) {
      last_tick_ = now;
      for (auto& d : devices_) {
        if (d.state != State::mqtt_connect && d.state != State::ready) continue;
        d.session->on_time(now_ms());
        take_events(d);
        if (d.state != State::failed && flush(d)) arm(d);
      }
    }
  }

  const Options& o_;
  net::TlsContext& tls_;
  std::vector<Device> devices_;
  std::vector<std::uint8_t> buf_ = std::vector<std::uint8_t>(16384);
  std::deque<std::size_t> runnable_;
  int epoll_ = -1;
  std::size_t next_ = 0, in_handshake_ = 0, connected_ = 0, failed_ = 0, acked_ = 0;
  bool sending_ = false;
  Clock::time_point last_tick_ = Clock::now();
  std::string first_failure_;
  std::vector<double> latencies_us_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) return usage();
    const char* v = argv[++i];
    if (a == "--host") o.host = v;
    else if (a == "--port") o.port = static_cast<std::uint16_t>(std::atoi(v));
    else if (a == "--ca") o.ca = v;
    else if (a == "--devices") o.devices = std::strtoul(v, nullptr, 10);
    else if (a == "--messages") o.messages = std::strtoul(v, nullptr, 10);
    else if (a == "--window") o.window = std::strtoul(v, nullptr, 10);
    else if (a == "--hub-host-name") o.hub_host_name = v;
    else if (a == "--device-key") o.device_key = v;
    else if (a == "--prefix") o.prefix = v;
    else if (a == "--provision") o.provision = v;
    else if (a == "--broker-pid") o.broker_pid = std::atol(v);
    else if (a == "--concurrency") o.concurrency = std::strtoul(v, nullptr, 10);
    else if (a == "--timeout") o.timeout_s = std::atoi(v);
    else if (a == "--interval-ms") o.interval_ms = std::atoi(v);
    else if (a == "--slow-us") o.slow_us = std::atoi(v);
    else return usage();
  }
  if (o.port == 0 || o.ca.empty() || o.devices == 0 || o.window == 0 || o.concurrency == 0 || o.timeout_s <= 0)
    return usage();
  if (o.interval_ms > 0) o.window = 1;  // latency mode: one message in flight per device

  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < o.devices + 64) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, o.devices + 64);
    setrlimit(RLIMIT_NOFILE, &files);
  }
  if (files.rlim_cur < o.devices + 64)
    std::fprintf(stderr, "load_generator: only %llu file descriptors allowed (ulimit -n); expect failures past that\n",
                 static_cast<unsigned long long>(files.rlim_cur));

  net::TlsContext tls;
  net::TlsOptions tls_options;
  tls_options.use_builtin_roots = false;
  if (auto r = tls.init(tls_options); !r) {
    std::fprintf(stderr, "load_generator: TLS setup failed: %s\n",
                 error_text(r.error(), tls.last_error_detail()).c_str());
    return 1;
  }
  if (auto r = tls.add_ca_file(o.ca); !r) {
    std::fprintf(stderr, "load_generator: cannot load --ca: %s\n",
                 error_text(r.error(), tls.last_error_detail()).c_str());
    return 1;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(o.timeout_s);
  const auto t_provision = Clock::now();
  if (!o.provision.empty() && provision(o, tls) != 0) return 1;
  const double provision_s = std::chrono::duration<double>(Clock::now() - t_provision).count();

  Load load(o, tls);
  const auto t_connect = Clock::now();
  load.connect_all(deadline);
  const double connect_s = std::chrono::duration<double>(Clock::now() - t_connect).count();
  const double broker_rss = o.broker_pid ? process_rss_mb(o.broker_pid) : -1;
  const double client_rss = process_rss_mb(getpid());
  const std::size_t connected_before = load.connected();

  const CpuTimes cpu0 = o.broker_pid ? process_cpu(o.broker_pid) : CpuTimes{};
  const auto t_send = Clock::now();
  load.send_all(deadline);
  const double send_s = std::chrono::duration<double>(Clock::now() - t_send).count();
  const CpuTimes cpu1 = o.broker_pid ? process_cpu(o.broker_pid) : CpuTimes{};
  const std::size_t held = load.connected();
  load.disconnect_all();

  const double acked = static_cast<double>(load.acked());
  std::printf(
      "load devices=%zu connected=%zu held=%zu failed=%zu provision_s=%.2f connect_s=%.2f messages=%zu acked=%zu "
      "send_s=%.3f msgs_per_s=%.0f broker_cpu_s=%.2f broker_user_s=%.2f broker_sys_s=%.2f broker_cpu_us_per_msg=%.1f "
      "broker_rss_mb=%.1f "
      "client_rss_mb=%.1f\n",
      o.devices, connected_before, held, load.failed(), provision_s, connect_s, connected_before * o.messages,
      load.acked(), send_s, send_s > 0 ? acked / send_s : 0.0, cpu1.total() - cpu0.total(), cpu1.user - cpu0.user,
      cpu1.system - cpu0.system, acked > 0 ? (cpu1.total() - cpu0.total()) * 1e6 / acked : 0.0, broker_rss, client_rss);
  if (o.interval_ms > 0) {
    auto lat = load.latencies_us();
    auto pct = [&](double q) {
      return lat.empty() ? 0.0
                         : lat[std::min(lat.size() - 1, static_cast<std::size_t>(q * static_cast<double>(lat.size())))];
    };
    std::printf("latency n=%zu lat_p50_us=%.0f lat_p90_us=%.0f lat_p99_us=%.0f lat_max_us=%.0f\n", lat.size(), pct(0.5),
                pct(0.9), pct(0.99), lat.empty() ? 0.0 : lat.back());
  }
  if (!load.first_failure().empty())
    std::fprintf(stderr, "load_generator: first failure: %s\n", load.first_failure().c_str());
  return load.acked() == load.expected() && load.failed() == 0 ? 0 : 1;
}
