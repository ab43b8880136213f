// Reset handler and vector table. boot2 has set VTOR to the table below (0x10000100), loaded the stack pointer
// from its first word and jumped here: copy .data from flash, clear .bss, paint the stack, arm its guard, run
// static constructors, then main(). Nothing here may rely on .data/.bss before they are set up.
#include <cstdint>
#include <cstring>

#include "board/rp2040/stack.hpp"

extern "C" {
extern std::uint32_t __data_start__[], __data_end__[], __data_load__[], __bss_start__[], __bss_end__[], __stack_top__[];
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();
int main();
[[noreturn]] void picohub_reset_handler();
void picohub_unexpected_exception();
}

extern "C" [[noreturn]] void picohub_reset_handler() {
  std::memcpy(
      __data_start__, __data_load__,
      static_cast<std::size_t>(reinterpret_cast<char*>(__data_end__) - reinterpret_cast<char*>(__data_start__)));
  std::memset(__bss_start__, 0,
              static_cast<std::size_t>(reinterpret_cast<char*>(__bss_end__) - reinterpret_cast<char*>(__bss_start__)));
  std::uintptr_t sp = 0;
  asm volatile("mov %0, sp" : "=r"(sp));
  picohub::rp2040::stack::paint(sp - 64);  // leave this function's own frame (and memset's) alone
  (void)picohub::rp2040::stack::arm_guard();
  for (auto* constructor = __init_array_start; constructor != __init_array_end; ++constructor) (*constructor)();
  (void)main();
  for (;;) asm volatile("wfi");  // main never returns; if it does, sleep until the watchdog resets the chip
}

// A fault or an interrupt nobody handles: hand the exception frame (on the main stack, the only one we use)
// to fault.cpp, which says what happened on the console and stops.
extern "C" __attribute__((naked)) void picohub_unexpected_exception() {
  asm volatile(
      "mov r0, sp\n"
      "ldr r1, =picohub_fault_report\n"
      "bx r1\n"
      ".ltorg\n");
}

// Handlers a peripheral file can define; until then they point at picohub_unexpected_exception.
#define PICOHUB_WEAK_HANDLER(name) \
  extern "C" void name() noexcept __attribute__((weak, alias("picohub_unexpected_exception")))
PICOHUB_WEAK_HANDLER(picohub_isr_nmi);
PICOHUB_WEAK_HANDLER(picohub_isr_hard_fault);
PICOHUB_WEAK_HANDLER(picohub_isr_svcall);
PICOHUB_WEAK_HANDLER(picohub_isr_pendsv);
PICOHUB_WEAK_HANDLER(picohub_isr_systick);
PICOHUB_WEAK_HANDLER(picohub_isr_timer_0);
PICOHUB_WEAK_HANDLER(picohub_isr_timer_1);
PICOHUB_WEAK_HANDLER(picohub_isr_timer_2);
PICOHUB_WEAK_HANDLER(picohub_isr_timer_3);
PICOHUB_WEAK_HANDLER(picohub_isr_io_bank0);
PICOHUB_WEAK_HANDLER(picohub_isr_spi0);
PICOHUB_WEAK_HANDLER(picohub_isr_uart0);
#undef PICOHUB_WEAK_HANDLER

namespace {
using Handler = void (*)();
constexpr int irq_count = 32;  // RP2040 uses IRQ 0..25; the rest stay unexpected
constexpr Handler unexpected = picohub_unexpected_exception;

struct VectorTable {
  std::uint32_t* initial_sp;
  Handler system[15];  // reset, NMI, HardFault, 4 reserved, SVCall, 2 reserved... (Cortex-M0+ numbering 1..15)
  Handler irq[irq_count];
};

constexpr VectorTable make_table() {
  VectorTable t{__stack_top__, {}, {}};
  for (auto& h : t.system) h = unexpected;
  for (auto& h : t.irq) h = unexpected;
  t.system[0] = picohub_reset_handler;   // 1 Reset
  t.system[1] = picohub_isr_nmi;         // 2 NMI
  t.system[2] = picohub_isr_hard_fault;  // 3 HardFault
  t.system[10] = picohub_isr_svcall;     // 11 SVCall
  t.system[13] = picohub_isr_pendsv;     // 14 PendSV
  t.system[14] = picohub_isr_systick;    // 15 SysTick
  t.irq[0] = picohub_isr_timer_0;
  t.irq[1] = picohub_isr_timer_1;
  t.irq[2] = picohub_isr_timer_2;
  t.irq[3] = picohub_isr_timer_3;
  t.irq[13] = picohub_isr_io_bank0;
  t.irq[18] = picohub_isr_spi0;
  t.irq[20] = picohub_isr_uart0;
  return t;
}
}  // namespace

__attribute__((section(".vectors"), used)) constinit const VectorTable picohub_vector_table = make_table();

// No crt0: these are ours. The firmware never exits, so static destructors are never registered or run
// (keeping newlib's atexit machinery, and the malloc it can reach, out of the image).
extern "C" {
void* __dso_handle = nullptr;
int __aeabi_atexit(void*, void (*)(void*), void*) { return 0; }
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
}
