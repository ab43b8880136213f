// ADC channel 4: the on-die temperature sensor (needs clk_adc at 48 MHz, set up by clocks::init).
#pragma once

#include <cstdint>
#include <optional>

namespace picohub::rp2040 {

struct TemperatureReading {
  std::uint16_t raw;           // 12-bit conversion result
  std::int32_t millicelsius;   // 27 - (V - 0.706) / 0.001721, with V = raw x 3.3 / 4096
  bool plausible;              // within the chip's -40..125 °C: an unconnected model reads 0 (437 °C)
};

// Pure conversion (the formula from the RP2040 datasheet; integer arithmetic, no soft-float).
TemperatureReading temperature_from_raw(std::uint16_t raw) noexcept;

class TemperatureSensor {
 public:
  // Takes the ADC out of reset and powers the sensor.
  TemperatureSensor() noexcept;
  // One conversion; nullopt when the ADC did not finish in a bounded wait or flagged an error.
  std::optional<TemperatureReading> read() noexcept;
};

}  // namespace picohub::rp2040
