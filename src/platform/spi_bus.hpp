// SpiBus and DigitalOut: what a chip driver (the W5100S) needs from the board. The RP2040 port implements them
// over SPI0 with chip select on a SIO-driven GPIO; host tests implement them with a fake chip.
#pragma once

#include <cstdint>
#include <span>

namespace picohub::platform {

class SpiBus {
 public:
  virtual ~SpiBus() = default;
  // One chip-select framed transaction: CS low, send `header`, then `data_out`, then clock in `data_in.size()`
  // bytes (sending zeros), CS high. Bytes received while sending are discarded. Blocks only for the transfer
  // itself (microseconds at the bus clock).
  virtual void transaction(std::span<const std::uint8_t> header, std::span<const std::uint8_t> data_out,
                           std::span<std::uint8_t> data_in) = 0;
};

class DigitalOut {
 public:
  virtual ~DigitalOut() = default;
  virtual void write(bool high) = 0;
};

}  // namespace picohub::platform
