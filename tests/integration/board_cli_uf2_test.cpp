// `picohub board uf2` as a maker runs it: the test makes a fake firmware image (256 bytes of boot2 with a valid
// CRC, then some payload), runs the real CLI, and reads the UF2 back with the reader and the config decoder.
#include <gtest/gtest.h>

#include <array>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "board/image/boot2_crc.hpp"
#include "board/image/uf2_reader.hpp"
#include "iothub/sas_token.hpp"
#include "provisioning/config_block.hpp"
#include "provisioning/device_mac.hpp"

namespace picohub {
namespace {

namespace fs = std::filesystem;
using namespace board_image;
using namespace provisioning;

const std::string key_cs =
    "HostName=hub.azure-devices.net;DeviceId=board-1;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

struct CliRun {
  int exit_code;
  std::string output;  // stdout and stderr
};

class BoardUf2 : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/picohub-board-uf2.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    firmware_ = fake_firmware(4000);
    write(dir_ / "fw.bin", firmware_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::vector<std::uint8_t> fake_firmware(std::size_t size) {
    std::vector<std::uint8_t> image(size);
    for (std::size_t i = 0; i < size; ++i) image[i] = static_cast<std::uint8_t>(i * 31 + 7);
    EXPECT_TRUE(patch_boot2_crc(image).has_value());
    return image;
  }
  static void write(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  static std::vector<std::uint8_t> read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  // Runs a shell command; returns its exit code and its stdout + stderr.
  static CliRun shell(const std::string& command) {
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    CliRun run{-1, {}};
    if (!pipe) return run;
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe)) run.output += buffer;
    const int status = ::pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
  }

  // `picohub board uf2 <args> -o <dir>/board.uf2` with the connection string in the environment.
  CliRun uf2(const std::string& args, const std::string& cs = key_cs) {
    return shell("PICOHUB_CONNECTION_STRING='" + cs + "' " PICOHUB_CLI " board uf2 " + args + " -o " +
                 (dir_ / "board.uf2").string());
  }
  CliRun inspect() { return shell(PICOHUB_CLI " board inspect " + (dir_ / "board.uf2").string()); }
  std::string fw_arg() const { return "--firmware " + (dir_ / "fw.bin").string(); }

  // The UF2 as the RP2040 bootrom would take it, or a failed assertion.
  std::vector<Uf2Block> written_blocks() {
    const auto file = read(dir_ / "board.uf2");
    auto blocks = read_uf2(file);
    EXPECT_TRUE(blocks.has_value()) << (blocks ? "" : blocks.error().what);
    if (!blocks) return {};
    const auto ok = check_rp2040_blocks(*blocks, 2 * 1024 * 1024);
    EXPECT_TRUE(ok.has_value()) << (ok ? "" : ok.error().what);
    return *blocks;
  }

  // The config block written to board.uf2. Its fields are views into the flash bytes, so the fixture keeps them.
  ConfigResult<DeviceConfig> written_config() {
    config_flash_ = flash_bytes(written_blocks(), config_sector_address, config_sector_size);
    return decode_config_block(config_flash_);
  }
  std::vector<std::uint8_t> config_flash_;

  fs::path dir_;
  std::vector<std::uint8_t> firmware_;
};

TEST_F(BoardUf2, WritesFirmwareAndAConfigBlockThatDecodesBack) {
  const CliRun run = uf2(fw_arg());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto blocks = written_blocks();
  ASSERT_EQ(blocks.size(), (4000 + 255) / 256 + 1);
  EXPECT_EQ(flash_bytes(blocks, 0x10000000, firmware_.size()), firmware_);
  EXPECT_TRUE(boot2_crc_ok(flash_bytes(blocks, 0x10000000, 256)));

  const auto sector = flash_bytes(blocks, config_sector_address, config_sector_size);
  const auto config = decode_config_block(sector);
  ASSERT_TRUE(config.has_value()) << static_cast<int>(config.error().fault);
  EXPECT_EQ(config->connection_string, key_cs);
  EXPECT_EQ(config->telemetry_interval_ms, 5000u);
  EXPECT_EQ(config->mac, mac_from_device_id("board-1"));
  EXPECT_FALSE(config->static_ip.has_value());
  EXPECT_TRUE(config->extra_ca.empty());
  EXPECT_EQ(config->sas_ttl_s, 3600u) << "60 min by default";
  EXPECT_EQ(config->format_version, 2u);

  EXPECT_NE(run.output.find("holds the device's SharedAccessKey: treat it like a password"), std::string::npos);
  EXPECT_NE(run.output.find("DHCP"), std::string::npos);
  EXPECT_NE(run.output.find("0x101F0000"), std::string::npos);
  struct stat info {};
  ASSERT_EQ(::stat((dir_ / "board.uf2").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u) << "the UF2 holds the key: owner-only";
}

TEST_F(BoardUf2, StaticIpMacIntervalAndCaLandInTheBlock) {
  const auto ca = dir_ / "ca.pem";
  const std::string openssl = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
                              (dir_ / "ca.key").string() + " -out " + ca.string() +
                              " -subj /CN=picohub-test-ca -days 2 >/dev/null 2>&1";
  ASSERT_EQ(std::system(openssl.c_str()), 0) << "openssl is needed to make a throwaway CA";
  const CliRun run = uf2(fw_arg() +
                         " --interval 2m --mac 02:00:5e:10:00:01 --static-ip 192.168.7.50/23,192.168.7.1"
                         " --ca " +
                         ca.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto sector = flash_bytes(written_blocks(), config_sector_address, config_sector_size);
  const auto config = decode_config_block(sector);
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->telemetry_interval_ms, 120'000u);
  EXPECT_EQ(config->mac, (MacAddress{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}));
  ASSERT_TRUE(config->static_ip.has_value());
  EXPECT_EQ(config->static_ip->address, (Ipv4Address{192, 168, 7, 50}));
  EXPECT_EQ(config->static_ip->netmask, (Ipv4Address{255, 255, 254, 0}));
  EXPECT_EQ(config->static_ip->gateway, (Ipv4Address{192, 168, 7, 1}));
  EXPECT_EQ(config->static_ip->dns, (Ipv4Address{192, 168, 7, 1})) << "DNS defaults to the gateway";
  auto pem = read(ca);
  pem.push_back(0);  // what mbedtls_x509_crt_parse wants for PEM
  EXPECT_TRUE(std::equal(config->extra_ca.begin(), config->extra_ca.end(), pem.begin(), pem.end()));
}

TEST_F(BoardUf2, ALoopbackGatewayGetsANoteButIsWritten) {
  const CliRun run = uf2(fw_arg(), key_cs + ";GatewayHostName=localhost:8883");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("note: localhost:8883 is this computer's loopback name"), std::string::npos) << run.output;
  const auto config = written_config();
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->connection_string, key_cs + ";GatewayHostName=localhost:8883");
}

TEST_F(BoardUf2, FirmwareThatFillsTheFlashUpToTheConfigSectorFits) {
  write(dir_ / "fw.bin", fake_firmware(config_sector_address - 0x10000000));
  const CliRun run = uf2(fw_arg());
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

TEST_F(BoardUf2, InspectShowsTheConfigButNeverTheKey) {
  ASSERT_EQ(uf2(fw_arg() + " --static-ip 10.1.2.3/16,10.1.0.1").exit_code, 0);
  const CliRun run = inspect();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("region     0x101F0000..0x101F0100"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("boot2      CRC 0x"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("board-1 on hub.azure-devices.net (SharedAccessKey present, not shown)"), std::string::npos)
      << run.output;
  EXPECT_NE(run.output.find("static 10.1.2.3 netmask 255.255.0.0"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="), std::string::npos) << "key leaked";
}

TEST_F(BoardUf2, SasTtlLandsInTheBlockAndInspectShowsIt) {
  const CliRun run = uf2(fw_arg() + " --sas-ttl 30s");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("SAS token  30 s lifetime, renewed at 24 s"), std::string::npos) << run.output;
  const auto config = written_config();
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->sas_ttl_s, 30u);
  const CliRun shown = inspect();
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("config     format 2 at 0x101F0000"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("SAS token  30 s lifetime"), std::string::npos) << shown.output;
}

TEST_F(BoardUf2, TheOfflineQueueLengthLandsInTheBlockAndInspectShowsIt) {
  CliRun run = uf2(fw_arg());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("queue      16 readings held while the hub is unreachable"), std::string::npos)
      << run.output;
  run = uf2(fw_arg() + " --queue 32");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto config = written_config();
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->telemetry_queue, 32u);
  EXPECT_NE(inspect().output.find("queue      32 readings"), std::string::npos);
}

TEST_F(BoardUf2, ThePlugAndPlayModelIsTheTutorialsByDefaultChosenOrNone) {
  CliRun run = uf2(fw_arg());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("model      dtmi:picohub:TutorialDevice;1"), std::string::npos) << run.output;
  auto config = written_config();
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->model_id, "dtmi:picohub:TutorialDevice;1");
  EXPECT_NE(inspect().output.find("model      dtmi:picohub:TutorialDevice;1"), std::string::npos);

  run = uf2(fw_arg() + " --model-id 'dtmi:com:example:Thermostat;2'");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  config = written_config();
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->model_id, "dtmi:com:example:Thermostat;2");

  run = uf2(fw_arg() + " --model-id none");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("model      none"), std::string::npos) << run.output;
  config = written_config();
  ASSERT_TRUE(config.has_value());
  EXPECT_TRUE(config->model_id.empty());

  run = uf2(fw_arg() + " --model-id urn:thermostat");
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("--model-id 'urn:thermostat' is not a DTMI"), std::string::npos) << run.output;
}

TEST_F(BoardUf2, InspectRefusesADamagedConfigBlockAsTheFirmwareWould) {
  ASSERT_EQ(uf2(fw_arg()).exit_code, 0);
  auto file = read(dir_ / "board.uf2");
  file[file.size() - 512 + 32 + 40] ^= 0x01;  // a byte inside the config block's payload, in the last block
  write(dir_ / "board.uf2", file);
  const CliRun run = inspect();
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("config block CRC mismatch"), std::string::npos) << run.output;
}

struct Refused {
  const char* why;
  const char* args;    // after --firmware
  const char* cs;      // nullptr: the good one
  const char* expect;  // in the output
};

TEST_F(BoardUf2, RefusesWhatTheBoardCouldNotUseWithExitTwoAndTheReason) {
  const Refused cases[] = {
      {"SAS token", "",
       "HostName=h.azure-devices.net;DeviceId=d;SharedAccessSignature=SharedAccessSignature "
       "sr=h.azure-devices.net%2Fdevices%2Fd&sig=AAAA&se=1700000000",
       "a token expires"},
      {"malformed", "", "HostName=h.azure-devices.net;SharedAccessKey=AAAA", "invalid connection string"},
      {"x509", "", "HostName=h.azure-devices.net;DeviceId=d;x509=true", "x509"},
      {"interval grammar", "--interval 5x", nullptr, "--interval"},
      {"interval too short", "--interval 250ms", nullptr, "out of range"},
      {"token lifetime too short", "--sas-ttl 10s", nullptr, "--sas-ttl looks like 60m, 30s or 1440m"},
      {"token lifetime too long", "--sas-ttl 1441m", nullptr, "--sas-ttl"},
      {"token lifetime not whole seconds", "--sas-ttl 30500ms", nullptr, "--sas-ttl"},
      {"no offline queue", "--queue 0", nullptr, "--queue 0 is out of range: the board holds 1 to 32"},
      {"offline queue beyond RAM", "--queue 33", nullptr, "--queue 33 is out of range"},
      {"multicast MAC", "--mac 01:00:5e:00:00:01", nullptr, "multicast"},
      {"bad static IP", "--static-ip 10.0.0.5,10.0.0.1", nullptr, "IP/PREFIX"},
      {"CA not a certificate", "--ca /dev/null", nullptr, "no X.509 certificate"},
  };
  for (const auto& c : cases) {
    const CliRun run = uf2(fw_arg() + " " + c.args, c.cs ? c.cs : key_cs);
    EXPECT_EQ(run.exit_code, 2) << c.why << "\n" << run.output;
    EXPECT_NE(run.output.find(c.expect), std::string::npos) << c.why << "\n" << run.output;
    EXPECT_FALSE(fs::exists(dir_ / "board.uf2")) << c.why << ": nothing is written when refused";
  }
}

const std::string x509_cs = "HostName=hub.azure-devices.net;DeviceId=board-1;x509=true";

// A self-signed certificate for CN=NAME with a new key (openssl: `-newkey ec` P-256, or `rsa:2048`).
void make_certificate(const fs::path& dir, const std::string& name, const std::string& newkey) {
  const std::string command = "openssl req -x509 -newkey " + newkey + " -nodes -keyout " +
                              (dir / (name + ".key")).string() + " -out " + (dir / (name + ".crt")).string() +
                              " -subj /CN=" + name + " -days 2 >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << "openssl is needed to make a throwaway certificate";
}

TEST_F(BoardUf2, X509CertificateAndP256KeyLandInRecords14And15AndInspectNeverShowsTheKey) {
  make_certificate(dir_, "board-1", "ec -pkeyopt ec_paramgen_curve:P-256");
  const std::string files = " --cert " + (dir_ / "board-1.crt").string() + " --cert-key " +
                            (dir_ / "board-1.key").string();
  const CliRun run = uf2(fw_arg() + files, x509_cs);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("X.509      CN=board-1, SHA-1 thumbprint "), std::string::npos) << run.output;
  const auto config = written_config();
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->connection_string, x509_cs);
  // The DER is what openssl writes as DER; the key is its 32-byte scalar (openssl's "priv:" bytes).
  ASSERT_EQ(std::system(("openssl x509 -in " + (dir_ / "board-1.crt").string() + " -outform DER -out " +
                         (dir_ / "board-1.der").string())
                            .c_str()),
            0);
  const auto der = read(dir_ / "board-1.der");
  EXPECT_TRUE(
      std::equal(der.begin(), der.end(), config->x509.certificate_der.begin(), config->x509.certificate_der.end()));
  const CliRun priv = shell("openssl pkey -in " + (dir_ / "board-1.key").string() +
                            " -noout -text | sed -n '/^priv:/,/^pub:/p' | grep -v '^pub:'");
  std::string hex;
  for (const char c : priv.output)
    if (std::isxdigit(static_cast<unsigned char>(c))) hex += c;
  ASSERT_GE(hex.size(), 64u) << priv.output;
  hex = hex.substr(hex.size() - 64);  // openssl may print a leading 00
  ASSERT_EQ(config->x509.private_key.size(), 32u);
  char scalar_hex[65] = {};
  for (std::size_t i = 0; i < 32; ++i) std::snprintf(scalar_hex + 2 * i, 3, "%02x", config->x509.private_key[i]);
  EXPECT_EQ(hex, scalar_hex);
  const CliRun shown = inspect();
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  EXPECT_NE(shown.output.find("X.509      CN=board-1, SHA-1 thumbprint "), std::string::npos) << shown.output;
  EXPECT_EQ(shown.output.find(scalar_hex), std::string::npos) << "the key must never be printed";
}

TEST_F(BoardUf2, X509RefusesAnotherKeyAnRsaKeyAndMissingFilesWithExitTwo) {
  make_certificate(dir_, "board-1", "ec -pkeyopt ec_paramgen_curve:P-256");
  make_certificate(dir_, "other", "ec -pkeyopt ec_paramgen_curve:P-256");
  make_certificate(dir_, "rsa", "rsa:2048");
  const std::string crt = " --cert " + (dir_ / "board-1.crt").string();
  struct Case {
    const char* why;
    std::string args;
    const char* expect;
  };
  const Case cases[] = {
      {"another device's key", crt + " --cert-key " + (dir_ / "other.key").string(),
       "is not the private key of the --cert certificate"},
      {"RSA", " --cert " + (dir_ / "rsa.crt").string() + " --cert-key " + (dir_ / "rsa.key").string(),
       "is not a P-256 key"},
      {"no key", crt, "needs --cert FILE.crt and --cert-key FILE.key"},
      {"unreadable key", crt + " --cert-key " + (dir_ / "none.key").string(), "cannot read --cert-key"},
      {"not a certificate", " --cert /dev/null --cert-key " + (dir_ / "board-1.key").string(),
       "is not a PEM certificate"},
  };
  for (const auto& c : cases) {
    const CliRun run = uf2(fw_arg() + c.args, x509_cs);
    EXPECT_EQ(run.exit_code, 2) << c.why << "\n" << run.output;
    EXPECT_NE(run.output.find(c.expect), std::string::npos) << c.why << "\n" << run.output;
    EXPECT_FALSE(fs::exists(dir_ / "board.uf2")) << c.why << ": nothing is written when refused";
  }
  const CliRun sas_with_cert = uf2(fw_arg() + crt + " --cert-key " + (dir_ / "board-1.key").string());
  EXPECT_EQ(sas_with_cert.exit_code, 2) << sas_with_cert.output;
  EXPECT_NE(sas_with_cert.output.find("go with an x509=true connection string"), std::string::npos);
}

constexpr const char* dps_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

TEST_F(BoardUf2, DpsSettingsLandInTheBlockInsteadOfAConnectionString) {
  CliRun run = uf2(fw_arg() + " --dps-scope 0ne0000ABCD --dps-registration-id board-7 --dps-key " + dps_key +
                       " --dps-host localhost --dps-port 18883",
                   "");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("DPS        registration board-7 in scope 0ne0000ABCD at localhost:18883, individual"),
            std::string::npos)
      << run.output;
  auto config = written_config();
  ASSERT_TRUE(config.has_value());
  EXPECT_TRUE(config->connection_string.empty());
  EXPECT_EQ(config->dps.id_scope, "0ne0000ABCD");
  EXPECT_EQ(config->dps.registration_id, "board-7");
  EXPECT_EQ(config->dps.key_base64, dps_key);
  EXPECT_FALSE(config->dps.group_key_derived);
  EXPECT_EQ(config->dps.endpoint, "localhost:18883");
  const CliRun shown = inspect();
  EXPECT_NE(shown.output.find("individual key (present, not shown)"), std::string::npos) << shown.output;
  EXPECT_EQ(shown.output.find(dps_key), std::string::npos) << "inspect never prints the key";

  // A group key: the device key derived from it (HMAC-SHA256 of the registration id) goes in, never the group key.
  run = uf2(fw_arg() + " --dps-scope 0ne0000ABCD --dps-registration-id sensor-0042 --dps-group-key " + dps_key, "");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  config = written_config();
  ASSERT_TRUE(config.has_value());
  EXPECT_TRUE(config->dps.group_key_derived);
  EXPECT_TRUE(config->dps.endpoint.empty());  // the global endpoint, 8883
  std::array<char, 64> derived{};
  const auto expected = iothub::derive_device_key(dps_key, "sensor-0042", derived);
  ASSERT_TRUE(expected.has_value());
  EXPECT_EQ(config->dps.key_base64, *expected);
  EXPECT_NE(config->dps.key_base64, dps_key);
  EXPECT_NE(run.output.find("global.azure-devices-provisioning.net:8883, group enrollment"), std::string::npos)
      << run.output;
}

TEST_F(BoardUf2, RefusesIncompleteOrConflictingDpsOptionsWithExitTwo) {
  const Refused cases[] = {
      {"DPS and a connection string", "--dps-scope 0ne1 --dps-registration-id d --dps-key AAAA", nullptr, "not both"},
      {"no registration id", "--dps-scope 0ne1 --dps-key AAAA", "", "needs --dps-registration-id"},
      {"bad registration id", "--dps-scope 0ne1 --dps-registration-id 'a b' --dps-key AAAA", "",
       "--dps-registration-id must be"},
      {"no key", "--dps-scope 0ne1 --dps-registration-id d", "", "exactly one of --dps-key"},
      {"both keys", "--dps-scope 0ne1 --dps-registration-id d --dps-key AAAA --dps-group-key AAAA", "",
       "exactly one of --dps-key"},
      {"key not base64", "--dps-scope 0ne1 --dps-registration-id d --dps-key 'no!'", "", "not base64"},
      {"group key not base64", "--dps-scope 0ne1 --dps-registration-id d --dps-group-key 'no!'", "", "--dps-group-key"},
      {"port out of range", "--dps-scope 0ne1 --dps-registration-id d --dps-key AAAA --dps-port 70000", "",
       "--dps-port"},
      {"port in the host", "--dps-scope 0ne1 --dps-registration-id d --dps-key AAAA --dps-host h:1", "",
       "--dps-host is a host name without a port"},
      {"neither", "", "", "give --connection-string"},
  };
  for (const auto& c : cases) {
    const CliRun run = uf2(fw_arg() + " " + c.args, c.cs ? c.cs : key_cs);
    EXPECT_EQ(run.exit_code, 2) << c.why << "\n" << run.output;
    EXPECT_NE(run.output.find(c.expect), std::string::npos) << c.why << "\n" << run.output;
    EXPECT_FALSE(fs::exists(dir_ / "board.uf2")) << c.why << ": nothing is written when refused";
  }
}

// --websocket: record 13 holds the HTTPS port (443 unless --websocket-port); the summary and inspect name the wss
// URL; without it there is no record and inspect says MQTT over TLS.
TEST_F(BoardUf2, WebSocketRecordLandsInTheBlockAndInspectShowsIt) {
  CliRun run = uf2(fw_arg(), key_cs + ";GatewayHostName=localhost:8883");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto config = written_config();
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->websocket_port, 0u);
  EXPECT_NE(inspect().output.find("transport  MQTT over TLS\n"), std::string::npos);

  run = uf2(fw_arg() + " --websocket", key_cs + ";GatewayHostName=localhost:8883");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("transport  MQTT over WebSockets: wss://localhost:443/$iothub/websocket, subprotocol mqtt"),
            std::string::npos)
      << run.output;
  config = written_config();
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->websocket_port, 443u);

  run = uf2(fw_arg() + " --websocket --websocket-port 8443");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  config = written_config();
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->websocket_port, 8443u);
  const CliRun shown = inspect();
  EXPECT_NE(shown.output.find("transport  MQTT over WebSockets: wss://"), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find(":8443/$iothub/websocket"), std::string::npos) << shown.output;
}

// --websocket with DPS: record 13 serves the registration and the assigned hub; both lines say so.
TEST_F(BoardUf2, WebSocketWithDpsCarriesTheRegistrationToo) {
  const CliRun run = uf2(fw_arg() +
                             " --websocket --websocket-port 8443 --dps-scope 0ne0000ABCD --dps-registration-id d "
                             "--dps-key AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= --dps-host localhost",
                         "");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto config = written_config();
  ASSERT_TRUE(config.has_value());
  EXPECT_EQ(config->websocket_port, 8443u);
  EXPECT_EQ(config->dps.id_scope, "0ne0000ABCD");
  const std::string line =
      "transport  MQTT over WebSockets, DPS and hub: wss://localhost:8443/$iothub/websocket, then the assigned hub's "
      "host on port 8443; subprotocol mqtt";
  EXPECT_NE(run.output.find(line), std::string::npos) << run.output;
  const CliRun shown = inspect();
  EXPECT_NE(shown.output.find(line), std::string::npos) << shown.output;
}

TEST_F(BoardUf2, RefusesWebSocketOptionsTheBoardCannotUseWithExitTwo) {
  const Refused cases[] = {
      {"port without --websocket", "--websocket-port 443", nullptr, "--websocket-port needs --websocket"},
      {"port 0", "--websocket --websocket-port 0", nullptr, "--websocket-port is a number from 1 to 65535"},
      {"port too big", "--websocket --websocket-port 65536", nullptr, "--websocket-port is a number from 1 to 65535"},
  };
  for (const auto& c : cases) {
    const CliRun run = uf2(fw_arg() + " " + c.args, c.cs ? c.cs : key_cs);
    EXPECT_EQ(run.exit_code, 2) << c.why << "\n" << run.output;
    EXPECT_NE(run.output.find(c.expect), std::string::npos) << c.why << "\n" << run.output;
    EXPECT_FALSE(fs::exists(dir_ / "board.uf2")) << c.why << ": nothing is written when refused";
  }
}

TEST_F(BoardUf2, RefusesAFirmwareWhoseBoot2CrcIsWrong) {
  auto broken = firmware_;
  broken[10] ^= 0x40;
  write(dir_ / "fw.bin", broken);
  const CliRun run = uf2(fw_arg());
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("boot2 CRC is wrong"), std::string::npos) << run.output;
}

TEST_F(BoardUf2, RefusesAFirmwareThatWouldOverlapTheConfigSector) {
  write(dir_ / "fw.bin", fake_firmware(config_sector_address - 0x10000000 + 1));
  const CliRun run = uf2(fw_arg());
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("would overlap the config sector at 0x101F0000"), std::string::npos) << run.output;
}

TEST_F(BoardUf2, RefusesAnElfWithAHint) {
  auto elf = firmware_;
  elf[0] = 0x7F, elf[1] = 'E', elf[2] = 'L', elf[3] = 'F';
  write(dir_ / "fw.bin", elf);
  const CliRun run = uf2(fw_arg());
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_NE(run.output.find("pass the raw .bin"), std::string::npos) << run.output;
}

TEST_F(BoardUf2, MissingFirmwareFileIsAnError) {
  const CliRun run = uf2("--firmware " + (dir_ / "nope.bin").string());
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.output.find("cannot read firmware image"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace picohub
