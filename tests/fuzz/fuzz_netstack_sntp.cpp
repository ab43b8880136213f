// libFuzzer target: arbitrary bytes as an SNTP reply to parse_sntp_reply() and to an SntpClient that sent the
// originate timestamp the input carries (so the originate check passes and the verdicts are reached).
// Invariants (abort on violation): "usable" means mode 4, stratum 1..15, LI != 3, transmit != 0; the converted
// time lies in the era window after the pivot; the client syncs exactly on usable replies and never reports a
// time before the pivot; any other real answer backs off.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "netstack/sntp_client.hpp"
#include "netstack/sntp_message.hpp"

using namespace picohub::netstack;

namespace {

constexpr Ipv4 server{{192, 0, 2, 123}};

void check(bool ok) {
  if (!ok) std::abort();
}

struct NonceHalves {
  std::uint32_t halves[2];
  int next = 0;
};

std::uint32_t nonce_half(void* context) {
  auto* n = static_cast<NonceHalves*>(context);
  return n->halves[n->next++ % 2];
}

std::uint32_t get32(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  NonceHalves nonce{{size >= 32 ? get32(in, 24) : 1u, size >= 32 ? get32(in, 28) : 1u}};
  if (nonce.halves[0] == 0 && nonce.halves[1] == 0) nonce.halves[1] = 1;  // the client never sends 0
  const std::uint64_t originate = (std::uint64_t{nonce.halves[0]} << 32) | nonce.halves[1];

  auto r = parse_sntp_reply(in, originate);
  if (r && r->verdict == SntpVerdict::usable) {
    check((in[0] & 7) == 4 && (in[0] >> 6) != 3 && in[1] >= 1 && in[1] <= 15 && r->transmit_timestamp != 0);
    const std::uint64_t unix_ms = ntp_to_unix_ms(r->transmit_timestamp);
    check(unix_ms >= default_era_pivot_unix_s * 1000);
    check(unix_ms < (default_era_pivot_unix_s + (std::uint64_t{1} << 32)) * 1000);
  }

  SntpClient client(SntpConfig{RandomSource{nonce_half, &nonce}});
  client.start(1'000, server);
  std::array<std::uint8_t, sntp_message_size> out{};
  check(client.poll_datagram(out).has_value());
  const bool accepted = client.on_datagram(in, server, sntp_server_port, 1'000 + (size & 0xFF)).has_value();
  const auto sync = client.poll_sync();
  check(accepted == (r && r->verdict == SntpVerdict::usable));
  check(sync.has_value() == accepted);
  if (sync) check(sync->unix_ms >= default_era_pivot_unix_s * 1000 && client.state() == SntpState::synced);
  else if (r) check(client.state() == SntpState::backing_off);
  else check(client.state() == SntpState::waiting);
  return 0;
}
