// SNTP (RFC 4330 / RFC 5905 §7.3) messages: the 48-byte client request and the checks a reply must pass, plus the
// NTP-timestamp to Unix conversion with its era (the 32-bit seconds roll over on 2036-02-07).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.hpp"

namespace picohub::netstack {

inline constexpr std::uint16_t sntp_server_port = 123;
inline constexpr std::size_t sntp_message_size = 48;
inline constexpr std::uint64_t ntp_unix_offset_s = 2'208'988'800;         // 1900-01-01 to 1970-01-01
inline constexpr std::uint64_t default_era_pivot_unix_s = 1'704'067'200;  // 2024-01-01: no valid answer is older

// Mode 3 (client), version 4, everything zero but the transmit timestamp, which the server echoes as originate.
Result<std::size_t> build_sntp_request(std::uint64_t transmit_timestamp, std::span<std::uint8_t> out) noexcept;

// Is this reply's time usable? Anything but `usable` is a real answer from the server that gives no time.
enum class SntpVerdict : std::uint8_t {
  usable,
  kiss_of_death,     // stratum 0: the server says stop or slow down (kiss code in kiss_code)
  unsynchronized,    // leap indicator 3: the server's own clock is not set
  bad_stratum,       // stratum above 15
  no_transmit_time,  // transmit timestamp zero
};

const char* to_string(SntpVerdict verdict) noexcept;

struct SntpReply {
  SntpVerdict verdict = SntpVerdict::usable;
  std::uint8_t stratum = 0;
  std::array<char, 4> kiss_code{};       // e.g. "RATE", "DENY", "RSTR" when kiss_of_death
  std::uint64_t receive_timestamp = 0;   // T2, server time the request arrived
  std::uint64_t transmit_timestamp = 0;  // T3, server time the reply left
};

// Refuses what is not a server reply to our request (shorter than 48 bytes, mode != 4, originate != what we sent);
// judges the rest in `verdict`.
Result<SntpReply> parse_sntp_reply(std::span<const std::uint8_t> message, std::uint64_t our_transmit) noexcept;

// NTP timestamp (seconds since 1900 << 32 | fraction) to Unix milliseconds, picking the era that puts the result
// at or after `pivot_unix_s`: valid for 136 years from the pivot, so post-2036 answers land after 2036.
std::uint64_t ntp_to_unix_ms(std::uint64_t ntp_timestamp,
                             std::uint64_t pivot_unix_s = default_era_pivot_unix_s) noexcept;

}  // namespace picohub::netstack
