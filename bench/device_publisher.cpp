// Bench 1, our side: QoS 1 telemetry over TLS with picohub's own stack — mqtt::Session (sans-I/O) pumped over
// net::TlsTransport (mbedTLS 3.6) over net::PosixTcp — with at most WINDOW PUBACKs outstanding. Same topic,
// body and flow as bench/paho_publisher.c (the named peer), so the two are compared line for line.
//
//   device_publisher --host localhost --port P --ca ca.crt --count N [--window W] [--tls12]
//
// Prints one line: "picohub count=N window=W seconds=S msgs_per_s=R tls=... cipher=..." (publish phase only:
// from the first PUBLISH to the last PUBACK; connect and TLS handshake excluded). Exit 1 on failure.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "blocking_pump.hpp"
#include "mqtt/session.hpp"
#include "net/connect.hpp"
#include "net/posix_tcp.hpp"
#include "net/tls_context.hpp"
#include "net/tls_transport.hpp"

namespace {

using namespace picohub;
using Clock = std::chrono::steady_clock;
using bench::now_ms;

constexpr std::string_view topic = "devices/bench/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8";
constexpr std::size_t max_publish_bytes = 256;  // fixed header + topic + id + ~60-byte body fits easily

int usage() {
  std::fprintf(stderr, "usage: device_publisher --host H --port P --ca FILE --count N [--window W] [--tls12]\n");
  return 2;
}

int failed(const char* what, const Error& e, std::string_view detail = {}) {
  std::fprintf(stderr, "picohub: %s: %s%s%.*s\n", what, e.what, detail.empty() ? "" : " (",
               static_cast<int>(detail.size()), detail.data());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "localhost", ca;
  long port = 0, count = 1000, window = 1;
  bool tls12 = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--tls12") {
      tls12 = true;
      continue;
    }
    if (i + 1 >= argc) return usage();
    if (a == "--host") host = argv[++i];
    else if (a == "--port") port = std::atol(argv[++i]);
    else if (a == "--ca") ca = argv[++i];
    else if (a == "--count") count = std::atol(argv[++i]);
    else if (a == "--window") window = std::atol(argv[++i]);
    else return usage();
  }
  if (ca.empty() || port <= 0 || port > 65535 || count < 0 || window < 1 || window > 65535) return usage();

  net::TlsContext tls;
  net::TlsOptions tls_options;
  tls_options.use_builtin_roots = false;
  tls_options.allow_tls13 = !tls12;
  if (auto r = tls.init(tls_options); !r) return failed("TLS setup failed", r.error(), tls.last_error_detail());
  if (auto r = tls.add_ca_file(ca); !r) return failed("cannot load --ca", r.error(), tls.last_error_detail());
  net::PosixTcp tcp;
  if (auto r = tcp.start_connect(host, static_cast<std::uint16_t>(port)); !r)
    return failed("connect failed", r.error(), tcp.last_error_detail());
  net::TlsTransport link(tls, tcp, host);
  if (auto r = net::connect_blocking(link, std::chrono::seconds(10)); !r)
    return failed("TLS connect failed", r.error(), link.last_error_detail());

  // The session's memory, sized for this run (on the board it would be a StaticSessionMemory).
  std::vector<std::uint8_t> tx(16384), rx(4096), window_bytes(static_cast<std::size_t>(window) * max_publish_bytes);
  std::vector<mqtt::InFlightSlot> slots(static_cast<std::size_t>(window));
  mqtt::Session session(mqtt::SessionMemory{tx, rx, slots, window_bytes}, {});
  std::size_t acked = 0;
  bool connected = false;
  bench::BlockingPump pump{link, session, [&](const mqtt::Event& ev) {
                             if (std::holds_alternative<mqtt::PublishAcked>(ev)) ++acked;
                             else if (std::holds_alternative<mqtt::Connected>(ev)) connected = true;
                             else if (std::holds_alternative<mqtt::ConnectRefused>(ev))
                               std::fprintf(stderr, "picohub: CONNACK refused\n");
                           }};

  mqtt::ConnectOptions connect;
  connect.client_id = "bench";
  connect.clean_session = true;
  connect.keep_alive_s = 60;
  if (auto r = session.connect(connect, now_ms()); !r) return failed("CONNECT failed", r.error());
  const auto give_up = Clock::now() + std::chrono::seconds(120);  // bounded, whatever happens
  while (!connected) {
    if (!pump.turn(100)) return failed("MQTT connect failed", *pump.error);
    if (session.state() == mqtt::SessionState::refused) return failed("MQTT connect failed", *session.last_error());
    if (Clock::now() > give_up) return failed("MQTT connect failed", Error{Errc::timeout, "no CONNACK"});
  }

  // The topic is fixed: validated once here, so the publishes below do not scan it again (mqtt::TopicName).
  const auto topic_name = mqtt::TopicName::validate(topic);
  if (!topic_name) return failed("bad topic", topic_name.error());
  char body[128];
  std::size_t sent = 0;
  const auto total = static_cast<std::size_t>(count);
  const auto start = Clock::now();
  while (acked < total) {
    while (sent < total && session.in_flight() < static_cast<std::size_t>(window)) {
      const int len = std::snprintf(body, sizeof body, "{\"messageId\":%zu,\"temperature\":21.5,\"humidity\":48.2}",
                                    sent);
      auto id = session.publish(*topic_name,
                                std::span(reinterpret_cast<const std::uint8_t*>(body), static_cast<std::size_t>(len)),
                                mqtt::QoS::at_least_once, false, now_ms());
      if (!id) {
        if (id.error().code == Errc::buffer_full) break;
        return failed("publish failed", id.error());
      }
      ++sent;
    }
    if (!pump.turn(1000)) return failed("publish phase failed", *pump.error);
    if (Clock::now() > give_up)
      return failed("publish phase", Error{Errc::timeout, "not every PUBACK arrived in 120 s"});
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  const std::string version = link.protocol_version(), cipher = link.ciphersuite();
  session.disconnect();
  pump.flush();
  link.close();
  std::printf("picohub count=%ld window=%ld seconds=%.4f msgs_per_s=%.0f tls=%s cipher=%s\n", count, window, seconds,
              seconds > 0 ? static_cast<double>(count) / seconds : 0.0, version.c_str(), cipher.c_str());
  return 0;
}
