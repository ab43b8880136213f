// Bench 1, the full IoT Hub device client path (what `picohub sim` runs): a device connection string is parsed,
// a SAS token signed, TLS (mbedTLS 3.6) opened over net::PosixTcp, and iothub::DeviceClient (CONNECT with the
// IoT Hub username, C2D subscription, telemetry with the content-type/encoding property bag built per message)
// is moved by device::Pump, with at most WINDOW PUBACKs outstanding. Device id "bench" makes the telemetry topic
// byte for byte the one bench/paho_publisher.c publishes to; the body is the same too.
//
//   iothub_publisher --host localhost --port P --ca ca.crt --count N [--window W]
//
// Prints "picohub-iothub count=N window=W seconds=S msgs_per_s=R" (first PUBLISH to last PUBACK). Exit 1 on
// failure. A plain mosquitto with allow_anonymous ignores the SAS password, as the bench needs.
#include <poll.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "blocking_pump.hpp"
#include "device/pump.hpp"
#include "iothub/connection_string.hpp"
#include "iothub/device_client.hpp"
#include "net/connect.hpp"
#include "net/posix_tcp.hpp"
#include "net/tls_context.hpp"
#include "net/tls_transport.hpp"

namespace {

using namespace picohub;
using Clock = std::chrono::steady_clock;
using bench::now_ms;

// The window is a template argument of the client's static memory: the bench offers the windows it reports.
constexpr std::size_t max_window = 64;
using BenchClientMemory = iothub::StaticDeviceClientMemory<16 * 1024, 4096, max_window, 256>;

std::uint64_t now_unix() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

int usage() {
  std::fprintf(stderr, "usage: iothub_publisher --host H --port P --ca FILE --count N [--window W<=%zu]\n", max_window);
  return 2;
}

int failed(const char* what, const Error& e, std::string_view detail = {}) {
  std::fprintf(stderr, "picohub-iothub: %s: %s%s%.*s\n", what, e.what, detail.empty() ? "" : " (",
               static_cast<int>(detail.size()), detail.data());
  return 1;
}

// Counts what the bench needs from the client's events.
struct Counter final : device::DeviceEventSink {
  std::size_t acked = 0;
  bool ready = false;
  bool refused = false;
  void on_device_event(const iothub::DeviceEvent& event) override {
    if (std::holds_alternative<iothub::TelemetryAcked>(event)) ++acked;
    else if (std::holds_alternative<iothub::C2dSubscribed>(event)) ready = true;
    else if (std::holds_alternative<iothub::ConnectRefused>(event)) refused = true;
  }
};

// One pump step; when it made no progress, sleep in poll() for at most timeout_ms. false on a lost connection.
bool turn(device::Pump& pump, net::Transport& link, iothub::DeviceClient& client, Counter& sink, int timeout_ms,
          Error& error) {
  const auto report = pump.step(link, client, sink, now_ms(), now_unix());
  if (report.lost) {
    error = report.error;
    return false;
  }
  if (report.progress || link.has_pending()) return true;
  pollfd p{link.poll_fd(), POLLIN, 0};
  if (report.wait == net::Wait::writable) p.events |= POLLOUT;
  ::poll(&p, 1, timeout_ms);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "localhost", ca;
  long port = 0, count = 1000, window = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    if (a == "--host") host = argv[i + 1];
    else if (a == "--port") port = std::atol(argv[i + 1]);
    else if (a == "--ca") ca = argv[i + 1];
    else if (a == "--count") count = std::atol(argv[i + 1]);
    else if (a == "--window") window = std::atol(argv[i + 1]);
    else return usage();
  }
  if (argc % 2 == 0 || ca.empty() || port <= 0 || port > 65535 || count < 0 || window < 1 ||
      window > static_cast<long>(max_window))
    return usage();

  // The device's side starts from a connection string, as `picohub sim` does (the key is a throwaway).
  const std::string connection_string = "HostName=" + host + ";DeviceId=bench;SharedAccessKey=" +
                                        "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktYmVuY2g=";
  auto identity = iothub::parse_connection_string(connection_string);
  if (!identity) return failed("connection string", identity.error());

  net::TlsContext tls;
  net::TlsOptions tls_options;
  tls_options.use_builtin_roots = false;
  if (auto r = tls.init(tls_options); !r) return failed("TLS setup failed", r.error(), tls.last_error_detail());
  if (auto r = tls.add_ca_file(ca); !r) return failed("cannot load --ca", r.error(), tls.last_error_detail());
  net::PosixTcp tcp;
  if (auto r = tcp.start_connect(host, static_cast<std::uint16_t>(port)); !r)
    return failed("connect failed", r.error(), tcp.last_error_detail());
  net::TlsTransport link(tls, tcp, host);
  if (auto r = net::connect_blocking(link, std::chrono::seconds(10)); !r)
    return failed("TLS connect failed", r.error(), link.last_error_detail());

  auto memory = std::make_unique<BenchClientMemory>();
  auto view = memory->view();
  view.session.window = view.session.window.first(static_cast<std::size_t>(window));
  view.session.window_bytes = view.session.window_bytes.first(static_cast<std::size_t>(window) * 256);
  iothub::DeviceClient client(view, *identity, {});
  std::vector<std::uint8_t> read_buffer(16384);
  device::Pump pump(read_buffer);
  Counter sink;
  Error error{Errc::connection_closed, ""};

  if (auto r = client.connect(now_ms(), now_unix()); !r) return failed("CONNECT failed", r.error());
  const auto give_up = Clock::now() + std::chrono::seconds(120);  // bounded, whatever happens
  while (!sink.ready) {
    if (!turn(pump, link, client, sink, 100, error)) return failed("MQTT connect failed", error);
    if (sink.refused) return failed("MQTT connect failed", Error{Errc::auth_refused, "CONNACK refused"});
    if (Clock::now() > give_up) return failed("MQTT connect failed", Error{Errc::timeout, "no SUBACK"});
  }

  static constexpr iothub::MessageProperties json{{}, {}, "application/json", "utf-8", {}};
  char body[128];
  std::size_t sent = 0;
  const auto total = static_cast<std::size_t>(count);
  const auto start = Clock::now();
  while (sink.acked < total) {
    while (sent < total && sent - sink.acked < static_cast<std::size_t>(window)) {
      const int len = std::snprintf(body, sizeof body, "{\"messageId\":%zu,\"temperature\":21.5,\"humidity\":48.2}",
                                    sent);
      auto id = client.send_telemetry(
          std::span(reinterpret_cast<const std::uint8_t*>(body), static_cast<std::size_t>(len)), json,
          mqtt::QoS::at_least_once, now_ms());
      if (!id) {
        if (id.error().code == Errc::buffer_full) break;
        return failed("publish failed", id.error());
      }
      ++sent;
    }
    if (!turn(pump, link, client, sink, 1000, error)) return failed("publish phase failed", error);
    if (Clock::now() > give_up)
      return failed("publish phase", Error{Errc::timeout, "not every PUBACK arrived in 120 s"});
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  client.disconnect();
  (void)device::Pump::flush(link, client);
  link.close();
  std::printf("picohub-iothub count=%ld window=%ld seconds=%.4f msgs_per_s=%.0f\n", count, window, seconds,
              seconds > 0 ? static_cast<double>(count) / seconds : 0.0);
  return 0;
}
