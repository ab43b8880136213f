// Vector table and reset handler for the link check ELF: just enough to make the image self-contained
// (no crt0: linked with -nostartfiles). Copies .data, clears .bss, runs constructors, calls the check.
#include <cstdint>
#include <cstring>

extern "C" {
extern std::uint32_t __data_start__, __data_end__, __data_load__, __bss_start__, __bss_end__, __stack_top__;
extern void (*__init_array_start)(), (*__init_array_end)();
[[noreturn]] void picohub_reset_handler();
}

int picohub_board_link_check();

extern "C" [[noreturn]] void picohub_reset_handler() {
  std::memcpy(
      &__data_start__, &__data_load__,
      static_cast<std::size_t>(reinterpret_cast<char*>(&__data_end__) - reinterpret_cast<char*>(&__data_start__)));
  std::memset(
      &__bss_start__, 0,
      static_cast<std::size_t>(reinterpret_cast<char*>(&__bss_end__) - reinterpret_cast<char*>(&__bss_start__)));
  for (auto* f = &__init_array_start; f != &__init_array_end; ++f) (*f)();
  (void)picohub_board_link_check();
  for (;;) {
  }
}

// Cortex-M0+: initial stack pointer, then the reset vector.
__attribute__((section(".vectors"), used)) const void* const picohub_vectors[2] = {
    &__stack_top__,
    reinterpret_cast<const void*>(&picohub_reset_handler),
};

// Without crt0/crti these are ours to provide: the DSO handle static destructors register against, and the
// empty _init/_fini hooks newlib's __libc_{init,fini}_array call.
extern "C" {
void* __dso_handle = nullptr;
void _init() {}
void _fini() {}
}
