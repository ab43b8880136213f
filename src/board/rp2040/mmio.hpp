// Memory-mapped register access for the RP2040. Every peripheral file names its own registers as offsets from
// its block's base; this file only knows how to touch a 32-bit register and the bus's atomic aliases.
#pragma once

#include <cstdint>

namespace picohub::rp2040 {

using Address = std::uintptr_t;

inline volatile std::uint32_t& reg(Address address) noexcept {
  return *reinterpret_cast<volatile std::uint32_t*>(address);
}

// A read for its side effect (popping a FIFO): `(void)reg(a)` would not perform the access.
inline std::uint32_t reg_read(Address address) noexcept { return reg(address); }

// APB/AHB peripherals decode three aliases per register (datasheet "atomic register access"): a write to
// base+0x1000 XORs, +0x2000 sets, +0x3000 clears the written bits, without a read-modify-write race.
inline void reg_xor(Address address, std::uint32_t bits) noexcept { reg(address + 0x1000) = bits; }
inline void reg_set(Address address, std::uint32_t bits) noexcept { reg(address + 0x2000) = bits; }
inline void reg_clear(Address address, std::uint32_t bits) noexcept { reg(address + 0x3000) = bits; }

// Writes only the bits in `mask` (read-modify-write through the XOR alias, so other bits are untouched).
inline void reg_write_masked(Address address, std::uint32_t value, std::uint32_t mask) noexcept {
  reg_xor(address, (reg(address) ^ value) & mask);
}

// Polls until (register & mask) == expected or `max_polls` reads have passed. Hardware status bits should
// settle in microseconds; a bit that never does (a broken crystal, an emulator that does not model it) must
// not hang the boot, so the caller gets `false` and decides what to report.
inline bool wait_bits(Address address, std::uint32_t mask, std::uint32_t expected,
                      std::uint32_t max_polls = 1'000'000) noexcept {
  for (std::uint32_t i = 0; i < max_polls; ++i) {
    if ((reg(address) & mask) == expected) return true;
  }
  return false;
}

// Base addresses of the blocks the port uses (RP2040 datasheet, address map).
namespace base {
inline constexpr Address clocks = 0x4000'8000;
inline constexpr Address resets = 0x4000'C000;
inline constexpr Address psm = 0x4001'0000;
inline constexpr Address io_bank0 = 0x4001'4000;
inline constexpr Address pads_bank0 = 0x4001'C000;
inline constexpr Address xosc = 0x4002'4000;
inline constexpr Address pll_sys = 0x4002'8000;
inline constexpr Address pll_usb = 0x4002'C000;
inline constexpr Address uart0 = 0x4003'4000;
inline constexpr Address spi0 = 0x4003'C000;
inline constexpr Address adc = 0x4004'C000;
inline constexpr Address timer = 0x4005'4000;
inline constexpr Address watchdog = 0x4005'8000;
inline constexpr Address rosc = 0x4006'0000;
inline constexpr Address sio = 0xD000'0000;
inline constexpr Address ppb = 0xE000'0000;
}  // namespace base

}  // namespace picohub::rp2040
