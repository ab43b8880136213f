#include "board/rp2040/fault.hpp"

#include <string_view>

#include "board/rp2040/uart0.hpp"

namespace {

void write_hex(std::string_view label, std::uint32_t value) noexcept {
  char text[11] = {'0', 'x'};
  for (int i = 0; i < 8; ++i) text[2 + i] = "0123456789abcdef"[(value >> (28 - 4 * i)) & 0xF];
  text[10] = ' ';
  picohub::rp2040::Uart0::write(label);
  picohub::rp2040::Uart0::write({text, sizeof text});
}

}  // namespace

// `frame` is what the core pushed on exception entry: r0, r1, r2, r3, r12, lr, pc, xpsr.
// `used`: only the naked handler in startup.cpp (asm) calls it, which link-time optimisation cannot see.
extern "C" [[noreturn, gnu::used]] void picohub_fault_report(const std::uint32_t* frame) noexcept {
  std::uint32_t ipsr = 0;
  asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  const std::uint32_t exception = ipsr & 0x3F;
  picohub::rp2040::Uart0::write(exception == 3 ? "\r\nFAULT: HardFault " : "\r\nFAULT: unexpected exception ");
  write_hex("number=", exception);
  write_hex("pc=", frame[6]);
  write_hex("lr=", frame[5]);
  write_hex("sp=", reinterpret_cast<std::uintptr_t>(frame) + 32);
  write_hex("xpsr=", frame[7]);
  picohub::rp2040::Uart0::write("\r\nstopped; the watchdog will reset the chip\r\n");
  asm volatile("bkpt #0");
  for (;;) {
  }
}
