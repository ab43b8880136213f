// A socket's TX and RX rings in chip memory. The chip keeps free-running 16-bit pointers (Sn_TX_WR, Sn_RX_RD);
// the physical address is base + (pointer & (size - 1)) and the chip does not wrap a burst for us, so every copy
// is split at the end of the ring and continues at its base. Cursors stage the pointer locally and hand it to
// the chip in one write followed by SEND / RECV.
#pragma once

#include <cstdint>
#include <span>

#include "common/error.hpp"
#include "drivers/w5100s/chip.hpp"

namespace picohub::w5100s {

// Free TX bytes and received RX bytes, read consistently and clamped to the ring size (a misbehaving chip can
// then never make us copy more than the ring holds).
std::uint16_t tx_free(Chip& chip, int socket) noexcept;
std::uint16_t rx_received(Chip& chip, int socket) noexcept;

class TxCursor {
 public:
  TxCursor(Chip& chip, int socket) noexcept;
  void put(std::span<const std::uint8_t> data) noexcept;
  // Writes Sn_TX_WR and issues SEND.
  Result<void> send() noexcept;

 private:
  Chip& chip_;
  int socket_;
  std::uint16_t pointer_;
};

class RxCursor {
 public:
  RxCursor(Chip& chip, int socket) noexcept;
  void take(std::span<std::uint8_t> out) noexcept;
  void skip(std::uint16_t count) noexcept { pointer_ = static_cast<std::uint16_t>(pointer_ + count); }
  // Writes Sn_RX_RD and issues RECV, handing the consumed bytes back to the chip.
  Result<void> release() noexcept;

 private:
  Chip& chip_;
  int socket_;
  std::uint16_t pointer_;
};

}  // namespace picohub::w5100s
