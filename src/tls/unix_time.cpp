#include "tls/unix_time.hpp"

#include <mbedtls/build_info.h>
#include <mbedtls/platform_time.h>

#if defined(MBEDTLS_PLATFORM_GMTIME_R_ALT)
#include <time.h>
#endif

namespace picohub::tls {
namespace {

UnixTimeSource installed_source = nullptr;

#if defined(MBEDTLS_PLATFORM_TIME_ALT)
// mbedTLS's clock on the board. An unknown time reads as 0 (1970): every certificate is then "not yet valid",
// a second line of defence behind Session's refusal to start while the time is unknown.
mbedtls_time_t board_time(mbedtls_time_t* out) {
  std::int64_t now = 0;
  if (installed_source == nullptr || !installed_source(now)) now = 0;
  const auto t = static_cast<mbedtls_time_t>(now);
  if (out != nullptr) *out = t;
  return t;
}
#endif

constexpr std::int64_t seconds_per_day = 86'400;

// Floored a / b and its remainder (b > 0), in 32 bits with UNSIGNED division only: on the board every divide
// here is then __aeabi_uidiv, and libgcc's signed divide (~0.5 KB of flash) stays out of the image.
struct FloorDiv {
  std::int32_t quotient;
  std::int32_t remainder;  // 0 .. b - 1
};

constexpr FloorDiv floor_div32(std::int32_t a, std::uint32_t b) noexcept {
  if (a >= 0) {
    const auto m = static_cast<std::uint32_t>(a);
    return {static_cast<std::int32_t>(m / b), static_cast<std::int32_t>(m % b)};
  }
  const auto m = static_cast<std::uint32_t>(-(a + 1));  // |a| - 1, no overflow at INT32_MIN
  return {-static_cast<std::int32_t>(m / b) - 1, static_cast<std::int32_t>(b - 1 - m % b)};
}

// a / b for a >= 0 (every other quotient below), as an unsigned divide.
constexpr std::int32_t udiv32(std::int32_t a, std::uint32_t b) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a) / b);
}

constexpr bool is_leap32(std::uint32_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

void set_unix_time_source(UnixTimeSource source) noexcept {
  installed_source = source;
#if defined(MBEDTLS_PLATFORM_TIME_ALT)
  (void)mbedtls_platform_set_time(&board_time);
#endif
}

bool unix_time_known() noexcept {
  if (installed_source == nullptr) {
#if defined(MBEDTLS_PLATFORM_TIME_ALT)
    return false;  // the board has no clock of its own
#else
    return true;  // mbedTLS reads the operating system's clock
#endif
  }
  std::int64_t now = 0;
  return installed_source(now);
}

bool current_unix_time(std::int64_t& unix_s) noexcept {
  if (installed_source != nullptr) return installed_source(unix_s);
#if defined(MBEDTLS_PLATFORM_TIME_ALT)
  return false;
#else
  unix_s = static_cast<std::int64_t>(mbedtls_time(nullptr));
  return true;
#endif
}

// Days since 1970-01-01 of a proleptic Gregorian date (the era arithmetic: 400-year cycles of 146097 days).
// In 32 bits (a Cortex-M0+ has no 64-bit divide): years within +-4 million, which X.509 dates (0..9999) are.
std::int64_t unix_from_utc(std::int64_t year, int month, int day, int hour, int minute, int second) noexcept {
  constexpr std::int64_t year_limit = 4'000'000;
  const auto y = static_cast<std::int32_t>(year > year_limit ? year_limit : (year < -year_limit ? -year_limit : year)) -
                 (month <= 2 ? 1 : 0);
  const FloorDiv era = floor_div32(y, 400);
  const std::int32_t year_of_era = era.remainder;
  const std::int32_t shifted_month = month > 2 ? month - 3 : month + 9;  // March = 0
  const std::int32_t day_of_year = udiv32(153 * shifted_month + 2, 5) + day - 1;
  const std::int32_t day_of_era = year_of_era * 365 + udiv32(year_of_era, 4) - udiv32(year_of_era, 100) + day_of_year;
  const std::int64_t days = std::int64_t{era.quotient} * 146'097 + day_of_era - 719'468;
  return days * seconds_per_day + hour * 3600 + minute * 60 + second;
}

UtcTime utc_from_unix(std::int64_t unix_s) noexcept {
  UtcTime t{};
  // One 64-bit division, the rest in 32 bits: a Cortex-M0+ has no 64-bit divide, and each one costs a library
  // call. A day count within +-2^30 spans +-2.9 million years; beyond that the date saturates.
  constexpr std::int64_t day_limit = std::int64_t{1} << 30;
  // Unsigned division (one library routine for all of the board's 64-bit divides), floored for negative times.
  const auto magnitude = static_cast<std::uint64_t>(unix_s < 0 ? -(unix_s + 1) : unix_s);
  std::int64_t days64 = static_cast<std::int64_t>(magnitude / seconds_per_day);
  if (unix_s < 0) days64 = -days64 - 1;
  const auto secs = static_cast<std::int32_t>(unix_s - days64 * seconds_per_day);
  days64 = days64 > day_limit ? day_limit : (days64 < -day_limit ? -day_limit : days64);
  const auto days = static_cast<std::int32_t>(days64);
  const auto usecs = static_cast<std::uint32_t>(secs);  // 0 .. 86399
  t.hour = static_cast<int>(usecs / 3600);
  t.minute = static_cast<int>(usecs / 60 % 60);
  t.second = static_cast<int>(usecs % 60);
  t.weekday = static_cast<int>(floor_div32(days + 4, 7).remainder);  // 1970-01-01 was a Thursday (4)

  // Count in 400-year eras starting on 1 March, so the leap day is the last day of each era-year.
  const FloorDiv era = floor_div32(days + 719'468, 146'097);  // days from 0000-03-01 to 1970-01-01
  const std::int32_t day_of_era = era.remainder;              // 0..146096
  const std::int32_t year_of_era = udiv32(
      day_of_era - udiv32(day_of_era, 1460) + udiv32(day_of_era, 36'524) - udiv32(day_of_era, 146'096), 365);
  const std::int32_t day_of_year = day_of_era - (365 * year_of_era + udiv32(year_of_era, 4) - udiv32(year_of_era, 100));
  const std::int32_t month_index = udiv32(5 * day_of_year + 2, 153);  // 0 = March
  t.day = day_of_year - udiv32(153 * month_index + 2, 5) + 1;
  t.month = month_index < 10 ? month_index + 3 : month_index - 9;
  const std::int32_t year_in_era = year_of_era + (t.month <= 2 ? 1 : 0);  // leap like the year: eras are 400 y
  t.year = year_in_era + std::int64_t{era.quotient} * 400;

  static constexpr int days_before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  t.yearday = days_before_month[t.month - 1] + t.day - 1 +
              ((t.month > 2 && is_leap32(static_cast<std::uint32_t>(year_in_era))) ? 1 : 0);
  return t;
}

}  // namespace picohub::tls

#if defined(MBEDTLS_PLATFORM_GMTIME_R_ALT)
// The board's gmtime_r for X.509 validity checks: ours, so newlib's (which may reach its reentrancy heap) stays
// out of the image. It lives beside set_unix_time_source so the linker always has it when TLS is set up.
extern "C" struct tm* mbedtls_platform_gmtime_r(const mbedtls_time_t* tt, struct tm* out) {
  if (tt == nullptr || out == nullptr) return nullptr;
  const picohub::tls::UtcTime t = picohub::tls::utc_from_unix(static_cast<std::int64_t>(*tt));
  if (t.year < 1900 || t.year > 9999) return nullptr;
  *out = tm{};
  out->tm_year = static_cast<int>(t.year - 1900);
  out->tm_mon = t.month - 1;
  out->tm_mday = t.day;
  out->tm_hour = t.hour;
  out->tm_min = t.minute;
  out->tm_sec = t.second;
  out->tm_wday = t.weekday;
  out->tm_yday = t.yearday;
  return out;
}
#endif
