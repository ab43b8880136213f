// The on-die temperature sensor's transfer function (RP2040 datasheet): T = 27 - (V - 0.706) / 0.001721 °C,
// V = raw x 3.3 / 4096 with the ADC referenced to 3.3 V. Pure arithmetic, so the host tests it.
#pragma once

#include <cstdint>

namespace picohub::rp2040 {

struct TemperatureReading {
  std::uint16_t raw;          // 12-bit conversion result
  std::int32_t millicelsius;  // rounded towards zero
  bool plausible;             // within the chip's -40..125 °C; an unconnected input (rp2040js) reads 0 = 437 °C
};

TemperatureReading temperature_from_raw(std::uint16_t raw) noexcept;

}  // namespace picohub::rp2040
