#include "netstack/sntp_message.hpp"

#include <algorithm>

#include "netstack/wire.hpp"

namespace picohub::netstack {
namespace {

constexpr const char* kNotOurs = "SNTP reply is not an answer to our request";

constexpr std::size_t stratum_at = 1, reference_id_at = 12, originate_at = 24, receive_at = 32, transmit_at = 40;
constexpr std::uint8_t client_v4 = (4 << 3) | 3;  // LI 0, VN 4, mode 3
constexpr std::uint8_t mode_server = 4;
constexpr std::uint8_t leap_alarm = 3;

std::uint64_t get64(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint64_t{wire::get32(b, at)} << 32) | wire::get32(b, at + 4);
}

}  // namespace

const char* to_string(SntpVerdict verdict) noexcept {
  switch (verdict) {
    case SntpVerdict::usable: return "usable";
    case SntpVerdict::kiss_of_death: return "kiss-o'-death (stratum 0): the server asks us to back off";
    case SntpVerdict::unsynchronized: return "the server's clock is not synchronized (leap indicator 3)";
    case SntpVerdict::bad_stratum: return "the server reported an invalid stratum";
    case SntpVerdict::no_transmit_time: return "the server sent no transmit time";
  }
  return "unknown";
}

Result<std::size_t> build_sntp_request(std::uint64_t transmit_timestamp, std::span<std::uint8_t> out) noexcept {
  if (out.size() < sntp_message_size) return fail(Errc::too_large, "SNTP buffer smaller than 48 bytes");
  std::fill(out.begin(), out.begin() + sntp_message_size, std::uint8_t{0});
  out[0] = client_v4;
  wire::put32(out, transmit_at, static_cast<std::uint32_t>(transmit_timestamp >> 32));
  wire::put32(out, transmit_at + 4, static_cast<std::uint32_t>(transmit_timestamp));
  return sntp_message_size;
}

Result<SntpReply> parse_sntp_reply(std::span<const std::uint8_t> m, std::uint64_t our_transmit) noexcept {
  if (m.size() < sntp_message_size) return fail(Errc::truncated, "SNTP reply shorter than 48 bytes");
  if ((m[0] & 0x07) != mode_server) return fail(Errc::protocol_violation, kNotOurs);
  if (get64(m, originate_at) != our_transmit) return fail(Errc::protocol_violation, kNotOurs);
  SntpReply reply;
  reply.stratum = m[stratum_at];
  reply.receive_timestamp = get64(m, receive_at);
  reply.transmit_timestamp = get64(m, transmit_at);
  if (reply.stratum == 0) {
    reply.verdict = SntpVerdict::kiss_of_death;
    for (std::size_t i = 0; i < 4; ++i) reply.kiss_code[i] = static_cast<char>(m[reference_id_at + i]);
  } else if ((m[0] >> 6) == leap_alarm) {
    reply.verdict = SntpVerdict::unsynchronized;
  } else if (reply.stratum > 15) {
    reply.verdict = SntpVerdict::bad_stratum;
  } else if (reply.transmit_timestamp == 0) {
    reply.verdict = SntpVerdict::no_transmit_time;
  }
  return reply;
}

std::uint64_t ntp_to_unix_ms(std::uint64_t ntp_timestamp, std::uint64_t pivot_unix_s) noexcept {
  // The 32-bit seconds name a time modulo 2^32 s; take the one in [pivot, pivot + 2^32 s).
  const std::uint64_t pivot_ntp = pivot_unix_s + ntp_unix_offset_s;
  const std::uint64_t seconds = ntp_timestamp >> 32;
  std::uint64_t full = (pivot_ntp & ~std::uint64_t{0xFFFFFFFF}) | seconds;
  if (full < pivot_ntp) full += std::uint64_t{1} << 32;
  const std::uint64_t fraction_ms = ((ntp_timestamp & 0xFFFFFFFF) * 1000) >> 32;
  return (full - ntp_unix_offset_s) * 1000 + fraction_ms;
}

}  // namespace picohub::netstack
