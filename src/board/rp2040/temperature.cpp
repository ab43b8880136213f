#include "board/rp2040/temperature.hpp"

namespace picohub::rp2040 {

TemperatureReading temperature_from_raw(std::uint16_t raw) noexcept {
  // Integer arithmetic (no soft-float on the M0+): microvolts, then 1 / 1.721 °C per mV off 0.706 V.
  const std::int64_t microvolts = std::int64_t{raw} * 3'300'000 / 4096;
  const std::int64_t delta_millicelsius = (microvolts - 706'000) * 1000 / 1721;
  const auto millicelsius = static_cast<std::int32_t>(27'000 - delta_millicelsius);
  return {raw, millicelsius, millicelsius >= -40'000 && millicelsius <= 125'000};
}

}  // namespace picohub::rp2040
