#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "provisioning/config_block.hpp"
#include "provisioning/crc32.hpp"

namespace picohub::provisioning {
namespace {

constexpr std::string_view key_cs =
    "HostName=hub.azure-devices.net;DeviceId=board-1;SharedAccessKey="
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

DeviceConfig full_config(std::span<const std::uint8_t> ca) {
  DeviceConfig config;
  config.connection_string = key_cs;
  config.extra_ca = ca;
  config.telemetry_interval_ms = 7500;
  config.static_ip = StaticIp{{192, 168, 7, 50}, {255, 255, 255, 0}, {192, 168, 7, 1}, {1, 1, 1, 1}};
  config.mac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  config.sas_ttl_s = 45;
  config.model_id = "dtmi:picohub:W5100sEvbPico;1";
  config.telemetry_queue = 24;
  return config;
}

std::vector<std::uint8_t> encode(const DeviceConfig& config) {
  std::vector<std::uint8_t> out(config_block_size(config));
  const auto size = encode_config_block(config, out);
  EXPECT_TRUE(size.has_value());
  if (size) {
    EXPECT_EQ(*size, out.size());
  }
  return out;
}

// A valid block with one record changed by `change(block, record_offset)` and the CRC made right again, so only
// the record is wrong.
template <class Change>
std::vector<std::uint8_t> rewrite_record(std::vector<std::uint8_t> block, std::uint8_t tag, Change change) {
  for (std::size_t at = config_header_size; at < block.size();) {
    const std::size_t length = static_cast<std::size_t>(block[at + 1] | block[at + 2] << 8);
    if (block[at] == tag) change(block, at);
    at += 3 + length;
  }
  const auto payload = std::span<const std::uint8_t>(block).subspan(config_header_size);
  const std::uint32_t crc = crc32(payload, crc32(std::span<const std::uint8_t>(block).first(12)));
  for (int i = 0; i < 4; ++i) block[12 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(crc >> (8 * i));
  return block;
}

std::string message(const ConfigProblem& problem) {
  char buffer[200];
  return std::string(describe(problem, buffer));
}

const std::vector<std::uint8_t> some_ca = [] {
  std::vector<std::uint8_t> ca(3000);
  for (std::size_t i = 0; i < ca.size(); ++i) ca[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return ca;
}();

TEST(Crc32, MatchesTheStandardCheckValue) {
  const std::string_view text = "123456789";
  EXPECT_EQ(crc32({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}), 0xCBF43926u);
}

TEST(Crc32, ChainedSpansEqualOneSpan) {
  const std::uint8_t bytes[] = {1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(crc32(std::span(bytes).subspan(3), crc32(std::span(bytes).first(3))), crc32(bytes));
}

TEST(ConfigBlock, RoundTripKeepsEveryField) {
  const auto block = encode(full_config(some_ca));
  const auto decoded = decode_config_block(block);
  ASSERT_TRUE(decoded.has_value()) << message(decoded.error());
  EXPECT_EQ(decoded->connection_string, key_cs);
  EXPECT_TRUE(std::equal(decoded->extra_ca.begin(), decoded->extra_ca.end(), some_ca.begin(), some_ca.end()));
  EXPECT_EQ(decoded->telemetry_interval_ms, 7500u);
  ASSERT_TRUE(decoded->static_ip.has_value());
  EXPECT_EQ(decoded->static_ip->address, (Ipv4Address{192, 168, 7, 50}));
  EXPECT_EQ(decoded->static_ip->netmask, (Ipv4Address{255, 255, 255, 0}));
  EXPECT_EQ(decoded->static_ip->gateway, (Ipv4Address{192, 168, 7, 1}));
  EXPECT_EQ(decoded->static_ip->dns, (Ipv4Address{1, 1, 1, 1}));
  EXPECT_EQ(decoded->mac, (MacAddress{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}));
  EXPECT_EQ(decoded->sas_ttl_s, 45u);
  EXPECT_EQ(decoded->model_id, "dtmi:picohub:W5100sEvbPico;1");
  EXPECT_EQ(decoded->telemetry_queue, 24u);
  EXPECT_EQ(decoded->format_version, 2u);
}

TEST(ConfigBlock, DecodedFieldsAreViewsIntoTheFlashNotCopies) {
  const auto block = encode(full_config(some_ca));
  const auto decoded = decode_config_block(block);
  ASSERT_TRUE(decoded.has_value());
  const auto* begin = block.data();
  const auto* end = block.data() + block.size();
  const auto* cs = reinterpret_cast<const std::uint8_t*>(decoded->connection_string.data());
  EXPECT_TRUE(cs >= begin && cs < end);
  EXPECT_TRUE(decoded->extra_ca.data() >= begin && decoded->extra_ca.data() < end);
}

TEST(ConfigBlock, MinimalBlockMeansDhcpAndNoExtraCa) {
  DeviceConfig config;
  config.connection_string = key_cs;
  config.mac = {0x02, 1, 2, 3, 4, 5};
  const auto block = encode(config);
  const auto decoded = decode_config_block(block);
  ASSERT_TRUE(decoded.has_value()) << message(decoded.error());
  EXPECT_FALSE(decoded->static_ip.has_value());
  EXPECT_TRUE(decoded->extra_ca.empty());
  EXPECT_EQ(decoded->telemetry_interval_ms, 5000u);
  EXPECT_TRUE(decoded->model_id.empty());                        // no Plug and Play model announced
  EXPECT_EQ(decoded->telemetry_queue, default_telemetry_queue);  // no record: the default
}

TEST(ConfigBlock, HeaderFieldsAreWhereTheFormatSaysLittleEndian) {
  const auto block = encode(full_config({}));
  EXPECT_EQ(std::string(block.begin(), block.begin() + 4), "phcf");
  EXPECT_EQ(block[4] | block[5] << 8, 2);
  EXPECT_EQ(block[6] | block[7] << 8, 16);
  const auto length = static_cast<std::size_t>(block[8] | block[9] << 8 | block[10] << 16 | block[11] << 24);
  EXPECT_EQ(length, block.size() - 16);
  const std::uint32_t stored = static_cast<std::uint32_t>(block[12] | block[13] << 8 | block[14] << 16) |
                               static_cast<std::uint32_t>(block[15]) << 24;
  EXPECT_EQ(stored, crc32(std::span(block).subspan(16), crc32(std::span(block).first(12))));
}

TEST(ConfigBlock, BlockInsideAnErasedSectorDecodes) {
  const auto block = encode(full_config(some_ca));
  std::vector<std::uint8_t> sector(config_sector_size, 0xFF);
  std::copy(block.begin(), block.end(), sector.begin());
  EXPECT_TRUE(decode_config_block(sector).has_value());
}

TEST(ConfigBlock, EverySingleBitFlipIsRefused) {
  const auto block = encode(full_config(some_ca));
  std::vector<std::uint8_t> sector(config_sector_size, 0xFF);
  for (std::size_t byte = 0; byte < block.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      auto damaged = block;
      damaged[byte] ^= static_cast<std::uint8_t>(1u << bit);
      ASSERT_FALSE(decode_config_block(damaged).has_value()) << "byte " << byte << " bit " << bit;
      // Also inside a sector, where a longer length field still finds bytes to read.
      std::copy(damaged.begin(), damaged.end(), sector.begin());
      ASSERT_FALSE(decode_config_block(sector).has_value()) << "in sector: byte " << byte << " bit " << bit;
    }
  }
}

TEST(ConfigBlock, EveryTruncationIsRefused) {
  const auto block = encode(full_config(some_ca));
  for (std::size_t size = 0; size < block.size(); ++size)
    ASSERT_FALSE(decode_config_block(std::span(block).first(size)).has_value()) << "size " << size;
}

TEST(ConfigBlock, TruncationMessageSaysHowManyBytesWereMissing) {
  const auto block = encode(full_config({}));
  const auto decoded = decode_config_block(std::span(block).first(block.size() - 1));
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().fault, ConfigFault::truncated);
  EXPECT_EQ(message(decoded.error()), "config block truncated (" + std::to_string(block.size() - 1) +
                                          " bytes, the header needs " + std::to_string(block.size()) + ")");
}

TEST(ConfigBlock, ErasedFlashMeansNotProvisioned) {
  const std::vector<std::uint8_t> erased(config_sector_size, 0xFF);
  const auto decoded = decode_config_block(erased);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().fault, ConfigFault::erased);
  EXPECT_EQ(message(decoded.error()), "no config block (flash erased): this board was never provisioned");
  EXPECT_STREQ(to_error(decoded.error()).what, "no config block (flash erased)");
}

TEST(ConfigBlock, ZeroedFlashIsNotAConfigBlock) {
  const std::vector<std::uint8_t> zeros(256, 0x00);
  const auto decoded = decode_config_block(zeros);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().fault, ConfigFault::bad_magic);
  EXPECT_NE(message(decoded.error()).find("magic 0x00000000"), std::string::npos);
}

// Rewrites the header's version and fixes the CRC, as a newer picohub would have written it.
std::vector<std::uint8_t> with_version(std::vector<std::uint8_t> block, std::uint16_t version) {
  block[4] = static_cast<std::uint8_t>(version);
  block[5] = static_cast<std::uint8_t>(version >> 8);
  const std::uint32_t crc = crc32(std::span(block).subspan(16), crc32(std::span(block).first(12)));
  for (int i = 0; i < 4; ++i) block[12 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  return block;
}

TEST(ConfigBlock, NewerFormatVersionIsRefusedByName) {
  const auto decoded = decode_config_block(with_version(encode(full_config({})), 3));
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().fault, ConfigFault::version_too_new);
  EXPECT_EQ(message(decoded.error()).substr(0, 56), "config format version 3 is newer than this firmware (2):");
}

// A block as picohub wrote it before format 2: no token-lifetime record (tag 6, 4 bytes, the 4th record).
std::vector<std::uint8_t> format_1_block(const DeviceConfig& config) {
  auto block = encode(config);
  const std::size_t ttl_at = 16 + 3 + config.connection_string.size() + 3 + 6 + 3 + 4;
  EXPECT_EQ(block[ttl_at], 6);
  block.erase(block.begin() + static_cast<std::ptrdiff_t>(ttl_at),
              block.begin() + static_cast<std::ptrdiff_t>(ttl_at + 7));
  const auto length = static_cast<std::uint32_t>(block.size() - 16);
  for (int i = 0; i < 4; ++i) block[8 + i] = static_cast<std::uint8_t>(length >> (8 * i));
  return with_version(block, 1);
}

TEST(ConfigBlock, FormatOneBlocksStillDecodeWithTheDefaultTokenLifetime) {
  const auto block = format_1_block(full_config(some_ca));
  const auto decoded = decode_config_block(block);
  ASSERT_TRUE(decoded.has_value()) << message(decoded.error());
  EXPECT_EQ(decoded->format_version, 1u);
  EXPECT_EQ(decoded->sas_ttl_s, default_sas_ttl_s);
  EXPECT_EQ(decoded->sas_ttl_s, 3600u);
  EXPECT_EQ(decoded->connection_string, key_cs);
  EXPECT_EQ(decoded->telemetry_interval_ms, 7500u);
}

TEST(ConfigBlock, FormatTwoWithoutATokenLifetimeIsRefusedByName) {
  const auto block = with_version(format_1_block(full_config({})), 2);
  const auto decoded = decode_config_block(block);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().fault, ConfigFault::missing_record);
  EXPECT_EQ(message(decoded.error()), "config block has no SAS token lifetime (record 6)");
}

TEST(ConfigBlock, TokenLifetimeOutsideThirtySecondsToADayIsRefused) {
  std::vector<std::uint8_t> out(16384);
  DeviceConfig c = full_config({});
  for (const std::uint32_t ttl : {0u, 29u, 86'401u}) {
    c.sas_ttl_s = ttl;
    const auto size = encode_config_block(c, out);
    ASSERT_FALSE(size.has_value()) << ttl;
    EXPECT_EQ(size.error().fault, ConfigFault::sas_ttl_out_of_range);
    EXPECT_EQ(message(size.error()), "SAS token lifetime " + std::to_string(ttl) + " s is out of range (30 s .. 24 h)");
  }
  for (const std::uint32_t ttl : {30u, 86'400u}) {
    c.sas_ttl_s = ttl;
    EXPECT_TRUE(encode_config_block(c, out).has_value()) << ttl;
  }
}

TEST(ConfigBlock, VersionZeroIsRefused) {
  const auto decoded = decode_config_block(with_version(encode(full_config({})), 0));
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().fault, ConfigFault::version_zero);
}

TEST(ConfigBlock, CrcMismatchNamesBothValues) {
  auto block = encode(full_config({}));
  block.back() ^= 0x01;
  const auto decoded = decode_config_block(block);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().fault, ConfigFault::crc_mismatch);
  const auto text = message(decoded.error());
  EXPECT_NE(text.find("config block CRC mismatch (stored 0x"), std::string::npos) << text;
  EXPECT_NE(text.find(", computed 0x"), std::string::npos) << text;
}

TEST(ConfigBlock, UnknownRecordsFromALaterPicohubAreSkipped) {
  auto block = encode(full_config({}));
  const std::uint8_t extra[] = {0x7E, 0x02, 0x00, 0xAB, 0xCD};
  block.insert(block.end(), std::begin(extra), std::end(extra));
  const auto length = static_cast<std::uint32_t>(block.size() - 16);
  for (int i = 0; i < 4; ++i) block[8 + i] = static_cast<std::uint8_t>(length >> (8 * i));
  block = with_version(block, 1);
  const auto decoded = decode_config_block(block);
  ASSERT_TRUE(decoded.has_value()) << message(decoded.error());
  EXPECT_EQ(decoded->connection_string, key_cs);
}

TEST(ConfigBlock, EncoderRefusesASharedAccessSignatureConnectionString) {
  DeviceConfig config = full_config({});
  config.connection_string =
      "HostName=h.azure-devices.net;DeviceId=d;SharedAccessSignature=SharedAccessSignature "
      "sr=h.azure-devices.net%2Fdevices%2Fd&sig=AAAA&se=1700000000";
  std::vector<std::uint8_t> out(4096);
  const auto size = encode_config_block(config, out);
  ASSERT_FALSE(size.has_value());
  EXPECT_EQ(size.error().fault, ConfigFault::connection_string_not_key);
  EXPECT_NE(message(size.error()).find("it would expire on the device"), std::string::npos);
}

TEST(ConfigBlock, EncoderRefusesAMalformedConnectionStringWithTheParsersWords) {
  DeviceConfig config = full_config({});
  config.connection_string = "HostName=h;SharedAccessKey=AAAA";
  std::vector<std::uint8_t> out(4096);
  const auto size = encode_config_block(config, out);
  ASSERT_FALSE(size.has_value());
  EXPECT_EQ(size.error().fault, ConfigFault::connection_string_malformed);
  const auto text = message(size.error());
  const std::string prefix = "connection string malformed: ";
  EXPECT_EQ(text.substr(0, prefix.size()), prefix);
  EXPECT_GT(text.size(), prefix.size() + 5) << text;  // the parser's own reason follows
}

TEST(ConfigBlock, EncoderRefusesBadValues) {
  std::vector<std::uint8_t> out(16384);
  auto refused = [&](DeviceConfig config) {
    const auto size = encode_config_block(config, out);
    return size.has_value() ? ConfigFault::output_too_small : size.error().fault;
  };
  DeviceConfig c = full_config({});
  c.telemetry_interval_ms = 999;
  EXPECT_EQ(refused(c), ConfigFault::interval_out_of_range);
  c = full_config({});
  c.mac = {0x01, 0, 0, 0, 0, 1};
  EXPECT_EQ(refused(c), ConfigFault::mac_not_unicast);
  c.mac = {};
  EXPECT_EQ(refused(c), ConfigFault::mac_not_unicast);
  c = full_config({});
  c.static_ip->netmask = {255, 0, 255, 0};
  EXPECT_EQ(refused(c), ConfigFault::static_ip_invalid);
  c = full_config({});
  const std::vector<std::uint8_t> big_ca(max_extra_ca_bytes + 1, 0x30);
  c.extra_ca = big_ca;
  EXPECT_EQ(refused(c), ConfigFault::extra_ca_too_large);
  c = full_config({});
  c.connection_string = {};
  EXPECT_EQ(refused(c), ConfigFault::missing_record);
  c = full_config({});
  c.model_id = "urn:not-a-dtmi";
  EXPECT_EQ(refused(c), ConfigFault::model_id_invalid);
  EXPECT_EQ(message(*check_config(c)), "Plug and Play model id (14 bytes) is not a DTMI (dtmi:...;1)");
  c = full_config({});
  c.telemetry_queue = 0;
  EXPECT_EQ(refused(c), ConfigFault::telemetry_queue_out_of_range);
  c.telemetry_queue = max_telemetry_queue + 1;
  EXPECT_EQ(message(*check_config(c)), "telemetry queue of 33 readings is out of range (1 .. 32)");
}

// DPS instead of a connection string: records 9-12 round-trip, the endpoint record only when not the default.
DeviceConfig dps_config() {
  DeviceConfig config;
  config.mac = {0x02, 1, 2, 3, 4, 5};
  config.dps = DpsSettings{"0ne0000ABCD", "board-7", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", true,
                           "localhost:18883"};
  return config;
}

TEST(ConfigBlock, DpsSettingsRoundTripWithoutAConnectionString) {
  const auto block = encode(dps_config());
  const auto decoded = decode_config_block(block);
  ASSERT_TRUE(decoded.has_value()) << message(decoded.error());
  EXPECT_TRUE(decoded->connection_string.empty());
  EXPECT_EQ(decoded->dps.id_scope, "0ne0000ABCD");
  EXPECT_EQ(decoded->dps.registration_id, "board-7");
  EXPECT_EQ(decoded->dps.key_base64, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  EXPECT_TRUE(decoded->dps.group_key_derived);
  EXPECT_EQ(decoded->dps.endpoint, "localhost:18883");

  DeviceConfig global = dps_config();
  global.dps.endpoint = {};
  global.dps.group_key_derived = false;
  const auto global_block = encode(global);
  EXPECT_EQ(global_block.size(), block.size() - 3 - std::string_view("localhost:18883").size());
  const auto decoded_global = decode_config_block(global_block);
  ASSERT_TRUE(decoded_global.has_value()) << message(decoded_global.error());
  EXPECT_TRUE(decoded_global->dps.endpoint.empty());  // the firmware then uses dps_default_endpoint
  EXPECT_FALSE(decoded_global->dps.group_key_derived);
}

TEST(ConfigBlock, DpsSettingsAreCheckedWithAReasonEach) {
  const auto refused = [](const DeviceConfig& c) {
    const auto problem = check_config(c);
    return problem ? message(*problem) : std::string("accepted");
  };
  DeviceConfig c = dps_config();
  EXPECT_EQ(refused(c), "accepted");
  c.connection_string = key_cs;
  EXPECT_EQ(refused(c), "DPS settings invalid: a connection string and DPS settings: give one");
  c = dps_config();
  c.dps.registration_id = "bad id";
  EXPECT_NE(refused(c).find("bad registration id (1-128"), std::string::npos);
  c = dps_config();
  c.dps.registration_id = {};
  EXPECT_NE(refused(c).find("registration id"), std::string::npos);
  c = dps_config();
  c.dps.id_scope = "0ne/x";
  EXPECT_NE(refused(c).find("bad id scope"), std::string::npos);
  c = dps_config();
  c.dps.key_base64 = "not base64!";
  EXPECT_NE(refused(c).find("key is missing or not base64"), std::string::npos);
  c.dps.key_base64 = {};
  EXPECT_NE(refused(c).find("key is missing"), std::string::npos);
  for (const char* endpoint : {"localhost:0", "localhost:65536", ":8883", "localhost:88x3", "host:"}) {
    c = dps_config();
    c.dps.endpoint = endpoint;
    EXPECT_NE(refused(c).find("endpoint is not host[:port]"), std::string::npos) << endpoint;
  }
  c = dps_config();
  c.dps.endpoint = "dps.example.net";  // no port: 8883
  EXPECT_EQ(refused(c), "accepted");
}

TEST(ConfigBlock, DecoderRefusesAnUnknownDpsKeyKind) {
  // Record 11's kind byte changed.
  const auto block = rewrite_record(encode(dps_config()), 11, [](auto& b, std::size_t at) { b[at + 3] = 7; });
  const auto decoded = decode_config_block(block);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(message(decoded.error()), "DPS settings invalid: unknown key kind");
}

// Record 13: MQTT over WebSockets on a port; absent means MQTT over TLS. With DPS too; never port 0.
TEST(ConfigBlock, WebSocketPortRoundTripsAndIsCheckedWithAReason) {
  DeviceConfig plain = full_config({});
  const auto plain_block = encode(plain);
  DeviceConfig ws = full_config({});
  ws.websocket_port = 443;
  const auto block = encode(ws);
  EXPECT_EQ(block.size(), plain_block.size() + 3 + 2);
  const auto decoded = decode_config_block(block);
  ASSERT_TRUE(decoded.has_value()) << message(decoded.error());
  EXPECT_EQ(decoded->websocket_port, 443u);
  const auto decoded_plain = decode_config_block(plain_block);
  ASSERT_TRUE(decoded_plain.has_value());
  EXPECT_EQ(decoded_plain->websocket_port, 0u);

  // With DPS the record carries the registration too (the same port for DPS and the assigned hub).
  DeviceConfig with_dps = dps_config();
  with_dps.websocket_port = 8443;
  EXPECT_FALSE(check_config(with_dps).has_value());
  const auto dps_block = encode(with_dps);  // the decoded fields view it
  const auto dps_decoded = decode_config_block(dps_block);
  ASSERT_TRUE(dps_decoded.has_value()) << message(dps_decoded.error());
  EXPECT_EQ(dps_decoded->websocket_port, 8443u);
  EXPECT_EQ(dps_decoded->dps.id_scope, with_dps.dps.id_scope);
}

TEST(ConfigBlock, DecoderRefusesAWebSocketRecordWithPortZeroOrTheWrongLength) {
  DeviceConfig ws = full_config({});
  ws.websocket_port = 8443;
  const auto zero = rewrite_record(encode(ws), 13, [](auto& b, std::size_t at) { b[at + 3] = b[at + 4] = 0; });
  const auto decoded = decode_config_block(zero);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(message(decoded.error()), "MQTT over WebSockets cannot be used: port 0");
  // A one-byte record (length 1, its second byte then read as the next record's tag) is a length error.
  const auto short_record = rewrite_record(encode(ws), 13, [](auto& b, std::size_t at) { b[at + 1] = 1; });
  const auto bad = decode_config_block(short_record);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().fault, ConfigFault::bad_record_length);
}

constexpr std::string_view x509_cs = "HostName=hub.azure-devices.net;DeviceId=board-1;x509=true";
// Not a real certificate: the config only checks that it looks like DER (a SEQUENCE) and its size.
const std::vector<std::uint8_t> fake_der = {0x30, 0x03, 0x02, 0x01, 0x07};
const std::vector<std::uint8_t> scalar(p256_private_key_bytes, 0x5A);

DeviceConfig x509_config() {
  DeviceConfig config = full_config({});
  config.connection_string = x509_cs;
  config.x509 = X509Identity{fake_der, scalar};
  return config;
}

TEST(ConfigBlock, X509CertificateAndKeyRoundTripAsRecords14And15) {
  const auto block = encode(x509_config());
  const auto decoded = decode_config_block(block);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->connection_string, x509_cs);
  EXPECT_TRUE(std::equal(fake_der.begin(), fake_der.end(), decoded->x509.certificate_der.begin(),
                         decoded->x509.certificate_der.end()));
  EXPECT_TRUE(
      std::equal(scalar.begin(), scalar.end(), decoded->x509.private_key.begin(), decoded->x509.private_key.end()));
  // Tags 14 and 15 with the key's curve byte, as the header comment says.
  std::vector<std::uint8_t> tags;
  for (std::size_t at = config_header_size; at < block.size();) {
    tags.push_back(block[at]);
    if (block[at] == 15) {
      EXPECT_EQ(block[at + 3], key_curve_p256);
    }
    at += 3 + static_cast<std::size_t>(block[at + 1] | block[at + 2] << 8);
  }
  EXPECT_NE(std::find(tags.begin(), tags.end(), 14), tags.end());
  EXPECT_NE(std::find(tags.begin(), tags.end(), 15), tags.end());
}

TEST(ConfigBlock, X509NeedsBothTheConnectionStringAndTheRecords) {
  std::vector<std::uint8_t> out(4096);
  DeviceConfig no_cert = x509_config();
  no_cert.x509 = {};
  auto r = encode_config_block(no_cert, out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(message(r.error()), "X.509 settings invalid: x509=true needs the device certificate and key");
  DeviceConfig sas_with_cert = x509_config();
  sas_with_cert.connection_string = key_cs;
  r = encode_config_block(sas_with_cert, out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(message(r.error()), "X.509 settings invalid: a certificate and key need an x509=true connection string");
  DeviceConfig short_key = x509_config();
  short_key.x509.private_key = std::span(scalar).first(31);
  r = encode_config_block(short_key, out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().fault, ConfigFault::x509_invalid);
  DeviceConfig big_cert = x509_config();
  const std::vector<std::uint8_t> big(max_certificate_bytes + 1, 0x30);
  big_cert.x509.certificate_der = big;
  r = encode_config_block(big_cert, out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(message(r.error()), "X.509 settings invalid: the certificate is not DER of at most 2048 bytes");
}

TEST(ConfigBlock, DecoderRefusesAKeyOnAnotherCurve) {
  const auto block = rewrite_record(encode(x509_config()), 15, [](auto& b, std::size_t at) { b[at + 3] = 2; });
  const auto decoded = decode_config_block(block);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(message(decoded.error()), "X.509 settings invalid: the key is not on P-256");
}

TEST(ConfigBlock, EncoderRefusesATooSmallBufferAndSaysHowBig) {
  const DeviceConfig config = full_config({});
  std::vector<std::uint8_t> out(config_block_size(config) - 1);
  const auto size = encode_config_block(config, out);
  ASSERT_FALSE(size.has_value());
  EXPECT_EQ(size.error().fault, ConfigFault::output_too_small);
  EXPECT_EQ(size.error().expected, config_block_size(config));
}

TEST(ConfigBlock, DescribeTruncatesToTheCallersBuffer) {
  char small[10];
  const auto text = describe(ConfigProblem{ConfigFault::erased}, small);
  EXPECT_EQ(text, "no config ");
}

TEST(ConfigBlock, SectorIsTheLast64KiBOfTheBoardsFlash) {
  EXPECT_EQ(config_sector_address, 0x101F0000u);
  EXPECT_EQ(config_sector_address + config_sector_size, 0x10200000u);
}

}  // namespace
}  // namespace picohub::provisioning
