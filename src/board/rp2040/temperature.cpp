#include "board/rp2040/temperature.hpp"

namespace picohub::rp2040 {

TemperatureReading temperature_from_raw(std::uint16_t raw) noexcept {
  // Integer arithmetic (no soft-float on the M0+): microvolts, then 1 / 1.721 °C per mV off 0.706 V.
  // In 32 bits: 3.3 V / 4096 = 103125 / 128 uV exactly, and x * 1000 / 1721 split so nothing overflows.
  // Unsigned divides only (the board links no signed-divide routine): the magnitude of the offset, then its sign.
  const auto microvolts = static_cast<std::int32_t>(std::uint32_t{raw} * 103'125 / 128);
  const std::int32_t delta = microvolts - 706'000;
  const auto magnitude = static_cast<std::uint32_t>(delta < 0 ? -delta : delta);
  const auto offset = static_cast<std::int32_t>(magnitude / 1721 * 1000 + magnitude % 1721 * 1000 / 1721);
  const std::int32_t delta_millicelsius = delta < 0 ? -offset : offset;
  const auto millicelsius = static_cast<std::int32_t>(27'000 - delta_millicelsius);
  return {raw, millicelsius, millicelsius >= -40'000 && millicelsius <= 125'000};
}

}  // namespace picohub::rp2040
