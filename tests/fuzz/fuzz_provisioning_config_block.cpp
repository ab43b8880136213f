// decode_config_block() on arbitrary bytes: never reads outside the input, every refusal describes itself,
// and an accepted block re-encodes to a config that decodes to the same fields.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "provisioning/config_block.hpp"
#include "provisioning/crc32.hpp"

using namespace picohub::provisioning;

namespace {

bool inside(const void* p, std::size_t n, const std::uint8_t* data, std::size_t size) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  return n == 0 || (b >= data && b + n <= data + size);
}

void require(bool ok) {
  if (!ok) std::abort();
}

void check_one(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> flash(data, size);
  const auto decoded = decode_config_block(flash);
  if (!decoded) {
    char text[160];
    require(!describe(decoded.error(), text).empty());
    return;
  }
  const DeviceConfig& config = *decoded;
  require(inside(config.connection_string.data(), config.connection_string.size(), data, size));
  require(inside(config.extra_ca.data(), config.extra_ca.size(), data, size));
  require(config.model_id.empty() || inside(config.model_id.data(), config.model_id.size(), data, size));
  require(!check_config(config).has_value());

  std::vector<std::uint8_t> again(config_block_size(config));
  const auto written = encode_config_block(config, again);
  require(written.has_value() && *written == again.size());
  const auto round = decode_config_block(again);
  require(round.has_value());
  require(round->connection_string == config.connection_string);
  require(std::equal(round->extra_ca.begin(), round->extra_ca.end(), config.extra_ca.begin(), config.extra_ca.end()));
  require(round->telemetry_interval_ms == config.telemetry_interval_ms && round->mac == config.mac);
  require(round->static_ip.has_value() == config.static_ip.has_value());
  require(round->sas_ttl_s == config.sas_ttl_s);  // format 1's default lifetime is written out in format 2
  require(round->model_id == config.model_id);
}

// The input as a payload under a valid header (format 1 or 2), so the fuzzer reaches the record parser past the CRC.
void check_as_payload(const std::uint8_t* data, std::size_t size, std::uint32_t version) {
  if (size > config_sector_size - config_header_size) return;
  std::vector<std::uint8_t> block(config_header_size + size);
  const std::uint32_t header[] = {config_magic, version | (16u << 16), static_cast<std::uint32_t>(size)};
  for (std::size_t i = 0; i < 12; ++i) block[i] = static_cast<std::uint8_t>(header[i / 4] >> (8 * (i % 4)));
  std::copy(data, data + size, block.begin() + config_header_size);
  const std::uint32_t crc = crc32(std::span(block).subspan(config_header_size), crc32(std::span(block).first(12)));
  for (std::size_t i = 0; i < 4; ++i) block[12 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  check_one(block.data(), block.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check_one(data, size);
  check_as_payload(data, size, 1);
  check_as_payload(data, size, 2);
  return 0;
}
