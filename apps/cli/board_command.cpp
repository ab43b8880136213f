// `picohub board uf2`: one flashable file for a W5100S-EVB-Pico — the firmware image plus the device's config
// block (connection string, optional CA, interval, network, MAC) in the last flash sector. Everything the
// firmware would refuse at boot is refused here first, with the reason.
#include <mbedtls/x509_crt.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "board/image/boot2_crc.hpp"
#include "board/image/uf2_writer.hpp"
#include "command.hpp"
#include "duration.hpp"
#include "iothub/connection_string.hpp"
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
  std::string static_ip;
  std::string mac;
  std::string firmware;
  std::string output;
};

// Thrown inside this file only, caught in run_board_uf2: each check says what is wrong and how to fix it.
struct Refusal {
  int exit_code;
  std::string message;
};

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

iothub::ConnectionString check_connection_string(const std::string& text) {
  std::string_view offending;
  const auto parsed = iothub::parse_connection_string(text, &offending);
  if (!parsed)
    throw Refusal{exit_usage, std::string("invalid connection string: ") + parsed.error().what +
                                  (offending.empty() ? "" : ": " + std::string(offending)) +
                                  "\n  expected HostName=<hub>.azure-devices.net;DeviceId=<id>;SharedAccessKey=<base64 key>"};
  if (!parsed->shared_access_signature.empty())
    throw Refusal{exit_usage,
                  "the connection string holds a SharedAccessSignature: a token expires, and the board would stop "
                  "connecting when it does.\n  Use the device's key instead: "
                  "HostName=...;DeviceId=...;SharedAccessKey=... (the firmware signs fresh tokens itself)"};
  if (parsed->x509)
    throw Refusal{exit_usage, "x509=true connection strings are not supported on the board: use SharedAccessKey"};
  return *parsed;
}

prov::Ipv4Address parse_ipv4(const std::string& text, const char* what) {
  in_addr address{};
  if (inet_pton(AF_INET, text.c_str(), &address) != 1)
    throw Refusal{exit_usage, std::string("--static-ip: ") + what + " '" + text + "' is not an IPv4 address"};
  prov::Ipv4Address out;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&address.s_addr);  // network order
  std::copy(bytes, bytes + 4, out.begin());
  return out;
}

// "IP/PREFIX,GATEWAY[,DNS]"; DNS defaults to the gateway.
prov::StaticIp parse_static_ip(const std::string& text) {
  const auto usage = "--static-ip takes IP/PREFIX,GATEWAY[,DNS], e.g. 192.168.1.50/24,192.168.1.1,1.1.1.1";
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
    parts.push_back(text.substr(start, comma - start));
  parts.push_back(text.substr(start));
  const auto slash = parts[0].find('/');
  if (parts.size() < 2 || parts.size() > 3 || slash == std::string::npos) throw Refusal{exit_usage, usage};
  int prefix = -1;
  try {
    std::size_t used = 0;
    prefix = std::stoi(parts[0].substr(slash + 1), &used);
    if (used != parts[0].size() - slash - 1) prefix = -1;
  } catch (const std::exception&) {
  }
  if (prefix < 1 || prefix > 32) throw Refusal{exit_usage, std::string(usage) + " (PREFIX is 1..32)"};
  prov::StaticIp ip;
  ip.address = parse_ipv4(parts[0].substr(0, slash), "address");
  const std::uint32_t mask = prefix == 32 ? 0xFFFFFFFFu : ~(0xFFFFFFFFu >> prefix);
  for (int i = 0; i < 4; ++i) ip.netmask[i] = static_cast<std::uint8_t>(mask >> (24 - 8 * i));
  ip.gateway = parse_ipv4(parts[1], "gateway");
  ip.dns = parts.size() == 3 ? parse_ipv4(parts[2], "DNS server") : ip.gateway;
  return ip;
}

prov::MacAddress parse_mac(const std::string& text) {
  prov::MacAddress mac{};
  unsigned octets[6];
  char tail = 0;
  const int n = std::sscanf(text.c_str(), "%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%c", &octets[0],
                            &octets[1], &octets[2], &octets[3], &octets[4], &octets[5], &tail);
  if (n != 6 || text.size() != 17)
    throw Refusal{exit_usage, "--mac takes six hex octets, e.g. 02:00:5e:10:00:01 (got '" + text + "')"};
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<std::uint8_t>(octets[i]);
  return mac;
}

// The CA exactly as mbedtls_x509_crt_parse wants it: DER as is, PEM with a terminating NUL. Parsed here so a
// wrong file is refused now, not at the first TLS handshake on the board.
std::vector<std::uint8_t> load_extra_ca(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) throw Refusal{exit_usage, "cannot read --ca " + path};
  const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  if (text.find("-----BEGIN") != std::string_view::npos && (bytes->empty() || bytes->back() != 0))
    bytes->push_back(0);
  if (bytes->size() > prov::max_extra_ca_bytes)
    throw Refusal{exit_usage, "--ca " + path + " is " + std::to_string(bytes->size()) + " bytes; the board takes " +
                                  std::to_string(prov::max_extra_ca_bytes) + " at most (one CA certificate)"};
  mbedtls_x509_crt crt;
  mbedtls_x509_crt_init(&crt);
  const int rc = mbedtls_x509_crt_parse(&crt, bytes->data(), bytes->size());
  mbedtls_x509_crt_free(&crt);
  if (rc != 0) throw Refusal{exit_usage, "--ca " + path + " holds no X.509 certificate mbedTLS can parse (PEM or DER)"};
  return *bytes;
}

std::vector<std::uint8_t> load_firmware(const std::string& given) {
  const std::string path = given.empty() ? PICOHUB_DEFAULT_FIRMWARE : given;
  auto image = read_file(path);
  if (!image && given.empty())
    throw Refusal{exit_failure, "no firmware image: run ./run build board or pass --firmware (looked for " + path + ")"};
  if (!image) throw Refusal{exit_usage, "cannot read firmware image " + path};
  const std::string_view head(reinterpret_cast<const char*>(image->data()), std::min<std::size_t>(image->size(), 4));
  if (head == "\x7F" "ELF") throw Refusal{exit_usage, path + " is an ELF file: pass the raw .bin (picohub-firmware.bin)"};
  if (head == "UF2\n") throw Refusal{exit_usage, path + " is already a UF2: pass the raw .bin (picohub-firmware.bin)"};
  const auto hint = ". Pass the raw image that starts at 0x10000000 with boot2 in its first 256 bytes";
  if (image->size() < board_image::boot2_size)
    throw Refusal{exit_usage, path + " is " + std::to_string(image->size()) +
                                  " bytes, shorter than the 256-byte boot2 it must start with" + hint};
  if (!board_image::boot2_crc_ok(*image))
    throw Refusal{exit_usage, path + ": boot2 CRC is wrong (stored " + hex32(*board_image::stored_boot2_crc(*image)) +
                                  ", computed " +
                                  hex32(board_image::crc32_mpeg2(std::span(*image).first(board_image::boot2_checked_size))) +
                                  "): the RP2040 would not boot it" + hint};
  const std::size_t room = prov::config_sector_address - prov::flash_base_address;
  if (image->size() > room)
    throw Refusal{exit_usage, path + " is " + std::to_string(image->size()) + " bytes and would overlap the config " +
                                  "sector at " + hex32(prov::config_sector_address) + " (at most " +
                                  std::to_string(room) + " bytes fit)"};
  return *image;
}

// Writes the file readable by its owner only: it holds the device key.
void write_private_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw Refusal{exit_failure, "cannot write " + path};
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, 0600);
  const bool closed = ::close(fd) == 0;
  if (done != bytes.size() || !closed) throw Refusal{exit_failure, "cannot write " + path};
}

int run_board_uf2(const BoardUf2Options& o) {
  const auto identity = check_connection_string(o.connection_string);
  std::uint64_t interval_ms = 0;
  if (!parse_duration_ms(o.interval, interval_ms) || interval_ms > prov::max_telemetry_interval_ms)
    throw Refusal{exit_usage, "--interval looks like 5s, 1500ms or 2m (1 s .. 24 h)"};

  prov::DeviceConfig config;
  config.connection_string = o.connection_string;
  config.telemetry_interval_ms = static_cast<std::uint32_t>(interval_ms);
  if (!o.static_ip.empty()) config.static_ip = parse_static_ip(o.static_ip);
  config.mac = o.mac.empty() ? prov::mac_from_device_id(identity.device_id) : parse_mac(o.mac);
  std::vector<std::uint8_t> ca;
  if (!o.ca_file.empty()) ca = load_extra_ca(o.ca_file);
  config.extra_ca = ca;

  std::vector<std::uint8_t> block(prov::config_block_size(config));
  if (auto size = prov::encode_config_block(config, block); !size) throw Refusal{exit_usage, describe(size.error())};
  const auto firmware = load_firmware(o.firmware);

  const board_image::FlashRegion regions[] = {{"firmware", prov::flash_base_address, firmware},
                                              {"config", prov::config_sector_address, block}};
  const auto uf2 = board_image::write_uf2(regions, {board_image::rp2040_family_id, prov::flash_base_address,
                                                    prov::flash_size});
  if (!uf2) throw Refusal{exit_failure, std::string("cannot build the UF2: ") + uf2.error().what};
  write_private_file(o.output, *uf2);

  std::printf("picohub board uf2: wrote %s (%zu bytes: %zu UF2 blocks, family 0xE48BFF56)\n",
              o.output.c_str(), uf2->size(), uf2->size() / board_image::uf2_block_size);
  std::printf("  firmware   0x%08X  %zu bytes, boot2 CRC %s ok  (%s)\n", prov::flash_base_address, firmware.size(),
              hex32(*board_image::stored_boot2_crc(firmware)).c_str(),
              o.firmware.empty() ? PICOHUB_DEFAULT_FIRMWARE : o.firmware.c_str());
  std::printf("  config     0x%08X  %zu bytes, format %u\n", prov::config_sector_address, block.size(),
              unsigned{prov::config_format_version});
  std::printf("  device     %.*s on %.*s\n", static_cast<int>(identity.device_id.size()), identity.device_id.data(),
              static_cast<int>(identity.endpoint_host().size()), identity.endpoint_host().data());
  std::printf("  MAC        %s%s\n", colon_hex(config.mac).c_str(),
              o.mac.empty() ? " (locally administered, derived from the device id)" : "");
  std::printf("  interval   %u ms\n", config.telemetry_interval_ms);
  if (config.static_ip)
    std::printf("  network    static %s netmask %s gateway %s DNS %s\n", dotted(config.static_ip->address).c_str(),
                dotted(config.static_ip->netmask).c_str(), dotted(config.static_ip->gateway).c_str(),
                dotted(config.static_ip->dns).c_str());
  else
    std::printf("  network    DHCP\n");
  std::printf("  extra CA   %s\n", ca.empty() ? "none (built-in Azure roots only)"
                                              : (o.ca_file + " (" + std::to_string(ca.size()) + " bytes)").c_str());
  std::printf("WARNING: %s holds the device's SharedAccessKey: treat it like a password (it is written mode 0600; "
              "do not commit or share it).\n", o.output.c_str());
  std::printf("To flash: hold BOOTSEL, plug the board into USB, copy %s to the RPI-RP2 drive.\n", o.output.c_str());
  return exit_ok;
}

}  // namespace

PICOHUB_COMMAND(60, [](CLI::App& root, int& exit_code) {
  auto* board = root.add_subcommand("board", "The W5100S-EVB-Pico: make a flashable, provisioned UF2");
  board->require_subcommand(1);
  auto options = std::make_shared<BoardUf2Options>();
  auto* uf2 = board->add_subcommand("uf2", "Write firmware + device config (connection string, CA, network) as UF2");
  uf2->add_option("--connection-string,-c", options->connection_string,
                  "Device connection string with SharedAccessKey (HostName=...;DeviceId=...;SharedAccessKey=...)")
      ->envname("PICOHUB_CONNECTION_STRING")
      ->required();
  uf2->add_option("--ca", options->ca_file, "Also trust this CA (PEM or DER, up to 8 KiB), e.g. a local hub's ca.crt");
  uf2->add_option("--interval", options->interval, "Time between telemetry messages (5s, 1500ms, 2m; at least 1s)")
      ->capture_default_str();
  uf2->add_option("--static-ip", options->static_ip,
                  "IP/PREFIX,GATEWAY[,DNS] instead of DHCP, e.g. 192.168.1.50/24,192.168.1.1,1.1.1.1 (DNS: gateway)");
  uf2->add_option("--mac", options->mac,
                  "MAC address aa:bb:cc:dd:ee:ff (default: locally administered, derived from the device id)");
  uf2->add_option("--firmware", options->firmware, "Raw firmware image (default: the board build's " +
                                                        std::string(PICOHUB_DEFAULT_FIRMWARE) + ")")
      ->envname("PICOHUB_FIRMWARE");
  uf2->add_option("--output,-o", options->output, "UF2 file to write")->required();
  uf2->callback([options, &exit_code] {
    try {
      exit_code = run_board_uf2(*options);
    } catch (const Refusal& refusal) {
      std::fprintf(stderr, "picohub board uf2: %s\n", refusal.message.c_str());
      exit_code = refusal.exit_code;
    }
  });
});

}  // namespace picohub::cli
