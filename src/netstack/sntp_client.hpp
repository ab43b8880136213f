// SNTP client, sans-I/O: asks one server for the time, checks the answer, and yields "Unix time U ms was monotonic
// time M ms" for platform::UnixClock::set. Resyncs periodically and on request (the supervisor asks when the hub
// refuses credentials: a wrong clock makes SAS tokens look expired). Lost or refused requests back off with jitter
// and never give up. No heap, never blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "common/error.hpp"
#include "netstack/ipv4.hpp"
#include "netstack/retry_backoff.hpp"
#include "netstack/sntp_message.hpp"

namespace picohub::netstack {

enum class SntpState : std::uint8_t {
  idle,
  waiting,      // request sent, waiting for the reply
  backing_off,  // the last try failed; next one at next_deadline_ms()
  synced,       // got the time; next resync at next_deadline_ms()
};

enum class SntpFailure : std::uint8_t {
  none,
  timeout,           // no valid reply in time
  kiss_of_death,     // stratum 0 (kiss_code() says why)
  unsynchronized,    // LI 3
  bad_stratum,       // stratum > 15
  no_transmit_time,  // transmit timestamp 0
};

const char* to_string(SntpFailure failure) noexcept;

struct SntpConfig {
  RandomSource random;  // request nonces and jitter
  std::uint32_t timeout_ms = 3'000;
  RetryBackoff backoff{2'000, 64'000, 500};
  std::uint32_t resync_interval_ms = 3'600'000;  // hourly
  std::uint64_t era_pivot_unix_s = default_era_pivot_unix_s;
};

// The result: Unix time `unix_ms` held at monotonic time `at_ms`.
struct SntpSync {
  std::uint64_t unix_ms = 0;
  std::uint64_t at_ms = 0;
  std::uint32_t round_trip_ms = 0;
};

class SntpClient {
 public:
  explicit SntpClient(const SntpConfig& config) noexcept : config_(config) {}

  void start(std::uint64_t now_ms, Ipv4 server) noexcept;  // first request now
  void request_resync(std::uint64_t now_ms) noexcept;      // ask again now (no-op while a request is out)
  void stop() noexcept;

  // Not-ours datagrams (wrong source, mode, originate, too short) are refused and change nothing; a real answer
  // that gives no time (kiss-o'-death, LI 3, bad stratum) ends the try, backs off, and is also returned as an error.
  Result<void> on_datagram(std::span<const std::uint8_t> payload, Ipv4 from, std::uint16_t from_port,
                           std::uint64_t now_ms) noexcept;
  void on_time(std::uint64_t now_ms) noexcept;
  // The request due now, written into `buf` (at least sntp_message_size bytes).
  std::optional<OutgoingDatagram> poll_datagram(std::span<std::uint8_t> buf) noexcept;
  // A new synchronization, once per successful reply.
  std::optional<SntpSync> poll_sync() noexcept;
  std::uint64_t next_deadline_ms() const noexcept { return state_ == SntpState::idle ? no_deadline : deadline_ms_; }

  SntpState state() const noexcept { return state_; }
  SntpFailure last_failure() const noexcept { return failure_; }
  std::array<char, 4> kiss_code() const noexcept { return kiss_code_; }
  std::uint32_t consecutive_failures() const noexcept { return failures_; }
  // The last synchronization; meaningful once has_synced().
  bool has_synced() const noexcept { return has_synced_; }
  const SntpSync& last_sync() const noexcept { return last_sync_; }

 private:
  void send_now(std::uint64_t now_ms) noexcept;
  void attempt_failed(SntpFailure failure, std::uint64_t now_ms) noexcept;
  void accept(const SntpReply& reply, std::uint64_t now_ms) noexcept;

  SntpConfig config_;
  SntpState state_ = SntpState::idle;
  SntpFailure failure_ = SntpFailure::none;
  std::array<char, 4> kiss_code_{};
  Ipv4 server_;
  std::uint64_t nonce_ = 0;  // our transmit timestamp, echoed as originate
  std::uint64_t sent_ms_ = 0;
  std::uint64_t deadline_ms_ = no_deadline;
  std::uint32_t failures_ = 0;
  bool send_due_ = false;
  bool sync_pending_ = false;
  bool has_synced_ = false;
  SntpSync last_sync_{};
};

}  // namespace picohub::netstack
