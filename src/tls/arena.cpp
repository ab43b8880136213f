#include "tls/arena.hpp"

#include <mbedtls/build_info.h>
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C)
#include <mbedtls/memory_buffer_alloc.h>
#endif

#include <algorithm>

namespace picohub::tls {
namespace {

constexpr unsigned char paint = 0xA5;  // neither calloc's zeros nor a likely header word

std::span<unsigned char> installed{};

}  // namespace

void paint_arena(std::span<unsigned char> arena, std::size_t from) noexcept {
  if (from < arena.size()) std::fill(arena.begin() + static_cast<std::ptrdiff_t>(from), arena.end(), paint);
}

std::size_t painted_arena_high_water(std::span<const unsigned char> arena) noexcept {
  std::size_t end = arena.size();
  while (end > 0 && arena[end - 1] == paint) --end;
  return end;
}

void install_arena(std::span<unsigned char> arena) noexcept {
#if defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C)
  // Past the allocator's first block header (8 words) with room to spare: nothing below is painted.
  constexpr std::size_t first_header_room = 16 * sizeof(void*);
  mbedtls_memory_buffer_alloc_init(arena.data(), arena.size());
  paint_arena(arena, first_header_room);
  installed = arena;
#else
  (void)arena;
#endif
}

std::size_t arena_peak_bytes() noexcept { return painted_arena_high_water(installed); }

}  // namespace picohub::tls
