#include "drivers/w5100s/chip.hpp"

#include "drivers/w5100s/registers.hpp"

namespace picohub::w5100s {
namespace {
// Shared sentences: the driver's caller got the order or the sizes wrong; the chip did not finish a command.
constexpr const char* kMisuse = "W5100S driver used out of order or with bad socket buffer sizes";
constexpr const char* kStuck = "W5100S did not finish a command (reset, socket command or open)";

// The chip updates a 16-bit counter within a bus cycle; disagreeing reads this many times means garbage.
constexpr int max_stable_reads = 8;
// Sn_CR clears within a few chip clocks; this many reads at any SPI speed is far beyond that.
constexpr int max_command_polls = 100;

std::array<std::uint8_t, 3> frame_header(std::uint8_t opcode, std::uint16_t address) noexcept {
  return {opcode, static_cast<std::uint8_t>(address >> 8), static_cast<std::uint8_t>(address & 0xFF)};
}

// RMSR/TMSR code for a size in KiB: 0 = 1 KiB, 1 = 2, 2 = 4, 3 = 8.
int size_code(std::uint8_t kib) noexcept {
  switch (kib) {
    case 1: return 0;
    case 2: return 1;
    case 4: return 2;
    case 8: return 3;
    default: return -1;
  }
}

bool sizes_valid(const std::array<std::uint8_t, 4>& kib) noexcept {
  unsigned total = 0;
  for (auto k : kib) {
    if (size_code(k) < 0) return false;
    total += k;
  }
  return total <= reg::memory_size / 1024;
}

std::uint8_t size_register(const std::array<std::uint8_t, 4>& kib) noexcept {
  unsigned value = 0;
  for (unsigned n = 0; n < kib.size(); ++n) value |= static_cast<unsigned>(size_code(kib[n])) << (2 * n);
  return static_cast<std::uint8_t>(value);
}

char hex_digit(unsigned v) noexcept { return "0123456789ABCDEF"[v & 0xF]; }

}  // namespace

Chip::Chip(platform::SpiBus& bus, platform::DigitalOut& reset_n, ResetTiming timing) noexcept
    : bus_(bus), reset_n_(reset_n), timing_(timing) {}

void Chip::begin_reset(std::uint64_t now_ms) noexcept {
  reset_n_.write(false);
  phase_ = Phase::reset_low;
  phase_since_ms_ = now_ms;
  version_read_ = 0;
  failure_ = nullptr;
  remember_buffer_sizes(BufferSizes{});  // the chip's reset values (RMSR = TMSR = 0x55)
}

Result<bool> Chip::poll_reset(std::uint64_t now_ms) noexcept {
  const std::uint64_t elapsed = now_ms - phase_since_ms_;
  switch (phase_) {
    case Phase::idle: return fail(Errc::invalid_argument, kMisuse);
    case Phase::reset_low:
      // Strictly greater: at millisecond resolution this guarantees at least low_ms of real time.
      if (elapsed <= timing_.low_ms) return false;
      reset_n_.write(true);
      phase_ = Phase::settling;
      phase_since_ms_ = now_ms;
      return false;
    case Phase::settling:
      if (elapsed <= timing_.settle_ms) return false;
      version_read_ = read8(reg::VERSIONR);
      if (version_read_ != reg::expected_version) {
        phase_ = Phase::failed;
        return fail(Errc::io_failure, "W5100S not responding (VERSIONR is not 0x51)");
      }
      write8(reg::MR, reg::mr_reset);
      phase_ = Phase::soft_reset;
      phase_since_ms_ = now_ms;
      return false;
    case Phase::soft_reset:
      if ((read8(reg::MR) & reg::mr_reset) == 0) {
        phase_ = Phase::ready;
        return true;
      }
      if (elapsed > timing_.soft_reset_ms) {
        phase_ = Phase::failed;
        failure_ = kStuck;
        return fail(Errc::timeout, failure_);
      }
      return false;
    case Phase::ready: return true;
    case Phase::failed: break;
  }
  return fail(Errc::io_failure, "W5100S reset failed");
}

std::size_t Chip::describe_reset_failure(std::span<char> out) const noexcept {
  char line[] = "W5100S not responding (VERSIONR=0x??, expected 0x51)";
  constexpr std::size_t digits = sizeof("W5100S not responding (VERSIONR=0x") - 1;
  line[digits] = hex_digit(version_read_ >> 4u);
  line[digits + 1] = hex_digit(version_read_);
  const char* text = failure_ != nullptr ? failure_ : line;
  std::size_t n = 0;
  for (; n < out.size() && text[n] != '\0'; ++n) out[n] = text[n];
  return n;
}

Result<void> Chip::configure(const ChipConfig& config) noexcept {
  if (!ready()) return fail(Errc::invalid_argument, kMisuse);
  if (auto ok = set_buffer_sizes(config.buffers); !ok) return ok;
  set_retry(config.retry);
  set_network(config.network);
  return {};
}

Result<void> Chip::set_buffer_sizes(const BufferSizes& sizes) noexcept {
  if (!sizes_valid(sizes.tx_kib) || !sizes_valid(sizes.rx_kib)) return fail(Errc::invalid_argument, kMisuse);
  write8(reg::TMSR, size_register(sizes.tx_kib));
  write8(reg::RMSR, size_register(sizes.rx_kib));
  remember_buffer_sizes(sizes);
  return {};
}

void Chip::remember_buffer_sizes(const BufferSizes& sizes) noexcept {
  for (std::size_t n = 0; n < tx_size_.size(); ++n) {
    tx_size_[n] = static_cast<std::uint16_t>(sizes.tx_kib[n] * 1024u);
    rx_size_[n] = static_cast<std::uint16_t>(sizes.rx_kib[n] * 1024u);
  }
}

void Chip::set_network(const NetworkConfig& network) noexcept {
  write(reg::SHAR, network.mac);
  write(reg::GAR, network.gateway);
  write(reg::SUBR, network.subnet);
  write(reg::SIPR, network.ip);
}

void Chip::set_retry(const RetryConfig& retry) noexcept {
  write16(reg::RTR, retry.time_100us);
  write8(reg::RCR, retry.count);
}

NetworkConfig Chip::network() noexcept {
  NetworkConfig network;
  read(reg::SHAR, network.mac);
  read(reg::GAR, network.gateway);
  read(reg::SUBR, network.subnet);
  read(reg::SIPR, network.ip);
  return network;
}

bool Chip::link_up() noexcept { return (read8(reg::PHYSR) & reg::physr_link_up) != 0; }

std::uint8_t Chip::interrupt_status() noexcept { return read8(reg::IR); }

void Chip::set_socket_interrupt_mask(int socket, std::uint8_t socket_bits) noexcept {
  write8(socket_register(socket, reg::Sn_IMR), socket_bits);
  const auto bit = static_cast<std::uint8_t>(1u << socket);
  const std::uint8_t imr = read8(reg::IMR);
  write8(reg::IMR, static_cast<std::uint8_t>(socket_bits != 0 ? imr | bit : imr & ~bit));
  // G_IEN reportedly reads 1 after reset; set it anyway so INTn never depends on that.
  if (socket_bits != 0) write8(reg::MR2, static_cast<std::uint8_t>(read8(reg::MR2) | reg::mr2_interrupt_enable));
}

std::uint8_t Chip::read8(std::uint16_t address) noexcept {
  std::uint8_t value = 0;
  read(address, std::span<std::uint8_t>(&value, 1));
  return value;
}

void Chip::write8(std::uint16_t address, std::uint8_t value) noexcept {
  write(address, std::span<const std::uint8_t>(&value, 1));
}

std::uint16_t Chip::read16(std::uint16_t address) noexcept {
  std::array<std::uint8_t, 2> bytes{};
  read(address, bytes);
  return static_cast<std::uint16_t>((bytes[0] << 8) | bytes[1]);
}

std::uint16_t Chip::read16_stable(std::uint16_t address) noexcept {
  std::uint16_t previous = read16(address);
  for (int i = 1; i < max_stable_reads; ++i) {
    const std::uint16_t current = read16(address);
    if (current == previous) return current;
    previous = current;
  }
  return previous;  // never settled: callers clamp what they do with it to the buffer geometry
}

void Chip::write16(std::uint16_t address, std::uint16_t value) noexcept {
  const std::array<std::uint8_t, 2> bytes{static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
  write(address, bytes);  // one frame, high byte first
}

void Chip::read(std::uint16_t address, std::span<std::uint8_t> out) noexcept {
  if (out.empty()) return;
  const auto header = frame_header(reg::op_read, address);
  bus_.transaction(header, {}, out);
}

void Chip::write(std::uint16_t address, std::span<const std::uint8_t> data) noexcept {
  if (data.empty()) return;
  const auto header = frame_header(reg::op_write, address);
  bus_.transaction(header, data, {});
}

std::uint16_t Chip::socket_register(int socket, std::uint16_t offset) noexcept {
  return static_cast<std::uint16_t>(reg::socket_base(socket) + offset);
}

std::uint8_t Chip::socket_status(int socket) noexcept { return read8(socket_register(socket, reg::Sn_SR)); }

std::uint8_t Chip::socket_interrupts(int socket) noexcept { return read8(socket_register(socket, reg::Sn_IR)); }

void Chip::clear_socket_interrupts(int socket, std::uint8_t bits) noexcept {
  if (bits != 0) write8(socket_register(socket, reg::Sn_IR), bits);
}

Result<void> Chip::socket_command(int socket, std::uint8_t command) noexcept {
  const std::uint16_t cr = socket_register(socket, reg::Sn_CR);
  write8(cr, command);
  for (int i = 0; i < max_command_polls; ++i) {
    if (read8(cr) == 0) return {};
  }
  return fail(Errc::io_failure, kStuck);
}

Result<void> Chip::open_socket(int socket, std::uint8_t mode, std::uint16_t local_port,
                               std::uint8_t expected_status) noexcept {
  if (auto ok = socket_command(socket, reg::cmd_close); !ok) return ok;
  clear_socket_interrupts(socket, 0xFF);
  write8(socket_register(socket, reg::Sn_MR), mode);
  write16(socket_register(socket, reg::Sn_PORT), local_port);
  if (auto ok = socket_command(socket, reg::cmd_open); !ok) return ok;
  if (socket_status(socket) == expected_status) return {};
  (void)socket_command(socket, reg::cmd_close);
  return fail(Errc::io_failure, kStuck);
}

std::uint16_t Chip::tx_base(int socket) const noexcept {
  unsigned base = reg::tx_memory;
  for (int n = 0; n < socket; ++n) base += tx_size_[static_cast<std::size_t>(n)];
  return static_cast<std::uint16_t>(base);
}

std::uint16_t Chip::rx_base(int socket) const noexcept {
  unsigned base = reg::rx_memory;
  for (int n = 0; n < socket; ++n) base += rx_size_[static_cast<std::size_t>(n)];
  return static_cast<std::uint16_t>(base);
}

}  // namespace picohub::w5100s
