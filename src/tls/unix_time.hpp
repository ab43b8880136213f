// The Unix time mbedTLS checks certificate validity against. On the board there is no clock until SNTP has
// answered, so the firmware installs a source (backed by platform::UnixClock) that says "unknown" until then;
// while it does, tls::Session refuses to start a handshake instead of pretending (decided: a certificate whose
// dates cannot be checked is not accepted). On the host, with no source installed, the OS clock is used.
#pragma once

#include <cstdint>

namespace picohub::tls {

// Writes the current Unix time in seconds and returns true, or returns false while the time is unknown.
using UnixTimeSource = bool (*)(std::int64_t& unix_s);

// Installs the source for every TLS session of the program (mbedTLS's clock is global). nullptr uninstalls it.
void set_unix_time_source(UnixTimeSource source) noexcept;

// True when certificate dates can be checked: a source is installed and knows the time, or (host builds
// without MBEDTLS_PLATFORM_TIME_ALT) no source is installed and mbedTLS reads the OS clock.
bool unix_time_known() noexcept;

// The time certificate dates are checked against: the installed source's, else (host) the OS clock's.
// False while it is unknown.
bool current_unix_time(std::int64_t& unix_s) noexcept;

// Calendar fields of a Unix time (UTC, proleptic Gregorian), what mbedTLS's gmtime_r hook needs on the board.
struct UtcTime {
  std::int64_t year;
  int month;    // 1..12
  int day;      // 1..31
  int hour;     // 0..23
  int minute;   // 0..59
  int second;   // 0..59
  int weekday;  // 0 = Sunday
  int yearday;  // 0..365
};
UtcTime utc_from_unix(std::int64_t unix_s) noexcept;
// The inverse, for a date and time of day in UTC (month 1..12, day 1..31).
std::int64_t unix_from_utc(std::int64_t year, int month, int day, int hour, int minute, int second) noexcept;

}  // namespace picohub::tls
