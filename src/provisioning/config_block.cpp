#include "provisioning/config_block.hpp"

#include "iothub/base64.hpp"
#include "iothub/connection_string.hpp"
#include "iothub/dps_topics.hpp"
#include "iothub/dtmi.hpp"
#include "provisioning/crc32.hpp"

namespace picohub::provisioning {
namespace {

enum Tag : std::uint8_t {
  tag_connection_string = 1,
  tag_extra_ca = 2,
  tag_telemetry_interval = 3,
  tag_static_ip = 4,
  tag_mac = 5,
  tag_sas_ttl = 6,
  tag_model_id = 7,
  tag_telemetry_queue = 8,
  tag_dps_scope = 9,
  tag_dps_registration_id = 10,
  tag_dps_key = 11,
  tag_dps_endpoint = 12,
  tag_websocket = 13,
  tag_certificate = 14,
  tag_private_key = 15,
};
constexpr std::size_t record_header_size = 3;
constexpr std::size_t static_ip_size = 16;
constexpr std::size_t max_payload_size = config_sector_size - config_header_size;

tl::unexpected<ConfigProblem> problem(ConfigFault fault, std::uint32_t found = 0, std::uint32_t expected = 0,
                                      const char* detail = "") noexcept {
  return tl::unexpected<ConfigProblem>(ConfigProblem{fault, found, expected, detail});
}

std::uint32_t read_u16(const std::uint8_t* p) noexcept { return static_cast<std::uint32_t>(p[0] | p[1] << 8); }
std::uint32_t read_u32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
void write_u16(std::uint8_t* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
void write_u32(std::uint8_t* p, std::uint32_t v) noexcept {
  write_u16(p, v);
  write_u16(p + 2, v >> 16);
}

bool all_zero(const Ipv4Address& a) noexcept { return (a[0] | a[1] | a[2] | a[3]) == 0; }

// A netmask is ones then zeros: inverting it and adding one gives a power of two.
bool contiguous_netmask(const Ipv4Address& m) noexcept {
  const std::uint32_t mask = static_cast<std::uint32_t>(m[0]) << 24 | static_cast<std::uint32_t>(m[1]) << 16 |
                             static_cast<std::uint32_t>(m[2]) << 8 | m[3];
  const std::uint32_t host = ~mask;
  return mask != 0 && (host & (host + 1)) == 0;
}

ConfigProblem x509_problem(const char* what) noexcept { return ConfigProblem{ConfigFault::x509_invalid, 0, 0, what}; }

// Sizes only: whether the key is the certificate's is checked where the PEM files are read (picohub board uf2).
std::optional<ConfigProblem> check_x509(const X509Identity& x509) noexcept {
  if (x509.certificate_der.size() > max_certificate_bytes || x509.certificate_der[0] != 0x30)
    return x509_problem("the certificate is not DER of at most 2048 bytes");
  if (x509.private_key.size() != p256_private_key_bytes) return x509_problem("the key is not a 32-byte P-256 scalar");
  return std::nullopt;
}

std::optional<ConfigProblem> check_connection_string(std::string_view text, const X509Identity& x509) noexcept {
  if (text.empty()) return ConfigProblem{ConfigFault::missing_record, tag_connection_string, 0, "connection string"};
  if (text.size() > max_connection_string_bytes)
    return ConfigProblem{ConfigFault::connection_string_too_long, static_cast<std::uint32_t>(text.size()),
                         max_connection_string_bytes};
  const auto parsed = iothub::split_connection_string(text);
  if (!parsed) return ConfigProblem{ConfigFault::connection_string_malformed, 0, 0, parsed.error().what};
  if (parsed->x509 != !x509.certificate_der.empty())
    return x509_problem(parsed->x509 ? "x509=true needs the device certificate and key"
                                     : "a certificate and key need an x509=true connection string");
  if (parsed->x509) return check_x509(x509);
  if (parsed->shared_access_key.empty())
    return ConfigProblem{ConfigFault::connection_string_not_key, 0, 0,
                         "a SharedAccessSignature (it would expire on the device)"};
  return std::nullopt;
}

ConfigProblem dps_problem(const char* what) noexcept { return ConfigProblem{ConfigFault::dps_invalid, 0, 0, what}; }

// "host[:port]" with a port from 1 to 65535.
bool valid_endpoint(std::string_view endpoint) noexcept {
  const auto colon = endpoint.rfind(':');
  if (colon == 0 || endpoint.size() > max_dps_text_bytes) return false;
  if (colon == std::string_view::npos) return !endpoint.empty();
  const std::string_view digits = endpoint.substr(colon + 1);
  std::uint32_t port = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9' || port > 65535) return false;
    port = port * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return !digits.empty() && port != 0 && port <= 65535;
}

std::optional<ConfigProblem> check_dps(const DpsSettings& dps, bool has_connection_string) noexcept {
  if (has_connection_string) return dps_problem("a connection string and DPS settings: give one");
  if (dps.id_scope.size() > max_dps_text_bytes || dps.id_scope.find_first_of("/#+ ") != std::string_view::npos)
    return dps_problem("bad id scope");
  if (!iothub::is_valid_registration_id(dps.registration_id))
    return dps_problem("bad registration id (1-128 of A-Z a-z 0-9 - . _ :)");
  std::array<std::uint8_t, max_dps_text_bytes> key{};  // base64 decodes to fewer bytes than it has characters
  const auto n = iothub::base64_decode(dps.key_base64.substr(0, max_dps_text_bytes), key, iothub::Base64Mode::strict);
  key.fill(0);
  if (!n || *n == 0 || dps.key_base64.size() > max_dps_text_bytes)
    return dps_problem("the key is missing or not base64");
  if (!dps.endpoint.empty() && !valid_endpoint(dps.endpoint)) return dps_problem("the endpoint is not host[:port]");
  return std::nullopt;
}

std::optional<ConfigProblem> check_static_ip(const StaticIp& ip) noexcept {
  if (all_zero(ip.address)) return ConfigProblem{ConfigFault::static_ip_invalid, 0, 0, "address is 0.0.0.0"};
  if (!contiguous_netmask(ip.netmask))
    return ConfigProblem{ConfigFault::static_ip_invalid, 0, 0, "netmask is not a prefix (like 255.255.255.0)"};
  return std::nullopt;
}

std::uint8_t* put_record(std::uint8_t* p, Tag tag, std::span<const std::uint8_t> value) noexcept {
  p[0] = tag;
  write_u16(p + 1, static_cast<std::uint32_t>(value.size()));
  p += record_header_size;
  for (const std::uint8_t byte : value) *p++ = byte;
  return p;
}

std::string_view text_of(std::span<const std::uint8_t> value) noexcept {
  return {reinterpret_cast<const char*>(value.data()), value.size()};
}

std::span<const std::uint8_t> bytes_of(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::uint8_t* put_dps_records(std::uint8_t* p, const DpsSettings& dps) noexcept {
  p = put_record(p, tag_dps_scope, bytes_of(dps.id_scope));
  p = put_record(p, tag_dps_registration_id, bytes_of(dps.registration_id));
  p[0] = tag_dps_key;
  write_u16(p + 1, static_cast<std::uint32_t>(1 + dps.key_base64.size()));
  p[3] = dps.group_key_derived ? 1 : 0;
  p += record_header_size + 1;
  for (const char c : dps.key_base64) *p++ = static_cast<std::uint8_t>(c);
  if (!dps.endpoint.empty()) p = put_record(p, tag_dps_endpoint, bytes_of(dps.endpoint));
  return p;
}

std::uint8_t* put_x509_records(std::uint8_t* p, const X509Identity& x509) noexcept {
  p = put_record(p, tag_certificate, x509.certificate_der);
  p[0] = tag_private_key;
  write_u16(p + 1, static_cast<std::uint32_t>(1 + x509.private_key.size()));
  p[3] = key_curve_p256;
  p += record_header_size + 1;
  for (const std::uint8_t byte : x509.private_key) *p++ = byte;
  return p;
}

// Checks magic, version, sizes and CRC; on success returns the payload.
ConfigResult<std::span<const std::uint8_t>> open_block(std::span<const std::uint8_t> flash) noexcept {
  const std::size_t probe = flash.size() < config_header_size ? flash.size() : config_header_size;
  bool erased = probe > 0;
  for (std::size_t i = 0; i < probe; ++i) erased = erased && flash[i] == 0xFF;
  if (erased) return problem(ConfigFault::erased);
  if (flash.size() < config_header_size)
    return problem(ConfigFault::truncated, static_cast<std::uint32_t>(flash.size()), config_header_size);
  const std::uint8_t* h = flash.data();
  if (read_u32(h) != config_magic) return problem(ConfigFault::bad_magic, read_u32(h));
  const std::uint32_t version = read_u16(h + 4);
  if (version == 0) return problem(ConfigFault::version_zero);
  if (version > config_format_version) return problem(ConfigFault::version_too_new, version, config_format_version);
  static_assert(oldest_config_format_version == 1, "a version between 0 and the oldest read needs its own refusal");
  if (read_u16(h + 6) != config_header_size)
    return problem(ConfigFault::bad_header_size, read_u16(h + 6), config_header_size);
  const std::uint32_t length = read_u32(h + 8);
  if (length > max_payload_size) return problem(ConfigFault::payload_too_large, length, max_payload_size);
  if (flash.size() - config_header_size < length)
    return problem(ConfigFault::truncated, static_cast<std::uint32_t>(flash.size()),
                   static_cast<std::uint32_t>(config_header_size + length));
  const auto payload = flash.subspan(config_header_size, length);
  const std::uint32_t computed = crc32(payload, crc32(flash.first(12)));
  if (computed != read_u32(h + 12)) return problem(ConfigFault::crc_mismatch, read_u32(h + 12), computed);
  return payload;
}

// Stores one record's value into `config`; `seen` tracks duplicates by tag bit.
std::optional<ConfigProblem> take_record(std::uint8_t tag, std::span<const std::uint8_t> value, std::uint32_t& seen,
                                         DeviceConfig& config) noexcept {
  if (tag < 32) {
    if (seen & (1u << tag)) return ConfigProblem{ConfigFault::duplicate_record, tag};
    seen |= 1u << tag;
  }
  const auto length = static_cast<std::uint32_t>(value.size());
  const auto need = [&](std::uint32_t size) -> std::optional<ConfigProblem> {
    if (length != size) return ConfigProblem{ConfigFault::bad_record_length, length, size};
    return std::nullopt;
  };
  switch (tag) {
    case tag_connection_string:
      config.connection_string = {reinterpret_cast<const char*>(value.data()), value.size()};
      return std::nullopt;
    case tag_extra_ca: config.extra_ca = value; return std::nullopt;
    case tag_telemetry_interval:
      if (auto bad = need(4)) return bad;
      config.telemetry_interval_ms = read_u32(value.data());
      return std::nullopt;
    case tag_static_ip: {
      if (auto bad = need(static_ip_size)) return bad;
      StaticIp ip;
      Ipv4Address* fields[] = {&ip.address, &ip.netmask, &ip.gateway, &ip.dns};
      for (std::size_t i = 0; i < 16; ++i) (*fields[i / 4])[i % 4] = value[i];
      config.static_ip = ip;
      return std::nullopt;
    }
    case tag_mac:
      if (auto bad = need(6)) return bad;
      for (std::size_t i = 0; i < 6; ++i) config.mac[i] = value[i];
      return std::nullopt;
    case tag_sas_ttl:
      if (auto bad = need(4)) return bad;
      config.sas_ttl_s = read_u32(value.data());
      return std::nullopt;
    case tag_model_id:
      config.model_id = {reinterpret_cast<const char*>(value.data()), value.size()};
      return std::nullopt;
    case tag_telemetry_queue:
      if (auto bad = need(2)) return bad;
      config.telemetry_queue = static_cast<std::uint16_t>(read_u16(value.data()));
      return std::nullopt;
    case tag_dps_scope: config.dps.id_scope = text_of(value); return std::nullopt;
    case tag_dps_registration_id: config.dps.registration_id = text_of(value); return std::nullopt;
    case tag_dps_key:
      if (value.empty() || value[0] > 1) return dps_problem("unknown key kind");
      config.dps.group_key_derived = value[0] == 1;
      config.dps.key_base64 = text_of(value.subspan(1));
      return std::nullopt;
    case tag_dps_endpoint: config.dps.endpoint = text_of(value); return std::nullopt;
    case tag_websocket:
      if (auto bad = need(2)) return bad;
      config.websocket_port = static_cast<std::uint16_t>(read_u16(value.data()));
      if (config.websocket_port == 0) return ConfigProblem{ConfigFault::websocket_invalid, 0, 0, "port 0"};
      return std::nullopt;
    case tag_certificate:
      if (value.empty()) return x509_problem("the certificate record is empty");
      config.x509.certificate_der = value;
      return std::nullopt;
    case tag_private_key:
      if (value.empty() || value[0] != key_curve_p256) return x509_problem("the key is not on P-256");
      config.x509.private_key = value.subspan(1);
      return std::nullopt;
    default: return std::nullopt;  // a later picohub's optional record
  }
}

}  // namespace

std::optional<ConfigProblem> check_config(const DeviceConfig& config) noexcept {
  if (!config.dps.id_scope.empty()) {
    if (auto bad = check_dps(config.dps, !config.connection_string.empty())) return bad;
  } else if (auto bad = check_connection_string(config.connection_string, config.x509)) {
    return bad;
  }
  if (config.extra_ca.size() > max_extra_ca_bytes)
    return ConfigProblem{ConfigFault::extra_ca_too_large, static_cast<std::uint32_t>(config.extra_ca.size()),
                         max_extra_ca_bytes};
  if (config.telemetry_interval_ms < min_telemetry_interval_ms ||
      config.telemetry_interval_ms > max_telemetry_interval_ms)
    return ConfigProblem{ConfigFault::interval_out_of_range, config.telemetry_interval_ms};
  const MacAddress& mac = config.mac;
  if ((mac[0] & 1u) != 0 || (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
    return ConfigProblem{ConfigFault::mac_not_unicast, mac[0]};
  if (config.sas_ttl_s < min_sas_ttl_s || config.sas_ttl_s > max_sas_ttl_s)
    return ConfigProblem{ConfigFault::sas_ttl_out_of_range, config.sas_ttl_s};
  if (!config.model_id.empty() && !iothub::is_valid_dtmi(config.model_id))
    return ConfigProblem{ConfigFault::model_id_invalid, static_cast<std::uint32_t>(config.model_id.size())};
  if (config.telemetry_queue < 1 || config.telemetry_queue > max_telemetry_queue)
    return ConfigProblem{ConfigFault::telemetry_queue_out_of_range, config.telemetry_queue, max_telemetry_queue};
  if (config.static_ip) return check_static_ip(*config.static_ip);
  return std::nullopt;
}

std::size_t config_block_size(const DeviceConfig& config) noexcept {
  std::size_t size = config_header_size + 3 * record_header_size + 4 + 6 + 4;
  if (!config.connection_string.empty()) size += record_header_size + config.connection_string.size();
  if (!config.dps.id_scope.empty()) {
    const DpsSettings& d = config.dps;
    size += 3 * record_header_size + d.id_scope.size() + d.registration_id.size() + 1 + d.key_base64.size();
    if (!d.endpoint.empty()) size += record_header_size + d.endpoint.size();
  }
  if (!config.extra_ca.empty()) size += record_header_size + config.extra_ca.size();
  if (!config.x509.certificate_der.empty())
    size += 2 * record_header_size + config.x509.certificate_der.size() + 1 + config.x509.private_key.size();
  if (config.static_ip) size += record_header_size + static_ip_size;
  if (!config.model_id.empty()) size += record_header_size + config.model_id.size();
  if (config.telemetry_queue != default_telemetry_queue) size += record_header_size + 2;
  if (config.websocket_port != 0) size += record_header_size + 2;
  return size;
}

ConfigResult<std::size_t> encode_config_block(const DeviceConfig& config, std::span<std::uint8_t> out) noexcept {
  if (auto bad = check_config(config)) return tl::unexpected<ConfigProblem>(*bad);
  const std::size_t size = config_block_size(config);
  if (out.size() < size)
    return problem(ConfigFault::output_too_small, static_cast<std::uint32_t>(out.size()),
                   static_cast<std::uint32_t>(size));
  std::uint8_t* p = out.data() + config_header_size;
  if (!config.connection_string.empty()) p = put_record(p, tag_connection_string, bytes_of(config.connection_string));
  if (!config.dps.id_scope.empty()) p = put_dps_records(p, config.dps);
  if (!config.x509.certificate_der.empty()) p = put_x509_records(p, config.x509);
  p = put_record(p, tag_mac, config.mac);
  std::uint8_t interval[4];
  write_u32(interval, config.telemetry_interval_ms);
  p = put_record(p, tag_telemetry_interval, interval);
  std::uint8_t ttl[4];
  write_u32(ttl, config.sas_ttl_s);
  p = put_record(p, tag_sas_ttl, ttl);
  if (config.static_ip) {
    std::uint8_t ip[static_ip_size];
    const StaticIp& s = *config.static_ip;
    const Ipv4Address* fields[] = {&s.address, &s.netmask, &s.gateway, &s.dns};
    for (std::size_t i = 0; i < static_ip_size; ++i) ip[i] = (*fields[i / 4])[i % 4];
    p = put_record(p, tag_static_ip, ip);
  }
  if (!config.model_id.empty()) p = put_record(p, tag_model_id, bytes_of(config.model_id));
  if (config.telemetry_queue != default_telemetry_queue) {
    std::uint8_t queue[2];
    write_u16(queue, config.telemetry_queue);
    p = put_record(p, tag_telemetry_queue, queue);
  }
  if (config.websocket_port != 0) {
    std::uint8_t port[2];
    write_u16(port, config.websocket_port);
    p = put_record(p, tag_websocket, port);
  }
  if (!config.extra_ca.empty()) put_record(p, tag_extra_ca, config.extra_ca);

  std::uint8_t* h = out.data();
  write_u32(h, config_magic);
  write_u16(h + 4, config_format_version);
  write_u16(h + 6, config_header_size);
  write_u32(h + 8, static_cast<std::uint32_t>(size - config_header_size));
  const auto payload = std::span<const std::uint8_t>(out.data() + config_header_size, size - config_header_size);
  write_u32(h + 12, crc32(payload, crc32(out.first(12))));
  return size;
}

ConfigResult<DeviceConfig> decode_config_block(std::span<const std::uint8_t> flash) noexcept {
  const auto payload = open_block(flash);
  if (!payload) return tl::unexpected<ConfigProblem>(payload.error());
  DeviceConfig config;
  config.telemetry_interval_ms = 0;
  config.format_version = static_cast<std::uint16_t>(read_u16(flash.data() + 4));
  std::uint32_t seen = 0;
  for (std::size_t at = 0; at < payload->size();) {
    const std::uint8_t tag = (*payload)[at];
    if (payload->size() - at < record_header_size) return problem(ConfigFault::record_overrun, tag);
    const std::uint32_t length = read_u16(payload->data() + at + 1);
    at += record_header_size;
    if (payload->size() - at < length) return problem(ConfigFault::record_overrun, tag);
    if (auto bad = take_record(tag, payload->subspan(at, length), seen, config))
      return tl::unexpected<ConfigProblem>(*bad);
    at += length;
  }
  if (!(seen & (1u << tag_telemetry_interval)))
    return problem(ConfigFault::missing_record, tag_telemetry_interval, 0, "telemetry interval");
  if (!(seen & (1u << tag_mac))) return problem(ConfigFault::missing_record, tag_mac, 0, "MAC address");
  if (config.format_version >= 2 && !(seen & (1u << tag_sas_ttl)))
    return problem(ConfigFault::missing_record, tag_sas_ttl, 0, "SAS token lifetime");
  if (auto bad = check_config(config)) return tl::unexpected<ConfigProblem>(*bad);
  return config;
}

}  // namespace picohub::provisioning
