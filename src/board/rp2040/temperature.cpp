#include "board/rp2040/temperature.hpp"

namespace picohub::rp2040 {

TemperatureReading temperature_from_raw(std::uint16_t raw) noexcept {
  // Integer arithmetic (no soft-float on the M0+): microvolts, then 1 / 1.721 °C per mV off 0.706 V.
  // In 32 bits: 3.3 V / 4096 = 103125 / 128 uV exactly, and x * 1000 / 1721 split so nothing overflows.
  const std::int32_t microvolts = std::int32_t{raw} * 103'125 / 128;
  const std::int32_t delta = microvolts - 706'000;
  const std::int32_t delta_millicelsius = delta / 1721 * 1000 + delta % 1721 * 1000 / 1721;
  const auto millicelsius = static_cast<std::int32_t>(27'000 - delta_millicelsius);
  return {raw, millicelsius, millicelsius >= -40'000 && millicelsius <= 125'000};
}

}  // namespace picohub::rp2040
