// The board's mbedTLS heap (MBEDTLS_MEMORY_BUFFER_ALLOC_C over one static arena) and its high-water mark.
//
// The mark is measured by painting, not by mbedTLS's MBEDTLS_MEMORY_DEBUG statistics (those print through
// fprintf and stderr, which would pull newlib's stdio into the image). After mbedtls_memory_buffer_alloc_init
// the arena is painted with a pattern beyond the allocator's first block header; every allocation is zeroed by
// calloc and every split writes a block header, so the last byte that no longer holds the pattern is the end
// of the highest block ever handed out (or of the free-block header behind it): the arena's peak, counting
// fragmentation, which is what sizing the arena needs.
#pragma once

#include <cstddef>
#include <span>

namespace picohub::tls {

// Gives mbedTLS `arena` as its heap and paints it (board builds; a no-op where mbedTLS uses the C heap).
void install_arena(std::span<unsigned char> arena) noexcept;
// Bytes of the installed arena that were ever in use (0 when none is installed).
std::size_t arena_peak_bytes() noexcept;

// The two halves, for tests: paint `arena` from `from` on; the used prefix of a painted arena.
void paint_arena(std::span<unsigned char> arena, std::size_t from) noexcept;
std::size_t painted_arena_high_water(std::span<const unsigned char> arena) noexcept;

}  // namespace picohub::tls
