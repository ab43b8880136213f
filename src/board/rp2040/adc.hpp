// ADC channel 4: the on-die temperature sensor (needs clk_adc at 48 MHz, set up by clocks::init).
#pragma once

#include <cstdint>
#include <optional>

#include "board/rp2040/temperature.hpp"

namespace picohub::rp2040 {

class TemperatureSensor {
 public:
  // Takes the ADC out of reset and powers the sensor.
  TemperatureSensor() noexcept;
  // One conversion; nullopt when the ADC did not finish in a bounded wait or flagged an error.
  std::optional<TemperatureReading> read() noexcept;
};

}  // namespace picohub::rp2040
