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

// Floor division, so times before 1970 land on the right day.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

constexpr bool is_leap(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

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
std::int64_t unix_from_utc(std::int64_t year, int month, int day, int hour, int minute, int second) noexcept {
  const std::int64_t y = year - (month <= 2 ? 1 : 0);
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t year_of_era = y - era * 400;
  const std::int64_t shifted_month = month > 2 ? month - 3 : month + 9;  // March = 0
  const std::int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  const std::int64_t days = era * 146'097 + day_of_era - 719'468;
  return days * seconds_per_day + hour * 3600 + minute * 60 + second;
}

UtcTime utc_from_unix(std::int64_t unix_s) noexcept {
  UtcTime t{};
  const std::int64_t days = floor_div(unix_s, seconds_per_day);
  const std::int64_t secs = unix_s - days * seconds_per_day;
  t.hour = static_cast<int>(secs / 3600);
  t.minute = static_cast<int>(secs % 3600 / 60);
  t.second = static_cast<int>(secs % 60);
  t.weekday = static_cast<int>((days + 4) - floor_div(days + 4, 7) * 7);  // 1970-01-01 was a Thursday (4)

  // Count in 400-year eras starting on 1 March, so the leap day is the last day of each era-year.
  const std::int64_t shifted = days + 719'468;  // days from 0000-03-01 to 1970-01-01
  const std::int64_t era = floor_div(shifted, 146'097);
  const std::int64_t day_of_era = shifted - era * 146'097;  // 0..146096
  const std::int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const std::int64_t day_of_year = day_of_era -
                                   (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // from 1 March
  const std::int64_t month_index = (5 * day_of_year + 2) / 153;                                // 0 = March
  t.day = static_cast<int>(day_of_year - (153 * month_index + 2) / 5 + 1);
  t.month = static_cast<int>(month_index < 10 ? month_index + 3 : month_index - 9);
  t.year = year_of_era + era * 400 + (t.month <= 2 ? 1 : 0);

  static constexpr int days_before_month[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  t.yearday = days_before_month[t.month - 1] + t.day - 1 + ((t.month > 2 && is_leap(t.year)) ? 1 : 0);
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
