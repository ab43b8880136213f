#include "board/rp2040/timer.hpp"

#include "board/rp2040/cortex_m0.hpp"
#include "board/rp2040/mmio.hpp"
#include "board/rp2040/resets.hpp"

namespace picohub::rp2040 {
namespace {

constexpr Address alarm0 = base::timer + 0x10, armed = base::timer + 0x20, timerawh = base::timer + 0x24,
                  timerawl = base::timer + 0x28, intr = base::timer + 0x34, inte = base::timer + 0x38;
constexpr std::uint32_t alarm0_bit = 1u << 0;
constexpr std::uint32_t timer_irq_0 = 0;

}  // namespace

Timer::Timer() noexcept {
  (void)resets::release(resets::Block::timer);
  reg(inte) = alarm0_bit;
  cortex_m0::enable_irq(timer_irq_0);
}

std::uint64_t Timer::now_us() const noexcept {
  // The raw registers do not latch: re-read the high word until it is the same on both sides of the low one.
  std::uint32_t high = reg(timerawh);
  for (;;) {
    const std::uint32_t low = reg(timerawl);
    const std::uint32_t high_again = reg(timerawh);
    if (high_again == high) return (std::uint64_t{high} << 32) | low;
    high = high_again;
  }
}

void Timer::sleep_until(std::uint64_t deadline_us, std::uint32_t max_sleep_us) noexcept {
  // With interrupts masked, an alarm that fires between the check and WFI still wakes WFI (it is pending);
  // unmasking afterwards lets the handler clear it.
  cortex_m0::disable_interrupts();
  const std::uint64_t now = now_us();
  if (deadline_us > now) {
    const std::uint64_t wake = deadline_us - now > max_sleep_us ? now + max_sleep_us : deadline_us;
    reg(alarm0) = static_cast<std::uint32_t>(wake);  // arms ALARM0 (compares the low 32 bits)
    if (now_us() < wake) {
      cortex_m0::wait_for_interrupt();
    } else {
      // The target passed while arming: an equality compare would now wait for the 32-bit counter to wrap
      // (71 minutes). Disarm and drop any half-raised interrupt instead of sleeping.
      reg(armed) = alarm0_bit;
      reg(intr) = alarm0_bit;
    }
  }
  cortex_m0::enable_interrupts();
}

void Timer::busy_wait_us(std::uint32_t us) const noexcept {
  const std::uint64_t end = now_us() + us;
  while (now_us() < end) {
  }
}

}  // namespace picohub::rp2040

// ALARM0 fired: acknowledge it so the (level) interrupt line drops; waking the core was the whole point.
extern "C" void picohub_isr_timer_0() {
  using namespace picohub::rp2040;
  reg(intr) = alarm0_bit;
}
