// ROSC RANDOMBIT: the raw entropy source (one bit per read of the free-running ring oscillator). It is not a
// certified TRNG, so it is only ever used through platform::HealthTestedEntropy, which tests and conditions it.
// rp2040js does not model the ROSC: every read there is all ones, and the health tests must say so.
#pragma once

#include <cstdint>

namespace picohub::rp2040::rosc {

// One raw sample (0 or 1). `context` is unused: the signature is HealthTestedEntropy's bit-source callback.
std::uint8_t random_bit(void* context) noexcept;

}  // namespace picohub::rp2040::rosc
