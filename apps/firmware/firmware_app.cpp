#include "firmware_app.hpp"

#include <algorithm>

#include "console_line.hpp"
#include "device/line_writer.hpp"
#include "net/trust_store.hpp"
#include "tls/client_config.hpp"
#include "tls/trust_anchors.hpp"
#include "tls/unix_time.hpp"
#include "utc_text.hpp"

namespace picohub::firmware {
namespace {

// mbedTLS asks for the time through a plain function: the one app of the program answers it.
const FirmwareApp* time_owner = nullptr;

ConsoleLine& mac_text(ConsoleLine& line, const provisioning::MacAddress& mac) noexcept {
  for (std::size_t i = 0; i < mac.size(); ++i) {
    if (i != 0) line << ":";
    if (mac[i] < 16) line << "0";
    line.number(mac[i], 16);
  }
  return line;
}

netstack::DhcpLease static_lease(const provisioning::StaticIp& ip) noexcept {
  netstack::DhcpLease lease{};
  lease.ip = netstack::Ipv4{ip.address};
  lease.subnet_mask = netstack::Ipv4{ip.netmask};
  lease.gateway = netstack::Ipv4{ip.gateway};
  lease.dns[0] = netstack::Ipv4{ip.dns};
  lease.dns_count = lease.dns[0].is_zero() ? 0 : 1;
  lease.lease_s = 0xFFFF'FFFFu;
  return lease;
}

// Appends text to a fixed buffer, cutting what does not fit (a console line longer than ConsoleLine's).
struct LongLine {
  std::array<char, 320> text{};
  std::size_t size = 0;
  LongLine& operator<<(std::string_view s) noexcept {
    for (char c : s)
      if (size < text.size()) text[size++] = c;
    return *this;
  }
  std::string_view view() const noexcept { return {text.data(), size}; }
};

// How a maker fixes a configuration the board cannot use (one text for both lines that say it).
constexpr std::string_view reprovision_command =
    "picohub board uf2 --connection-string \"HostName=...;DeviceId=...;SharedAccessKey=...\" -o board.uf2";

}  // namespace

std::optional<provisioning::DeviceConfig> load_config(std::span<const std::uint8_t> flash,
                                                      device::ConsoleSink& console) noexcept {
  auto config = provisioning::decode_config_block(flash);
  if (config) return *config;
  std::array<char, 200> why{};
  LongLine line;
  line << "config error: " << provisioning::describe(config.error(), why)
       << ". Not connecting. Re-provision the board: " << reprovision_command << ", then flash board.uf2";
  console.write_line(line.view());
  return std::nullopt;
}

FirmwareApp::FirmwareApp(const FirmwarePorts& ports) noexcept
    : ports_(ports), chip_(ports.w5100s_spi, ports.w5100s_reset) {
  mbedtls_x509_crt_init(&trust_anchors_);
  mbedtls_ssl_config_init(&tls_config_);
}

FirmwareApp::~FirmwareApp() {
  app_.reset();
  hub_.reset();
  mbedtls_ssl_config_free(&tls_config_);
  mbedtls_x509_crt_free(&trust_anchors_);
  if (time_owner == this) {
    tls::set_unix_time_source(nullptr);
    time_owner = nullptr;
  }
}

// The hub identity: the connection string's, or (DPS) the registration id and key until DPS assigns a hub.
bool FirmwareApp::configure_identity(const provisioning::DeviceConfig& config) noexcept {
  const provisioning::DpsSettings& dps = config.dps;
  if (!dps.id_scope.empty()) {
    identity_.device_id = dps.registration_id;
    identity_.shared_access_key = dps.key_base64;
    identity_.host_name = dps.endpoint.empty() ? provisioning::dps_default_endpoint : dps.endpoint;
    dps_registration_ = iothub::DpsRegistration{dps.id_scope, dps.registration_id, dps.key_base64, {}};
    iothub::DpsClientOptions options;
    options.sas_ttl_s = config.sas_ttl_s;
    options.max_attempts = 10;  // register + polls; then the supervisor's back-off decides
    dps_.emplace(dps_memory_.view(), dps_registration_, options);
    ConsoleLine line;
    line << "config: DPS registration " << dps.registration_id << " in scope " << dps.id_scope << " at "
         << identity_.host_name << (dps.group_key_derived ? " (group enrollment)" : " (individual enrollment)");
    ports_.console.write_line(line.text());
    return true;
  }
  auto identity = iothub::split_connection_string(config.connection_string);
  if (!identity || (identity->shared_access_key.empty() && !identity->x509)) {
    ConsoleLine line;
    line << "config: the connection string cannot be used: "
         << (identity ? "it has no SharedAccessKey" : identity.error().what);
    ports_.console.write_line(line.text());
    ConsoleLine remedy;
    remedy << "  make a new image: " << reprovision_command;
    ports_.console.write_line(remedy.text());
    return false;
  }
  identity_ = *identity;
  return true;
}

bool FirmwareApp::configure(const provisioning::DeviceConfig& config) noexcept {
  if (!configure_identity(config)) return false;

  ConsoleLine line;
  line << "config: device " << identity_.device_id << " on " << identity_.endpoint_host() << ", telemetry every ";
  line.number(config.telemetry_interval_ms / 1000) << " s, ";
  if (identity_.x509) {
    line << "X.509 certificate, MAC ";  // no SAS token; its expiry follows once setup_tls has parsed it
  } else {
    line << "SAS token ";
    line.number(config.sas_ttl_s) << " s, MAC ";
  }
  mac_text(line, config.mac) << (config.static_ip ? ", static IP" : ", DHCP")
                             << (config.extra_ca.empty() ? "" : ", extra CA");
  ports_.console.write_line(line.text());

  // Ids and jitter need not be secret, but a fleet must not share them: seed from the entropy source when it is
  // healthy, else from the MAC and the boot time.
  std::uint32_t seed = 0;
  if (!ports_.entropy.fill({reinterpret_cast<std::uint8_t*>(&seed), sizeof seed})) {
    for (std::uint8_t b : config.mac) seed = seed * 131u + b;
    seed ^= static_cast<std::uint32_t>(ports_.clock.now_ms());
  }
  prng_state_ = seed != 0 ? seed : 0x9E37'79B9u;

  setup_tls(config);

  iothub::DeviceClientOptions client_options;
  client_options.sas_ttl_s = config.sas_ttl_s;
  client_options.model_id = config.model_id;  // Plug and Play: the hub stamps it on events as dt-dataschema
  client_options.twin = ports_.control != nullptr;
  client_options.methods = ports_.control != nullptr;
  client_.emplace(client_memory_.view(), identity_, client_options);
  NetworkOptions network_options;
  std::copy(config.mac.begin(), config.mac.end(), network_options.mac.begin());
  if (config.static_ip) network_options.static_lease = static_lease(*config.static_ip);
  network_options.hostname = identity_.device_id;
  network_options.random = netstack::RandomSource{&FirmwareApp::next_random, this};
  network_.emplace(chip_, unix_clock_, ports_.console, network_options);
  hub_.emplace(*client_, *network_, chip_, ports_.clock, unix_clock_,
               HubTls{tls_ready_ ? &tls_config_ : nullptr, &tls_session_}, ports_.console,
               static_cast<device::DeviceEventSink&>(*this), network_options.random);
  if (dps_) hub_->use_dps(*dps_, identity_.host_name, *this);
  if (config.websocket_port != 0) hub_->use_websocket(config.websocket_port, ws_entropy_);
  if (auto r = hub_->set_endpoint(identity_.endpoint_host()); !r) {
    ConsoleLine bad;
    bad << "config: " << r.error().what;
    ports_.console.write_line(bad.text());
    return false;
  }
  device::TutorialOptions app_options;
  app_options.interval_ms = config.telemetry_interval_ms;
  app_.emplace(*client_, ports_.sensor, ports_.console, line_buffer_,
               std::span(telemetry_queue_).first(config.telemetry_queue), app_options);
  app_->set_c2d_listener(&ports_.c2d);
  if (ports_.control != nullptr) app_->enable_cloud_control(*ports_.control);
  return true;
}

void FirmwareApp::setup_tls(const provisioning::DeviceConfig& config) noexcept {
  if (ports_.entropy.health() != platform::EntropyHealth::ok) {
    ConsoleLine line;
    line << "TLS blocked: the entropy source " << platform::describe(ports_.entropy.health())
         << "; the device will not connect with predictable keys";
    ports_.console.write_line(line.text());
    return;
  }
  if (auto r = drbg_.seed(ports_.entropy, "picohub-device"); !r) {
    ConsoleLine line;
    line << "TLS blocked: seeding the random generator failed: " << r.error().what;
    ports_.console.write_line(line.text());
    return;
  }
  if (auto r = tls::load_trust_anchors(trust_anchors_, net::builtin_roots_der(), config.extra_ca); !r) {
    ConsoleLine line;
    line << "TLS blocked: " << r.error().what << "; make a new image with a valid --ca";
    ports_.console.write_line(line.text());
    return;
  }
  time_owner = this;
  tls::ClientConfigParams params;
  params.random = &tls::EntropyDrbg::random;
  params.random_state = &drbg_;
  params.trust_anchors = &trust_anchors_;
  params.unix_time = &FirmwareApp::unix_time_now;
  params.profile = tls::Profile::device;
  if (!config.x509.certificate_der.empty()) {
    if (auto r = own_certificate_.load(config.x509); !r) {
      ConsoleLine line;
      line << "TLS blocked: " << r.error().what << "; make a new image with picohub board uf2 --cert --cert-key";
      ports_.console.write_line(line.text());
      return;
    }
    params.own_certificate = own_certificate_.certificate();
    params.own_key = own_certificate_.key();
    // What replaces the SAS token's lifetime for this device: the hub accepts it until the certificate expires.
    const mbedtls_x509_time& until = own_certificate_.certificate()->valid_to;
    ConsoleLine line;
    line << "config: X.509 certificate valid until ";
    append_utc(line, static_cast<std::uint64_t>(
                         tls::unix_from_utc(until.year, until.mon, until.day, until.hour, until.min, until.sec)));
    ports_.console.write_line(line.text());
  }
  if (auto r = tls::setup_client_config(tls_config_, params); !r) {
    ConsoleLine line;
    line << "TLS blocked: configuration failed: " << r.error().what;
    ports_.console.write_line(line.text());
    return;
  }
  tls_ready_ = true;
}

void FirmwareApp::start(std::uint64_t now_ms) noexcept {
  if (!network_) return;
  network_->start(now_ms);
  hub_->start(now_ms);
  app_->start(now_ms + 1'000);
}

void FirmwareApp::poll(std::uint64_t now_ms) noexcept {
  if (!network_) return;
  network_->poll(now_ms);
  hub_->poll(now_ms);
  if (telemetry_running()) {
    if (auto r = app_->on_time(now_ms); !r) {
      ConsoleLine line;
      line << "telemetry: " << r.error().what;
      ports_.console.write_line(line.text());
      app_->start(now_ms + 1'000);  // try again with the next reading
    }
  }
}

std::uint64_t FirmwareApp::next_deadline_ms() const noexcept {
  if (!network_) return device::TutorialApp::no_deadline;
  std::uint64_t deadline = std::min(network_->next_deadline_ms(), hub_->next_deadline_ms());
  if (telemetry_running()) deadline = std::min(deadline, app_->next_deadline_ms());
  return deadline;
}

// Telemetry starts with the first connection and goes on through outages: a QoS 1 message made while the hub is
// away waits in the session's in-flight window and goes out, in order, after the reconnect. A full window holds
// the next reading back (its number is not skipped), so an hour offline queues a window's worth, not an hour.
bool FirmwareApp::telemetry_running() const noexcept {
  return hub_ && (hub_->up() || hub_->supervisor().connections() > 0);
}

std::size_t FirmwareApp::link_status_members(std::span<char> out) const noexcept {
  device::LineWriter w(out);
  w.text("\"ip\":\"");
  const netstack::DhcpLease* lease = network_ ? network_->lease() : nullptr;
  if (lease != nullptr) {
    std::array<char, 16> ip{};
    w.text(std::string_view(ip.data(), netstack::format_ipv4(lease->ip, ip)));
  }
  w.text("\",\"hubUp\":");
  w.text(hub_ && hub_->up() ? "true" : "false");
  w.text(",\"hubConnections\":");
  w.number(hub_ ? hub_->supervisor().connections() : 0);
  return w.cut() ? 0 : w.line().size();
}

void FirmwareApp::on_device_event(const iothub::DeviceEvent& event) { app_->on_event(event); }

// DPS assigned "host[:port]" and a device id: sign as that device for that host (a port other than 8883, as a
// local hub's, goes in GatewayHostName, the way the connection string says it), with the enrollment's key.
Result<std::string_view> FirmwareApp::on_assigned(const iothub::DpsAssigned& assigned) noexcept {
  const std::string_view hub = assigned.assigned_hub;
  const std::string_view id = assigned.device_id;
  if (hub.size() + id.size() > assigned_names_.size()) return fail(Errc::too_large, "DPS: assigned names too long");
  std::copy(hub.begin(), hub.end(), assigned_names_.begin());
  std::copy(id.begin(), id.end(), assigned_names_.begin() + static_cast<std::ptrdiff_t>(hub.size()));
  const std::string_view endpoint(assigned_names_.data(), hub.size());
  identity_.device_id = std::string_view(assigned_names_.data() + hub.size(), id.size());
  const auto colon = endpoint.rfind(':');
  identity_.host_name = endpoint.substr(0, colon);
  identity_.gateway_host_name = colon == std::string_view::npos ? std::string_view{} : endpoint;
  client_->set_identity(identity_);
  return endpoint;
}

std::uint32_t FirmwareApp::next_random(void* self) noexcept {
  auto& state = static_cast<FirmwareApp*>(self)->prng_state_;
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

bool FirmwareApp::unix_time_now(std::int64_t& unix_s) {
  if (time_owner == nullptr) return false;
  auto now = time_owner->unix_clock_.unix_s(time_owner->ports_.clock.now_ms());
  if (!now) return false;
  unix_s = static_cast<std::int64_t>(*now);
  return true;
}

}  // namespace picohub::firmware
