// `picohub sim`: a host device doing the tutorial's job — connect to IoT Hub with a SAS token over MQTT + TLS,
// send JSON telemetry, print each PUBACK, then wait for cloud-to-device messages and print them. Like the board it
// follows the twin's desired telemetryInterval and answers the direct methods blink (a printed line), getStatus
// and reboot (501: a simulator has nothing to reboot; restarting the process is the caller's business).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "command.hpp"
#include "duration.hpp"
#include "endpoint_text.hpp"
#include "sim_provisioner.hpp"
#include "device/tutorial_app.hpp"
#include "device/tutorial_model.hpp"
#include "iothub/connection_string.hpp"
#include "iothub/device_client.hpp"
#include "iothub/dps_client.hpp"
#include "iothub/dtmi.hpp"
#include "link/device_link.hpp"
#include "iothub/sas_token.hpp"
#include "net/tls_context.hpp"

namespace picohub::cli {
namespace {

std::atomic<bool> interrupted{false};

std::string utc_text(std::uint64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

int exit_code_for(Errc code) {
  switch (code) {
    case Errc::auth_refused: return exit_auth;
    case Errc::invalid_argument:
    case Errc::malformed: return exit_usage;
    default: return exit_network;
  }
}

struct SimOptions {
  std::string connection_string;
  std::string ca_file;
  std::string cert_file;  // x509=true: the device certificate and its key (PEM)
  std::string key_file;
  int count = 10;
  std::string interval = "1s";
  int qos = 1;
  int wait_c2d = 0;
  std::string c2d_timeout = "0";
  int keep_alive = 240;
  int sas_ttl = 3600;
  int retries = 5;
  int queue = 256;  // readings held while the hub is away (oldest dropped, with a line, when full)
  std::string model_id{device::tutorial_model_id};
  bool no_twin = false;
  // --websocket: MQTT over WebSockets (wss://host/$iothub/websocket) on 443, for networks that block 8883.
  bool websocket = false;
  int port = 0;  // --port: overrides the port from the connection string (0 = not given)
  // --dps: register with the Device Provisioning Service first, then connect to the hub it assigns.
  std::string dps_scope;
  std::string registration_id;
  std::string dps_key;
  bool dps_group = false;
  std::string dps_host{iothub::dps_global_endpoint};
};

// The tutorial's sensor on the host: random values in the tutorial's ranges (20-30 °C, 40-50 %).
class RandomSensor final : public device::Sensor {
 public:
  Result<device::SensorReading> read() override {
    return device::SensorReading{temperature_(random_), true, humidity_(random_)};
  }

 private:
  std::mt19937 random_{std::random_device{}()};
  std::uniform_int_distribution<std::int32_t> temperature_{2000, 3000}, humidity_{4000, 5000};
};

class StdoutConsole final : public device::ConsoleSink {
 public:
  void write_line(std::string_view line) override {
    std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
    std::fflush(stdout);
  }
};

// The host's answers to the direct methods: blink prints, getStatus gives uptime, host name and link counters.
class HostControl final : public device::DeviceControl {
 public:
  void attach(const link::DeviceLink& link) { link_ = &link; }
  void blink(std::uint32_t times) override {
    std::printf("LED: blinking %u times (simulated)\n", times);
    std::fflush(stdout);
  }
  std::size_t status_members(std::span<char> out) override {
    char host[64] = "unknown";
    (void)gethostname(host, sizeof host - 1);
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(link::Clock::now() - started_).count();
    const int n = std::snprintf(out.data(), out.size(),
                                R"("uptimeS":%lld,"platform":"picohub sim","host":"%s","hubConnections":%u,)"
                                R"("reconnects":%d)",
                                static_cast<long long>(uptime), host, link_ ? link_->supervisor().connections() : 0u,
                                link_ ? link_->reconnects() : 0);
    return n > 0 && static_cast<std::size_t>(n) < out.size() ? static_cast<std::size_t>(n) : 0;
  }
  bool request_reboot() override { return false; }

 private:
  const link::DeviceLink* link_ = nullptr;
  link::Clock::time_point started_ = link::Clock::now();
};

using HostClientMemory = iothub::StaticDeviceClientMemory<8 * 1024, 70 * 1024, 16, 2048, 2048, 1024, 4096, 32, 1024>;

// Throughput mode (--interval 0): queue messages while the client takes them; once it refuses one (in-flight
// window or output buffer full, or not connected yet) pump the link until it has made room: a PUBACK for QoS 1,
// all output written for QoS 0. The wait is on the socket (DeviceLink polls it), bounded by a second per call.
Result<void> throughput_step(device::TutorialApp& app, iothub::DeviceClient& client, link::DeviceLink& device_link,
                             int qos) {
  const auto sent = app.sent();
  if (auto r = app.on_time(link::DeviceLink::now_ms()); !r) return r;
  if (app.sent() != sent) return {};  // taken: try the next one before pumping
  const auto acked = app.acked();
  const auto room = [&] {
    if (interrupted) return true;
    if (qos == 1) return app.acked() != acked;
    return client.state() == iothub::DeviceClientState::ready && client.pending_output().empty();
  };
  if (auto r = device_link.run_until(room, link::Clock::now() + std::chrono::seconds(1));
      !r && r.error().code != Errc::timeout)
    return r;
  return {};
}

// Where the MQTT connection goes for `identity` (host, port, WebSockets); false when the host[:port] is unusable.
bool hub_endpoint(const iothub::ConnectionString& identity, const SimOptions& o, net::Endpoint& endpoint) {
  if (!split_endpoint(identity.endpoint_host(), endpoint.host, endpoint.port)) return false;
  if (o.websocket) {
    // The MQTT port of a GatewayHostName is not the WebSocket one: 443 unless HostName itself names a port.
    std::string ignored;
    if (!split_endpoint(identity.host_name, ignored, endpoint.port) ||
        identity.host_name.find(':') == std::string_view::npos)
      endpoint.port = 443;
    endpoint.websocket = true;
  }
  if (o.port != 0) endpoint.port = static_cast<std::uint16_t>(o.port);
  return true;
}

// `dps`: the device was provisioned by DPS, and registers again when the assigned hub keeps refusing it.
int run_sim(const SimOptions& o, SimProvisioner* dps = nullptr) {
  std::string offending;
  std::string_view offending_view;
  auto identity = iothub::parse_connection_string(o.connection_string, &offending_view);
  if (!identity) {
    std::fprintf(stderr, "picohub sim: invalid connection string: %s%s%.*s\n", identity.error().what,
                 offending_view.empty() ? "" : ": ", static_cast<int>(offending_view.size()), offending_view.data());
    std::fprintf(stderr, "  expected HostName=<hub>.azure-devices.net;DeviceId=<id>;SharedAccessKey=<base64 key>\n");
    return exit_usage;
  }
  if (identity->x509 != !o.cert_file.empty() || o.cert_file.empty() != o.key_file.empty()) {
    std::fprintf(stderr, identity->x509
                             ? "picohub sim: an x509=true connection string needs the device certificate and key: "
                               "--cert FILE --cert-key FILE (picohub device cert ID makes both)\n"
                             : "picohub sim: --cert and --cert-key go together, with an x509=true connection string\n");
    return exit_usage;
  }
  std::uint64_t interval_ms = 0, c2d_timeout_ms = 0;
  if (!parse_duration_ms(o.interval, interval_ms) || !parse_duration_ms(o.c2d_timeout, c2d_timeout_ms)) {
    std::fprintf(stderr, "picohub sim: durations look like 1s, 250ms or 2m\n");
    return exit_usage;
  }
  if (o.sas_ttl <= 60) {
    // SasRenewal renews 60 s before expiry at the latest: a 60 s token would be due for renewal the moment
    // it connects, and the CONNECT would end in a DISCONNECT.
    std::fprintf(stderr,
                 "picohub sim: --sas-ttl must be more than 60 s (a token is renewed at least 60 s before it "
                 "expires); use e.g. --sas-ttl 70 to see a renewal after 10 s\n");
    return exit_usage;
  }
  if (o.model_id != "none" && !iothub::is_valid_dtmi(o.model_id)) {
    std::fprintf(stderr, "picohub sim: --model-id '%s' is not a DTMI (like %s), or none to announce no model\n",
                 o.model_id.c_str(), std::string(device::tutorial_model_id).c_str());
    return exit_usage;
  }
  if (o.qos != 0 && o.qos != 1) {
    std::fprintf(stderr, "picohub sim: --qos must be 0 or 1 (IoT Hub does not support QoS 2)\n");
    return exit_usage;
  }

  net::Endpoint endpoint;
  if (!hub_endpoint(*identity, o, endpoint)) {
    std::fprintf(stderr, "picohub sim: cannot read host and port from '%.*s'\n",
                 static_cast<int>(identity->endpoint_host().size()), identity->endpoint_host().data());
    return exit_usage;
  }
  net::TlsContext tls;
  if (auto r = tls.init(); !r) {
    std::fprintf(stderr, "picohub sim: TLS setup failed: %s (%s)\n", r.error().what, tls.last_error_detail().c_str());
    return exit_network;
  }
  if (!o.ca_file.empty()) {
    if (auto r = tls.add_ca_file(o.ca_file); !r) {
      std::fprintf(stderr, "picohub sim: cannot use --ca %s: %s %s\n", o.ca_file.c_str(), r.error().what,
                   tls.last_error_detail().c_str());
      return exit_usage;
    }
  }
  if (identity->x509) {
    if (auto r = tls.set_client_certificate_files(o.cert_file, o.key_file); !r) {
      std::fprintf(stderr, "picohub sim: cannot use --cert/--cert-key: %s\n  detail: %s\n", r.error().what,
                   tls.last_error_detail().c_str());
      return exit_usage;
    }
  }
  endpoint.tls = &tls;

  auto memory = std::make_unique<HostClientMemory>();
  iothub::DeviceClientOptions options;
  options.keep_alive_s = static_cast<std::uint16_t>(o.keep_alive);
  options.sas_ttl_s = static_cast<std::uint32_t>(o.sas_ttl);
  options.subscribe_c2d = true;
  if (o.model_id != "none") options.model_id = o.model_id;
  options.twin = !o.no_twin;
  options.methods = !o.no_twin;
  iothub::DeviceClient client(memory->view(), *identity, options);
  link::LinkOptions link_options;
  link_options.max_reconnect_attempts = o.retries;
  link_options.provisioned = dps != nullptr;
  link::DeviceLink device_link(client, endpoint, link_options);
  std::deque<std::string> reassigned;  // connection strings of later registrations: the client's identity views one
  if (dps != nullptr) {
    device_link.on_reprovision([&](std::string& detail) -> Result<net::Endpoint> {
      auto text = dps->register_device(detail);
      if (!text) return tl::unexpected(text.error());
      reassigned.push_back(std::move(*text));
      auto next_identity = iothub::parse_connection_string(reassigned.back());
      net::Endpoint next = endpoint;  // the same TLS settings
      if (!next_identity || !hub_endpoint(*next_identity, o, next))
        return fail(Errc::malformed, "DPS assigned a hub that cannot be used");
      client.set_identity(*next_identity);
      std::printf("Connecting to %s:%u as device '%.*s'\n", next.host.c_str(), next.port,
                  static_cast<int>(next_identity->device_id.size()), next_identity->device_id.data());
      std::fflush(stdout);
      return next;
    });
  }

  RandomSensor sensor;
  StdoutConsole console;
  std::vector<char> line(memory->session.rx.size() + 64);  // a whole C2D payload fits one line
  device::TutorialOptions app_options;
  app_options.interval_ms = static_cast<std::uint32_t>(interval_ms);
  app_options.count = static_cast<std::uint32_t>(o.count);
  app_options.qos = o.qos == 1 ? mqtt::QoS::at_least_once : mqtt::QoS::at_most_once;
  // --interval 0 is the throughput mode: a message refused for a full window is retried as soon as the link
  // has made room (throughput_step waits on the socket for that), not after the app's 100 ms retry timer.
  const bool throughput = interval_ms == 0;
  if (throughput) app_options.retry_ms = 0;
  std::vector<device::QueuedTelemetry> queue_slots(static_cast<std::size_t>(o.queue));
  device::TutorialApp app(client, sensor, console, line, queue_slots, app_options);
  HostControl control;
  control.attach(device_link);
  if (!o.no_twin) app.enable_cloud_control(control);
  device_link.on_notice([](const link::LinkNotice& n) {
    std::printf("  [%s]\n", n.text.c_str());
    std::fflush(stdout);
  });
  device_link.on_event([&](const iothub::DeviceEvent& event) { app.on_event(event); });

  std::printf("Connecting to %s:%u as device '%.*s' (MQTT 3.1.1 over %s, %s)\n", endpoint.host.c_str(), endpoint.port,
              static_cast<int>(identity->device_id.size()), identity->device_id.data(),
              o.websocket ? "WebSockets over TLS at /$iothub/websocket" : "TLS",
              identity->x509 ? "X.509 client certificate" : "SAS token");
  std::fflush(stdout);
  const auto report = [&](const Error& e, const char* doing) {
    std::fprintf(stderr, "picohub sim: %s failed: %s\n", doing, e.what);
    if (!device_link.detail().empty()) std::fprintf(stderr, "  detail: %s\n", device_link.detail().c_str());
    if (e.code == Errc::certificate_invalid && o.ca_file.empty())
      std::fprintf(stderr, "  for a local hub, pass its CA: --ca <data dir>/ca.crt\n");
    return exit_code_for(e.code);
  };
  if (auto r = device_link.open(); !r) return report(r.error(), "connecting");
  if (identity->x509) {
    std::printf("Connected with certificate %s; subscribed to cloud-to-device messages\n", o.cert_file.c_str());
  } else {
    std::printf("Connected; SAS token valid until %s; subscribed to cloud-to-device messages\n",
                utc_text(client.token_expiry_unix()).c_str());
  }
  std::fflush(stdout);

  // A desired telemetryInterval may move the next message: stop waiting when the app's deadline changes.
  std::uint64_t due = 0;
  const auto due_moved = [&] { return interrupted.load() || app.next_deadline_ms() != due; };
  const auto sending_since = link::Clock::now();
  app.start(link::DeviceLink::now_ms());
  while (o.count > 0 && !app.done_sending() && !interrupted) {
    if (throughput) {
      if (auto r = throughput_step(app, client, device_link, o.qos); !r) return report(r.error(), "sending telemetry");
      continue;
    }
    due = app.next_deadline_ms();
    const auto now = link::DeviceLink::now_ms();
    const auto wake = link::Clock::now() + std::chrono::milliseconds(due > now ? due - now : 0);
    if (auto r = device_link.run_until(due_moved, wake); !r && r.error().code != Errc::timeout)
      return report(r.error(), "sending telemetry");
    if (interrupted) break;
    if (auto r = app.on_time(link::DeviceLink::now_ms()); !r) return report(r.error(), "sending telemetry");
  }
  const auto sent = static_cast<int>(app.sent());
  const auto expected = sent - static_cast<int>(app.telemetry_dropped());  // a dropped reading has no PUBACK
  if (o.qos == 1 && static_cast<int>(app.acked()) < expected) {
    const auto all_acked = [&] { return static_cast<int>(app.acked()) >= expected || interrupted.load(); };
    if (auto r = device_link.run_until(all_acked, link::Clock::now() + std::chrono::seconds(30)); !r) {
      if (r.error().code != Errc::timeout) return report(r.error(), "waiting for acknowledgements");
      std::fprintf(stderr, "picohub sim: %d of %d messages were not acknowledged within 30 s\n",
                   expected - static_cast<int>(app.acked()), expected);
      device_link.close();
      return exit_failure;
    }
  }

  if (throughput && sent > 0 && !interrupted) {
    const double seconds = std::chrono::duration<double>(link::Clock::now() - sending_since).count();
    std::printf("Throughput: %d message%s %s in %.3f s (%.0f msg/s)\n", sent, sent == 1 ? "" : "s",
                o.qos == 1 ? "acknowledged" : "sent", seconds, seconds > 0 ? sent / seconds : 0.0);
  }
  int result = exit_ok;
  if (o.wait_c2d > 0 && !interrupted) {
    std::printf("Waiting for cloud-to-device messages (%d)%s...\n", o.wait_c2d,
                c2d_timeout_ms ? (" for up to " + std::to_string(c2d_timeout_ms / 1000) + " s").c_str() : "");
    std::fflush(stdout);
    const auto enough = [&] { return static_cast<int>(app.received()) >= o.wait_c2d || interrupted.load(); };
    const auto deadline = c2d_timeout_ms ? link::Clock::now() + std::chrono::milliseconds(c2d_timeout_ms)
                                         : link::Clock::time_point::max();
    if (auto r = device_link.run_until(enough, deadline); !r) {
      if (r.error().code != Errc::timeout) return report(r.error(), "waiting for cloud-to-device messages");
      std::fprintf(stderr, "picohub sim: %u of %d cloud-to-device messages arrived within %llu s\n", app.received(),
                   o.wait_c2d, static_cast<unsigned long long>(c2d_timeout_ms / 1000));
      result = exit_failure;
    }
  }
  device_link.close();
  const std::string dropped = app.telemetry_dropped()
                                  ? ", " + std::to_string(app.telemetry_dropped()) + " dropped (queue full)"
                                  : "";
  std::printf("Done: %d sent, %u acknowledged%s, %u cloud-to-device message%s received%s.\n", sent, app.acked(),
              dropped.c_str(), app.received(), app.received() == 1 ? "" : "s", interrupted ? " (interrupted)" : "");
  return result;
}

// --dps: registers (SimProvisioner prints each step), then runs the sim with the connection string DPS's
// assignment makes; the same provisioner registers again if the assigned hub disowns the device.
int run_sim_with_dps(SimOptions o) {
  SimProvisioner dps;
  if (const int code = dps.setup(DpsSettings{o.dps_host, o.dps_scope, o.registration_id, o.dps_key, o.dps_group,
                                             o.ca_file, o.websocket, o.port});
      code != exit_ok)
    return code;
  std::string detail;
  auto connection_string = dps.register_device(detail);
  if (!connection_string) {
    const Error& e = connection_string.error();
    if (e.code == Errc::malformed) {  // an assignment we cannot use: DPS's fault, not the command line's
      std::fprintf(stderr, "picohub sim: %s\n", detail.c_str());
      return exit_failure;
    }
    std::fprintf(stderr, "picohub sim: DPS registration failed: %s\n", e.what);
    if (!detail.empty()) std::fprintf(stderr, "  detail: %s\n", detail.c_str());
    if (e.code == Errc::certificate_invalid && o.ca_file.empty())
      std::fprintf(stderr, "  for a local hub, pass its CA: --ca <data dir>/ca.crt\n");
    return exit_code_for(e.code);
  }
  o.connection_string = std::move(*connection_string);
  return run_sim(o, &dps);
}

}  // namespace

PICOHUB_COMMAND(10, [](CLI::App& root, int& exit_code) {
  auto options = std::make_shared<SimOptions>();
  auto* sim = root.add_subcommand("sim", "Simulated device: send JSON telemetry, print PUBACKs, receive C2D messages");
  sim->add_option("--connection-string,-c", options->connection_string,
                  "Device connection string (HostName=...;DeviceId=...;SharedAccessKey=...)")
      ->envname("PICOHUB_CONNECTION_STRING");
  sim->add_option("--ca", options->ca_file, "Also trust this CA (PEM), e.g. the local hub's ca.crt");
  sim->add_option("--cert", options->cert_file,
                  "x509=true: the device certificate (PEM; picohub device cert makes one), docs/x509.md");
  // Not --key: that one is the DPS enrollment key.
  sim->add_option("--cert-key", options->key_file, "x509=true: the certificate's private key (PEM, unencrypted)");
  sim->add_option("--count,-n", options->count, "Telemetry messages to send")->check(CLI::NonNegativeNumber);
  sim->add_option("--interval", options->interval,
                  "Time between messages (1s, 250ms, 2m); 0 = as fast as the link takes them (throughput mode)");
  sim->add_option("--qos", options->qos, "MQTT QoS for telemetry (0 or 1)");
  sim->add_option("--wait-c2d", options->wait_c2d, "After sending, wait for N cloud-to-device messages")
      ->expected(0, 1)
      ->default_str("1");
  sim->add_option("--c2d-timeout", options->c2d_timeout, "Give up waiting for C2D after this long (0 = never)");
  sim->add_option("--keep-alive", options->keep_alive, "MQTT keep-alive in seconds (IoT Hub: at most 1177)")
      ->check(CLI::Range(0, 1177));
  sim->add_option("--model-id", options->model_id,
                  "IoT Plug and Play model announced at CONNECT (a DTMI; default: the tutorial's model), or none")
      ->capture_default_str();
  sim->add_option("--sas-ttl", options->sas_ttl, "Lifetime of each generated SAS token in seconds")
      ->check(CLI::Range(60, 365 * 24 * 3600));
  sim->add_option("--retries", options->retries,
                  "Reconnect attempts in a row after a lost connection before giving up (back-off 0.5 s to 10 s)")
      ->check(CLI::Range(0, 1000));
  sim->add_option("--queue", options->queue,
                  "Readings held while the hub is unreachable, sent in order when it is back; when full the "
                  "oldest is dropped (and counted)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  sim->add_flag("--websocket", options->websocket,
                "MQTT over WebSockets (wss://<hub>/$iothub/websocket) on port 443, for networks that block 8883; "
                "with --dps the registration too");
  sim->add_option("--port", options->port,
                  "Connect to this port (with --websocket: the hub's HTTPS port, and DPS's with --dps)")
      ->check(CLI::Range(1, 65535));
  sim->add_flag("--no-twin", options->no_twin,
                "Do not subscribe to the twin and direct methods (a plain MQTT broker has no $iothub topics)");
  sim->add_option("--dps", options->dps_scope,
                  "Register with the Device Provisioning Service of this id scope first, then connect to the hub "
                  "it assigns (instead of --connection-string)");
  sim->add_option("--registration-id", options->registration_id, "--dps: the registration id (also the client id)");
  sim->add_option("--key", options->dps_key,
                  "--dps: the individual enrollment's key, or the enrollment group's key with --group");
  sim->add_flag("--group", options->dps_group,
                "--dps: --key is a group key; sign with the key derived from it and the registration id");
  sim->add_option("--dps-host", options->dps_host, "--dps: the DPS endpoint, HOST[:PORT]")->capture_default_str();
  sim->callback([options, &exit_code] {
    std::signal(SIGINT, [](int) { interrupted = true; });
    std::signal(SIGTERM, [](int) { interrupted = true; });
    std::signal(SIGPIPE, SIG_IGN);
    if (!options->dps_scope.empty()) {
      exit_code = run_sim_with_dps(*options);
    } else if (options->connection_string.empty()) {
      std::fprintf(stderr,
                   "picohub sim: give --connection-string (or PICOHUB_CONNECTION_STRING), or --dps ID_SCOPE "
                   "--registration-id ID --key KEY to be provisioned\n");
      exit_code = exit_usage;
    } else {
      exit_code = run_sim(*options);
    }
  });
});

}  // namespace picohub::cli
