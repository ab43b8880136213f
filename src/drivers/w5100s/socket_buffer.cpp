#include "drivers/w5100s/socket_buffer.hpp"

#include "drivers/w5100s/registers.hpp"

namespace picohub::w5100s {
namespace {

// Splits [pointer, pointer + total) at the ring's end; `io(address, offset, length)` moves one contiguous run.
template <class Io>
void for_each_run(std::uint16_t base, std::uint16_t size, std::uint16_t pointer, std::size_t total, Io io) noexcept {
  std::size_t done = 0;
  while (done < total) {
    const std::uint16_t offset = static_cast<std::uint16_t>((pointer + done) & (size - 1u));
    std::size_t run = size - offset;
    if (run > total - done) run = total - done;
    io(static_cast<std::uint16_t>(base + offset), done, run);
    done += run;
  }
}

std::uint16_t clamp(std::uint16_t value, std::uint16_t limit) noexcept { return value < limit ? value : limit; }

}  // namespace

std::uint16_t tx_free(Chip& chip, int socket) noexcept {
  return clamp(chip.read16_stable(Chip::socket_register(socket, reg::Sn_TX_FSR)), chip.tx_size(socket));
}

std::uint16_t rx_received(Chip& chip, int socket) noexcept {
  return clamp(chip.read16_stable(Chip::socket_register(socket, reg::Sn_RX_RSR)), chip.rx_size(socket));
}

TxCursor::TxCursor(Chip& chip, int socket) noexcept
    : chip_(chip), socket_(socket), pointer_(chip.read16(Chip::socket_register(socket, reg::Sn_TX_WR))) {}

void TxCursor::put(std::span<const std::uint8_t> data) noexcept {
  for_each_run(chip_.tx_base(socket_), chip_.tx_size(socket_), pointer_, data.size(),
               [&](std::uint16_t address, std::size_t offset, std::size_t run) {
                 chip_.write(address, data.subspan(offset, run));
               });
  pointer_ = static_cast<std::uint16_t>(pointer_ + data.size());
}

Result<void> TxCursor::send() noexcept {
  chip_.write16(Chip::socket_register(socket_, reg::Sn_TX_WR), pointer_);
  return chip_.socket_command(socket_, reg::cmd_send);
}

RxCursor::RxCursor(Chip& chip, int socket) noexcept
    : chip_(chip), socket_(socket), pointer_(chip.read16(Chip::socket_register(socket, reg::Sn_RX_RD))) {}

void RxCursor::take(std::span<std::uint8_t> out) noexcept {
  for_each_run(chip_.rx_base(socket_), chip_.rx_size(socket_), pointer_, out.size(),
               [&](std::uint16_t address, std::size_t offset, std::size_t run) {
                 chip_.read(address, out.subspan(offset, run));
               });
  pointer_ = static_cast<std::uint16_t>(pointer_ + out.size());
}

Result<void> RxCursor::release() noexcept {
  chip_.write16(Chip::socket_register(socket_, reg::Sn_RX_RD), pointer_);
  return chip_.socket_command(socket_, reg::cmd_recv);
}

}  // namespace picohub::w5100s
