// "2026-12-03T21:34:15Z" for console lines, from the calendar arithmetic TLS already carries for certificate dates.
#pragma once

#include <cstdint>

#include "console_line.hpp"
#include "tls/unix_time.hpp"

namespace picohub::firmware {

inline ConsoleLine& append_utc(ConsoleLine& line, std::uint64_t unix_s) noexcept {
  const tls::UtcTime t = tls::utc_from_unix(static_cast<std::int64_t>(unix_s));
  const auto two = [&line](int v) -> ConsoleLine& {
    if (v < 10) line << "0";
    return line.number(v);
  };
  line.number(t.year) << "-";
  two(t.month) << "-";
  two(t.day) << "T";
  two(t.hour) << ":";
  two(t.minute) << ":";
  return two(t.second) << "Z";
}

}  // namespace picohub::firmware
