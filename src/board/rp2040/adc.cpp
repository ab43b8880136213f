#include "board/rp2040/adc.hpp"

#include "board/rp2040/mmio.hpp"
#include "board/rp2040/resets.hpp"

namespace picohub::rp2040 {
namespace {

constexpr Address cs = base::adc + 0x00, result = base::adc + 0x04;
constexpr std::uint32_t cs_enable = 1u << 0, cs_sensor_enable = 1u << 1, cs_start_once = 1u << 2, cs_ready = 1u << 8,
                        cs_error = 1u << 9;
constexpr std::uint32_t cs_channel_temperature = 4u << 12;  // AINSEL

}  // namespace

TemperatureSensor::TemperatureSensor() noexcept {
  (void)resets::release(resets::Block::adc);
  reg(cs) = cs_enable | cs_sensor_enable;
  (void)wait_bits(cs, cs_ready, cs_ready);
}

std::optional<TemperatureReading> TemperatureSensor::read() noexcept {
  reg(cs) = cs_enable | cs_sensor_enable | cs_channel_temperature | cs_start_once;
  // A conversion takes 96 clk_adc cycles (2 µs): 100k polls is far more than that, and still bounded.
  if (!wait_bits(cs, cs_ready, cs_ready, 100'000)) return std::nullopt;
  if (reg(cs) & cs_error) return std::nullopt;
  return temperature_from_raw(static_cast<std::uint16_t>(reg(result) & 0xFFF));
}

}  // namespace picohub::rp2040
