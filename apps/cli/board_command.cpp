// `picohub board uf2`: one flashable file for a W5100S-EVB-Pico — the firmware image plus the device's config
// block (connection string, optional CA, interval, network, MAC) in the last flash sector. Everything the
// firmware would refuse at boot is refused here first, with the reason; an x509=true config for an image built
// without X.509 gets a warning that says how to build the X.509 image.
#include <mbedtls/x509_crt.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "board/image/boot2_crc.hpp"
#include "board/image/uf2_reader.hpp"
#include "board/image/uf2_writer.hpp"
#include "command.hpp"
#include "duration.hpp"
#include "device/tutorial_model.hpp"
#include "iothub/connection_string.hpp"
#include "board_x509.hpp"
#include "hub/x509_identity.hpp"
#include "iothub/dps_topics.hpp"
#include "iothub/dtmi.hpp"
#include "iothub/sas_token.hpp"
#include "provisioning/config_block.hpp"
#include "provisioning/device_mac.hpp"

#ifndef PICOHUB_DEFAULT_FIRMWARE
#define PICOHUB_DEFAULT_FIRMWARE "build/board/apps/firmware/picohub-firmware.bin"
#endif

namespace picohub::cli {
namespace {

namespace prov = provisioning;

struct BoardUf2Options {
  std::string connection_string;
  std::string ca_file;
  std::string interval = "5s";
  std::string sas_ttl = "60m";
  std::string model_id{device::tutorial_model_id};
  int queue = prov::default_telemetry_queue;
  std::string cert_file;  // x509=true: the device certificate and its P-256 key (PEM)
  std::string cert_key_file;
  std::string dps_scope;  // set: register with DPS instead of a connection string
  std::string dps_registration_id;
  std::string dps_key;
  std::string dps_group_key;
  std::string dps_host{prov::dps_default_endpoint};
  int dps_port = 8883;
  bool websocket = false;   // MQTT over WebSockets (wss) to the hub, for networks that block 8883
  int websocket_port = -1;  // -1: not given (prov::default_websocket_port)
  std::string static_ip;
  std::string mac;
  std::string firmware;
  std::string output;
};

// Why the command will not write the UF2: what is wrong and how to fix it, with the exit code to use.
struct Refusal {
  int exit_code;
  std::string message;
};

template <class T>
using Checked = tl::expected<T, Refusal>;

tl::unexpected<Refusal> refuse(int exit_code, std::string message) {
  return tl::unexpected<Refusal>(Refusal{exit_code, std::move(message)});
}

std::optional<std::vector<std::uint8_t>> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string describe(const prov::ConfigProblem& problem) {
  char text[256];
  return std::string(prov::describe(problem, text));
}

std::string hex32(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08X", value);
  return text;
}

std::string dotted(const prov::Ipv4Address& a) {
  return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." + std::to_string(a[3]);
}

std::string colon_hex(const prov::MacAddress& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return text;
}

Checked<iothub::ConnectionString> check_connection_string(const std::string& text) {
  std::string_view offending;
  const auto parsed = iothub::parse_connection_string(text, &offending);
  if (!parsed)
    return refuse(exit_usage,
                  std::string("invalid connection string: ") + parsed.error().what +
                      (offending.empty() ? "" : ": " + std::string(offending)) +
                      "\n  expected HostName=<hub>.azure-devices.net;DeviceId=<id>;SharedAccessKey=<base64 key>");
  if (!parsed->shared_access_signature.empty())
    return refuse(exit_usage,
                  "the connection string holds a SharedAccessSignature: a token expires, and the board would stop "
                  "connecting when it does.\n  Use the device's key instead: "
                  "HostName=...;DeviceId=...;SharedAccessKey=... (the firmware signs fresh tokens itself)");
  return *parsed;
}

Checked<prov::Ipv4Address> parse_ipv4(const std::string& text, const char* what) {
  in_addr address{};
  if (inet_pton(AF_INET, text.c_str(), &address) != 1)
    return refuse(exit_usage, std::string("--static-ip: ") + what + " '" + text + "' is not an IPv4 address");
  prov::Ipv4Address out;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&address.s_addr);  // network order
  std::copy(bytes, bytes + 4, out.begin());
  return out;
}

// "IP/PREFIX,GATEWAY[,DNS]"; DNS defaults to the gateway.
Checked<prov::StaticIp> parse_static_ip(const std::string& text) {
  const auto usage = "--static-ip takes IP/PREFIX,GATEWAY[,DNS], e.g. 192.168.1.50/24,192.168.1.1,1.1.1.1";
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
    parts.push_back(text.substr(start, comma - start));
  parts.push_back(text.substr(start));
  const auto slash = parts[0].find('/');
  if (parts.size() < 2 || parts.size() > 3 || slash == std::string::npos) return refuse(exit_usage, usage);
  const std::string_view prefix_text = std::string_view(parts[0]).substr(slash + 1);
  unsigned prefix = 0;
  const auto [end, ec] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  if (ec != std::errc{} || end != prefix_text.data() + prefix_text.size() || prefix < 1 || prefix > 32)
    return refuse(exit_usage, std::string(usage) + " (PREFIX is 1..32)");
  const auto address = parse_ipv4(parts[0].substr(0, slash), "address");
  const auto gateway = parse_ipv4(parts[1], "gateway");
  const auto dns = parts.size() == 3 ? parse_ipv4(parts[2], "DNS server") : gateway;
  for (const auto* part : {&address, &gateway, &dns})
    if (!*part) return tl::unexpected(part->error());
  prov::StaticIp ip{*address, {}, *gateway, *dns};
  const std::uint32_t mask = prefix == 32 ? 0xFFFFFFFFu : ~(0xFFFFFFFFu >> prefix);
  for (int i = 0; i < 4; ++i) ip.netmask[i] = static_cast<std::uint8_t>(mask >> (24 - 8 * i));
  return ip;
}

Checked<prov::MacAddress> parse_mac(const std::string& text) {
  prov::MacAddress mac{};
  unsigned octets[6];
  char tail = 0;
  const int n = std::sscanf(text.c_str(), "%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%c", &octets[0],
                            &octets[1], &octets[2], &octets[3], &octets[4], &octets[5], &tail);
  if (n != 6 || text.size() != 17)
    return refuse(exit_usage, "--mac takes six hex octets, e.g. 02:00:5e:10:00:01 (got '" + text + "')");
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<std::uint8_t>(octets[i]);
  return mac;
}

// The CA exactly as mbedtls_x509_crt_parse wants it: DER as is, PEM with a terminating NUL. Parsed here so a
// wrong file is refused now, not at the first TLS handshake on the board.
Checked<std::vector<std::uint8_t>> load_extra_ca(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return refuse(exit_usage, "cannot read --ca " + path);
  const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  if (text.find("-----BEGIN") != std::string_view::npos && (bytes->empty() || bytes->back() != 0)) bytes->push_back(0);
  if (bytes->size() > prov::max_extra_ca_bytes)
    return refuse(exit_usage, "--ca " + path + " is " + std::to_string(bytes->size()) + " bytes; the board takes " +
                                  std::to_string(prov::max_extra_ca_bytes) + " at most (one CA certificate)");
  mbedtls_x509_crt crt;
  mbedtls_x509_crt_init(&crt);
  const int rc = mbedtls_x509_crt_parse(&crt, bytes->data(), bytes->size());
  mbedtls_x509_crt_free(&crt);
  if (rc != 0) return refuse(exit_usage, "--ca " + path + " holds no X.509 certificate mbedTLS can parse (PEM or DER)");
  return *bytes;
}

// The default image carries the sentence it refuses an x509=true config with at boot; the X.509 image does not.
bool firmware_lacks_x509(const std::vector<std::uint8_t>& image) {
  constexpr std::string_view marker = prov::firmware_without_x509_marker;
  return std::search(image.begin(), image.end(), marker.begin(), marker.end()) != image.end();
}

Checked<std::vector<std::uint8_t>> load_firmware(const std::string& given) {
  const std::string path = given.empty() ? PICOHUB_DEFAULT_FIRMWARE : given;
  auto image = read_file(path);
  if (!image && given.empty())
    return refuse(exit_failure,
                  "no firmware image: run ./run build board or pass --firmware (looked for " + path + ")");
  if (!image) return refuse(exit_usage, "cannot read firmware image " + path);
  const std::string_view head(reinterpret_cast<const char*>(image->data()), std::min<std::size_t>(image->size(), 4));
  if (head ==
      "\x7F"
      "ELF")
    return refuse(exit_usage, path + " is an ELF file: pass the raw .bin (picohub-firmware.bin)");
  if (head == "UF2\n") return refuse(exit_usage, path + " is already a UF2: pass the raw .bin (picohub-firmware.bin)");
  const auto hint = ". Pass the raw image that starts at 0x10000000 with boot2 in its first 256 bytes";
  if (image->size() < board_image::boot2_size)
    return refuse(exit_usage, path + " is " + std::to_string(image->size()) +
                                  " bytes, shorter than the 256-byte boot2 it must start with" + hint);
  if (!board_image::boot2_crc_ok(*image))
    return refuse(exit_usage,
                  path + ": boot2 CRC is wrong (stored " + hex32(*board_image::stored_boot2_crc(*image)) +
                      ", computed " +
                      hex32(board_image::crc32_mpeg2(std::span(*image).first(board_image::boot2_checked_size))) +
                      "): the RP2040 would not boot it" + hint);
  const std::size_t room = prov::config_sector_address - prov::flash_base_address;
  if (image->size() > room)
    return refuse(exit_usage, path + " is " + std::to_string(image->size()) + " bytes and would overlap the config " +
                                  "sector at " + hex32(prov::config_sector_address) + " (at most " +
                                  std::to_string(room) + " bytes fit)");
  return *image;
}

// Writes the file readable by its owner only: it holds the device key.
Checked<void> write_private_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return refuse(exit_failure, "cannot write " + path);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, 0600);
  const bool closed = ::close(fd) == 0;
  if (done != bytes.size() || !closed) return refuse(exit_failure, "cannot write " + path);
  return {};
}

// Everything the UF2 is made of, checked.
struct Prepared {
  iothub::ConnectionString identity;  // DPS: device id = registration id, host = the DPS endpoint (until assigned)
  std::string dps_key;                // the key the config holds (derived from the group key for a group)
  std::string dps_endpoint;
  prov::DeviceConfig config;
  std::vector<std::uint8_t> ca;  // config.extra_ca views it
  BoardCertificate certificate;  // config.x509 views it
  std::vector<std::uint8_t> block;
  std::vector<std::uint8_t> firmware;
};

// The host a WebSocket connection goes to: the endpoint without its port (that port is MQTT's, not HTTPS's).
std::string websocket_host(std::string_view endpoint) { return std::string(endpoint.substr(0, endpoint.rfind(':'))); }

// The transport line of uf2's summary and of inspect. With DPS the same port serves the registration (at the DPS
// host) and then the hub DPS assigns (the port in its assignedHub is MQTT's).
void print_transport(std::string_view endpoint, bool dps, std::uint16_t websocket_port) {
  if (websocket_port == 0) {
    std::printf("  transport  MQTT over TLS\n");
  } else if (dps) {
    std::printf(
        "  transport  MQTT over WebSockets, DPS and hub: wss://%s:%u/$iothub/websocket, then the assigned "
        "hub's host on port %u; subprotocol mqtt\n",
        websocket_host(endpoint).c_str(), unsigned{websocket_port}, unsigned{websocket_port});
  } else {
    std::printf("  transport  MQTT over WebSockets: wss://%s:%u/$iothub/websocket, subprotocol mqtt\n",
                websocket_host(endpoint).c_str(), unsigned{websocket_port});
  }
}

// --websocket[-port]: MQTT over WebSockets to the hub, and to DPS first when the board registers (record 13).
Checked<void> fill_websocket(const BoardUf2Options& o, prov::DeviceConfig& config) {
  if (!o.websocket) {
    if (o.websocket_port != -1) return refuse(exit_usage, "--websocket-port needs --websocket");
    return {};
  }
  if (o.websocket_port != -1 && (o.websocket_port < 1 || o.websocket_port > 65535))
    return refuse(exit_usage, "--websocket-port is a number from 1 to 65535 (the hub's HTTPS port, 443)");
  config.websocket_port = static_cast<std::uint16_t>(o.websocket_port == -1 ? prov::default_websocket_port
                                                                            : o.websocket_port);
  return {};
}

// What it wrote, and the warning that the file is a secret.
void print_summary(const BoardUf2Options& o, const Prepared& p, std::size_t uf2_size) {
  std::printf("picohub board uf2: wrote %s (%zu bytes: %zu UF2 blocks, family 0xE48BFF56)\n", o.output.c_str(),
              uf2_size, uf2_size / board_image::uf2_block_size);
  std::printf("  firmware   0x%08X  %zu bytes, boot2 CRC %s ok  (%s)\n", prov::flash_base_address, p.firmware.size(),
              hex32(*board_image::stored_boot2_crc(p.firmware)).c_str(),
              o.firmware.empty() ? PICOHUB_DEFAULT_FIRMWARE : o.firmware.c_str());
  std::printf("  config     0x%08X  %zu bytes, format %u\n", prov::config_sector_address, p.block.size(),
              unsigned{prov::config_format_version});
  if (!p.config.dps.id_scope.empty())
    std::printf("  DPS        registration %s in scope %s at %s, %s; the hub and device id come from DPS\n",
                o.dps_registration_id.c_str(), o.dps_scope.c_str(), p.dps_endpoint.c_str(),
                o.dps_group_key.empty() ? "individual enrollment"
                                        : "group enrollment (the device key derived here; the group key stays here)");
  else
    std::printf("  device     %.*s on %.*s\n", static_cast<int>(p.identity.device_id.size()),
                p.identity.device_id.data(), static_cast<int>(p.identity.endpoint_host().size()),
                p.identity.endpoint_host().data());
  if (p.config.websocket_port != 0)
    print_transport(p.identity.endpoint_host(), !p.config.dps.id_scope.empty(), p.config.websocket_port);
  if (p.identity.x509)
    std::printf("  X.509      %s, SHA-1 thumbprint %s (P-256 key present, not shown)\n", p.certificate.subject.c_str(),
                p.certificate.sha1_thumbprint.c_str());
  std::printf("  MAC        %s%s\n", colon_hex(p.config.mac).c_str(),
              o.mac.empty() ? " (locally administered, derived from the device id)" : "");
  std::printf("  interval   %u ms\n", p.config.telemetry_interval_ms);
  if (!p.identity.x509)
    std::printf("  SAS token  %u s lifetime, renewed at %u s\n", p.config.sas_ttl_s,
                iothub::SasRenewal{0, p.config.sas_ttl_s}.renew_after_s());
  std::printf("  model      %s\n", p.config.model_id.empty() ? "none (no Plug and Play model announced)"
                                                             : std::string(p.config.model_id).c_str());
  std::printf("  queue      %u readings held while the hub is unreachable (then the oldest is dropped)\n",
              unsigned{p.config.telemetry_queue});
  if (p.config.static_ip)
    std::printf("  network    static %s netmask %s gateway %s DNS %s\n", dotted(p.config.static_ip->address).c_str(),
                dotted(p.config.static_ip->netmask).c_str(), dotted(p.config.static_ip->gateway).c_str(),
                dotted(p.config.static_ip->dns).c_str());
  else std::printf("  network    DHCP\n");
  std::printf("  extra CA   %s\n", p.ca.empty() ? "none (built-in Azure roots only)"
                                                : (o.ca_file + " (" + std::to_string(p.ca.size()) + " bytes)").c_str());
  const std::string_view endpoint = p.identity.endpoint_host();
  if (endpoint.starts_with("localhost") || endpoint.starts_with("127.") || endpoint.starts_with("[::1]"))
    std::printf(
        "note: %.*s is this computer's loopback name: a real board must reach the hub by its LAN address "
        "or DNS name (the virtual board is different)\n",
        static_cast<int>(endpoint.size()), endpoint.data());
  if (p.identity.x509 && firmware_lacks_x509(p.firmware))
    std::printf(
        "WARNING: this firmware image is built without X.509 support (an image from before X.509 joined the "
        "board image), so the board will refuse this config at boot: flash a current picohub-firmware image "
        "(docs/x509.md)\n");
  std::printf(
      "WARNING: %s holds the device's %s: treat it like a password (it is written mode 0600; "
      "do not commit or share it).\n",
      o.output.c_str(),
      p.identity.x509 ? "private key" : (p.config.dps.id_scope.empty() ? "SharedAccessKey" : "DPS symmetric key"));
  std::printf("To flash: hold BOOTSEL, plug the board into USB, copy %s to the RPI-RP2 drive.\n", o.output.c_str());
}

// The config block's contents from the options (the connection string was checked before).
Checked<void> fill_config(const BoardUf2Options& o, Prepared& p) {
  std::uint64_t interval_ms = 0;
  if (!parse_duration_ms(o.interval, interval_ms) || interval_ms > prov::max_telemetry_interval_ms)
    return refuse(exit_usage, "--interval looks like 5s, 1500ms or 2m (1 s .. 24 h)");
  p.config.connection_string = o.connection_string;
  p.config.telemetry_interval_ms = static_cast<std::uint32_t>(interval_ms);
  std::uint64_t ttl_ms = 0;
  if (!parse_duration_ms(o.sas_ttl, ttl_ms) || ttl_ms % 1000 != 0 || ttl_ms < prov::min_sas_ttl_s * 1000ull ||
      ttl_ms > prov::max_sas_ttl_s * 1000ull)
    return refuse(exit_usage,
                  "--sas-ttl looks like 60m, 30s or 1440m: whole seconds from 30 s to 24 h (the board renews "
                  "its token at 80 % of it)");
  p.config.sas_ttl_s = static_cast<std::uint32_t>(ttl_ms / 1000);
  if (o.model_id != "none") {
    if (!iothub::is_valid_dtmi(o.model_id))
      return refuse(exit_usage, "--model-id '" + o.model_id + "' is not a DTMI (like " +
                                    std::string(device::tutorial_model_id) + "), or none to announce no model");
    p.config.model_id = o.model_id;
  }
  if (o.queue < 1 || o.queue > prov::max_telemetry_queue)
    return refuse(exit_usage, "--queue " + std::to_string(o.queue) + " is out of range: the board holds 1 to " +
                                  std::to_string(prov::max_telemetry_queue) + " readings while the hub is away");
  p.config.telemetry_queue = static_cast<std::uint16_t>(o.queue);
  if (!o.static_ip.empty()) {
    const auto ip = parse_static_ip(o.static_ip);
    if (!ip) return tl::unexpected(ip.error());
    p.config.static_ip = *ip;
  }
  const auto mac = o.mac.empty() ? Checked<prov::MacAddress>(prov::mac_from_device_id(p.identity.device_id))
                                 : parse_mac(o.mac);
  if (!mac) return tl::unexpected(mac.error());
  p.config.mac = *mac;
  if (!o.ca_file.empty()) {
    auto ca = load_extra_ca(o.ca_file);
    if (!ca) return tl::unexpected(ca.error());
    p.ca = std::move(*ca);
  }
  p.config.extra_ca = p.ca;
  return fill_websocket(o, p.config);
}

// --dps-*: the enrollment's settings, each checked with a message that names the option.
Checked<void> prepare_dps(const BoardUf2Options& o, Prepared& p) {
  if (!o.connection_string.empty())
    return refuse(exit_usage, "give --connection-string or --dps-scope, not both: DPS assigns the hub and device id");
  if (o.dps_scope.find_first_of("/#+ ") != std::string::npos || o.dps_scope.size() > prov::max_dps_text_bytes)
    return refuse(exit_usage, "--dps-scope '" + o.dps_scope + "' is not an id scope (like 0ne00012345)");
  if (!iothub::is_valid_registration_id(o.dps_registration_id))
    return refuse(exit_usage, o.dps_registration_id.empty()
                                  ? "--dps-scope needs --dps-registration-id (the enrollment's registration id)"
                                  : "--dps-registration-id must be 1-128 letters, digits, '-', '.', '_' or ':'");
  if (o.dps_key.empty() == o.dps_group_key.empty())
    return refuse(exit_usage,
                  "--dps-scope needs exactly one of --dps-key (an individual enrollment's key) and --dps-group-key "
                  "(an enrollment group's key: the device key is derived from it here)");
  p.dps_key = o.dps_key;
  if (!o.dps_group_key.empty()) {
    std::array<char, 64> derived{};
    const auto key = iothub::derive_device_key(o.dps_group_key, o.dps_registration_id, derived);
    if (!key) return refuse(exit_usage, std::string("--dps-group-key: ") + key.error().what);
    p.dps_key = std::string(*key);
  }
  if (o.dps_host.empty() || o.dps_host.find(':') != std::string::npos || o.dps_port < 1 || o.dps_port > 65535)
    return refuse(exit_usage, "--dps-host is a host name without a port, --dps-port a number from 1 to 65535");
  // With --websocket the registration goes to the WebSocket port (record 13): the endpoint names that one.
  const int default_port = o.websocket ? prov::default_websocket_port : 8883;
  const int port = !o.websocket ? o.dps_port : o.websocket_port == -1 ? default_port : o.websocket_port;
  p.dps_endpoint = o.dps_host + ":" + std::to_string(port);
  p.config.dps = prov::DpsSettings{o.dps_scope, o.dps_registration_id, p.dps_key, !o.dps_group_key.empty(),
                                   o.dps_host == prov::dps_default_endpoint && port == default_port
                                       ? std::string_view{}
                                       : std::string_view{p.dps_endpoint}};
  p.identity.device_id = o.dps_registration_id;  // DPS usually assigns it; the MAC is derived from it
  p.identity.host_name = p.dps_endpoint;
  return {};
}

// --cert/--cert-key: both, and only with an x509=true connection string.
Checked<void> prepare_x509(const BoardUf2Options& o, Prepared& p) {
  const bool files = !o.cert_file.empty() || !o.cert_key_file.empty();
  if (!p.identity.x509 && !files) return {};
  if (!p.identity.x509)
    return refuse(exit_usage, "--cert and --cert-key go with an x509=true connection string (and no DPS)");
  if (o.cert_file.empty() || o.cert_key_file.empty())
    return refuse(exit_usage,
                  "an x509=true connection string needs --cert FILE.crt and --cert-key FILE.key (PEM; picohub "
                  "device cert ID --out DIR makes them)");
  auto certificate = load_board_certificate(o.cert_file, o.cert_key_file);
  if (!certificate) return refuse(exit_usage, certificate.error());
  p.certificate = std::move(*certificate);
  p.config.x509 = prov::X509Identity{p.certificate.der, p.certificate.scalar};
  return {};
}

Checked<void> prepare(const BoardUf2Options& o, Prepared& p) {
  if (!o.dps_scope.empty()) {
    if (auto dps = prepare_dps(o, p); !dps) return dps;
  } else if (o.connection_string.empty()) {
    return refuse(exit_usage,
                  "give --connection-string (or PICOHUB_CONNECTION_STRING), or --dps-scope with "
                  "--dps-registration-id and --dps-key or --dps-group-key");
  } else {
    const auto identity = check_connection_string(o.connection_string);
    if (!identity) return tl::unexpected(identity.error());
    p.identity = *identity;
  }
  if (auto x509 = prepare_x509(o, p); !x509) return x509;
  if (auto filled = fill_config(o, p); !filled) return filled;
  p.block.resize(prov::config_block_size(p.config));
  if (auto size = prov::encode_config_block(p.config, p.block); !size)
    return refuse(exit_usage, describe(size.error()));
  auto firmware = load_firmware(o.firmware);
  if (!firmware) return tl::unexpected(firmware.error());
  p.firmware = std::move(*firmware);
  return {};
}

Checked<void> run_board_uf2(const BoardUf2Options& o) {
  Prepared p;
  if (auto ready = prepare(o, p); !ready) return ready;
  const board_image::FlashRegion regions[] = {{"firmware", prov::flash_base_address, p.firmware},
                                              {"config", prov::config_sector_address, p.block}};
  const auto uf2 = board_image::write_uf2(regions,
                                          {board_image::rp2040_family_id, prov::flash_base_address, prov::flash_size});
  if (!uf2) return refuse(exit_failure, std::string("cannot build the UF2: ") + uf2.error().what);
  if (auto written = write_private_file(o.output, *uf2); !written) return written;
  print_summary(o, p, uf2->size());
  return {};
}

// `picohub board inspect`: what a UF2 would put on the board, checked as the bootrom and the firmware check it.
// The key is never printed.
void print_config(const prov::DeviceConfig& c) {
  const auto id = iothub::parse_connection_string(c.connection_string);
  if (id)
    std::printf(id->x509 ? "  device     %.*s on %.*s (x509=true)\n"
                         : "  device     %.*s on %.*s (SharedAccessKey present, not shown)\n",
                static_cast<int>(id->device_id.size()), id->device_id.data(),
                static_cast<int>(id->endpoint_host().size()), id->endpoint_host().data());
  if (!c.dps.id_scope.empty())
    std::printf("  DPS        registration %.*s in scope %.*s at %.*s, %s key (present, not shown)\n",
                static_cast<int>(c.dps.registration_id.size()), c.dps.registration_id.data(),
                static_cast<int>(c.dps.id_scope.size()), c.dps.id_scope.data(),
                static_cast<int>(c.dps.endpoint.empty() ? prov::dps_default_endpoint.size() : c.dps.endpoint.size()),
                c.dps.endpoint.empty() ? prov::dps_default_endpoint.data() : c.dps.endpoint.data(),
                c.dps.group_key_derived ? "group-derived" : "individual");
  if (!c.dps.id_scope.empty())
    print_transport(c.dps.endpoint.empty() ? prov::dps_default_endpoint : c.dps.endpoint, true, c.websocket_port);
  else print_transport(id ? id->endpoint_host() : std::string_view{}, false, id ? c.websocket_port : 0);
  std::printf("  MAC        %s\n  interval   %u ms\n", colon_hex(c.mac).c_str(), c.telemetry_interval_ms);
  std::printf("  SAS token  %u s lifetime%s\n", c.sas_ttl_s, c.format_version < 2 ? " (format 1: the default)" : "");
  if (!c.model_id.empty()) std::printf("  model      %.*s\n", static_cast<int>(c.model_id.size()), c.model_id.data());
  std::printf("  queue      %u readings\n", unsigned{c.telemetry_queue});
  if (c.static_ip)
    std::printf("  network    static %s netmask %s gateway %s DNS %s\n", dotted(c.static_ip->address).c_str(),
                dotted(c.static_ip->netmask).c_str(), dotted(c.static_ip->gateway).c_str(),
                dotted(c.static_ip->dns).c_str());
  else std::printf("  network    DHCP\n");
  std::printf("  extra CA   %s\n",
              c.extra_ca.empty() ? "none" : (std::to_string(c.extra_ca.size()) + " bytes").c_str());
  if (c.x509.certificate_der.empty()) return;
  std::string error;
  const auto info = hub::inspect_certificate(
      {reinterpret_cast<const char*>(c.x509.certificate_der.data()), c.x509.certificate_der.size()}, error);
  if (info)
    std::printf("  X.509      %s, SHA-1 thumbprint %s, SHA-256 %s (P-256 key present, not shown)\n",
                info->subject.c_str(), info->sha1_thumbprint.c_str(), info->sha256_thumbprint.c_str());
  else
    std::printf("  X.509      %zu-byte certificate that does not parse: %s\n", c.x509.certificate_der.size(),
                error.c_str());
}

Checked<void> run_board_inspect(const std::string& path) {
  const auto file = read_file(path);
  if (!file) return refuse(exit_usage, "cannot read " + path);
  const auto blocks = board_image::read_uf2(*file);
  if (!blocks) return refuse(exit_usage, path + ": " + blocks.error().what);
  if (auto ok = board_image::check_rp2040_blocks(*blocks, prov::flash_size); !ok)
    return refuse(exit_usage, path + ": " + ok.error().what + " (the RP2040 bootrom would not take it)");
  std::printf("%s: %zu UF2 blocks for the RP2040 (family 0xE48BFF56)\n", path.c_str(), blocks->size());
  for (std::size_t i = 0; i < blocks->size();) {  // runs of consecutive pages
    std::size_t j = i + 1;
    while (j < blocks->size() && (*blocks)[j].target_address == (*blocks)[j - 1].target_address + 256) ++j;
    std::printf("  region     %s..%s  %zu bytes\n", hex32((*blocks)[i].target_address).c_str(),
                hex32((*blocks)[j - 1].target_address + 256).c_str(), (j - i) * 256);
    i = j;
  }
  const auto boot2 = board_image::flash_bytes(*blocks, prov::flash_base_address, board_image::boot2_size);
  if (!board_image::boot2_crc_ok(boot2))
    return refuse(exit_usage, path + ": boot2 CRC is wrong: the RP2040 would not boot it");
  std::printf("  boot2      CRC %s ok\n", hex32(*board_image::stored_boot2_crc(boot2)).c_str());
  const auto sector = board_image::flash_bytes(*blocks, prov::config_sector_address, prov::config_sector_size);
  const auto config = prov::decode_config_block(sector);
  if (!config) return refuse(exit_usage, path + ": " + describe(config.error()));
  std::printf("  config     format %u at %s\n", unsigned{config->format_version},
              hex32(prov::config_sector_address).c_str());
  print_config(*config);
  return {};
}
}  // namespace

PICOHUB_COMMAND(60, [](CLI::App& root, int& exit_code) {
  auto* board = root.add_subcommand("board", "The W5100S-EVB-Pico: make a flashable, provisioned UF2 and inspect one");
  board->require_subcommand(1);
  auto options = std::make_shared<BoardUf2Options>();
  auto* uf2 = board->add_subcommand("uf2", "Write firmware + device config (connection string, CA, network) as UF2");
  uf2->add_option("--connection-string,-c", options->connection_string,
                  "Device connection string with SharedAccessKey (HostName=...;DeviceId=...;SharedAccessKey=...)")
      ->envname("PICOHUB_CONNECTION_STRING");
  uf2->add_option(
      "--cert", options->cert_file,
      "x509=true: the device certificate (PEM; picohub device cert makes one), stored as DER, docs/x509.md");
  uf2->add_option("--cert-key", options->cert_key_file,
                  "x509=true: the certificate's P-256 private key (PEM, unencrypted); only its 32-byte scalar is "
                  "stored");
  uf2->add_option("--dps-scope", options->dps_scope,
                  "Register with the Device Provisioning Service instead: the id scope (then --dps-registration-id "
                  "and --dps-key or --dps-group-key)");
  uf2->add_option("--dps-registration-id", options->dps_registration_id, "DPS: the enrollment's registration id");
  uf2->add_option("--dps-key", options->dps_key, "DPS: an individual enrollment's symmetric key (base64)");
  uf2->add_option("--dps-group-key", options->dps_group_key,
                  "DPS: an enrollment group's key; the device key is derived from it here and only that goes on "
                  "the board");
  uf2->add_option("--dps-host", options->dps_host, "DPS: the endpoint's host name (a local hub's, for tests)")
      ->capture_default_str();
  uf2->add_option("--dps-port", options->dps_port,
                  "DPS: the endpoint's MQTT-over-TLS port (with --websocket, --websocket-port is used)")
      ->capture_default_str();
  uf2->add_flag("--websocket", options->websocket,
                "MQTT over WebSockets (wss://<hub>:443/$iothub/websocket) for networks that block 8883, to DPS "
                "too with --dps-scope; the connection string's (or --dps-port's) port is not used");
  uf2->add_option("--websocket-port", options->websocket_port,
                  "With --websocket: the HTTPS port of the hub and of DPS (default 443; a local hub's "
                  "--service-port)");
  uf2->add_option("--ca", options->ca_file, "Also trust this CA (PEM or DER, up to 8 KiB), e.g. a local hub's ca.crt");
  uf2->add_option("--interval", options->interval, "Time between telemetry messages (5s, 1500ms, 2m; at least 1s)")
      ->capture_default_str();
  uf2->add_option("--sas-ttl", options->sas_ttl,
                  "Lifetime of the SAS tokens the board signs (30s .. 24h); it reconnects with a fresh one at 80 %")
      ->capture_default_str();
  uf2->add_option("--model-id", options->model_id,
                  "IoT Plug and Play model the board announces (a DTMI; default: the tutorial's model in models/), "
                  "or none")
      ->capture_default_str();
  uf2->add_option("--queue", options->queue,
                  "Readings the board holds in RAM while the hub is unreachable, sent in order when it is back; "
                  "when full the oldest is dropped and counted (1 .. 32)")
      ->capture_default_str();
  uf2->add_option("--static-ip", options->static_ip,
                  "IP/PREFIX,GATEWAY[,DNS] instead of DHCP, e.g. 192.168.1.50/24,192.168.1.1,1.1.1.1 (DNS: gateway)");
  uf2->add_option("--mac", options->mac,
                  "MAC address aa:bb:cc:dd:ee:ff (default: locally administered, derived from the device id)");
  uf2->add_option("--firmware", options->firmware,
                  "Raw firmware image (default: the board build's " + std::string(PICOHUB_DEFAULT_FIRMWARE) + ")")
      ->envname("PICOHUB_FIRMWARE");
  uf2->add_option("--output,-o", options->output, "UF2 file to write")->required();
  uf2->callback([options, &exit_code] {
    const auto done = run_board_uf2(*options);
    if (!done) std::fprintf(stderr, "picohub board uf2: %s\n", done.error().message.c_str());
    exit_code = done ? exit_ok : done.error().exit_code;
  });
  auto inspect_path = std::make_shared<std::string>();
  auto* inspect = board->add_subcommand("inspect",
                                        "Check a UF2 as the RP2040 and the firmware would; show its config "
                                        "(never the key)");
  inspect->add_option("uf2", *inspect_path, "UF2 file")->required();
  inspect->callback([inspect_path, &exit_code] {
    const auto done = run_board_inspect(*inspect_path);
    if (!done) std::fprintf(stderr, "picohub board inspect: %s\n", done.error().message.c_str());
    exit_code = done ? exit_ok : done.error().exit_code;
  });
});

}  // namespace picohub::cli
