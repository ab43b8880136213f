// A blocking pump for one mqtt::Session over one net::Transport, for the benchmark programs: writes what the
// session queued, reads what arrived, hands the events to a callback, and sleeps in poll() when idle.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "mqtt/session.hpp"
#include "net/transport.hpp"

namespace picohub::bench {

inline std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

struct BlockingPump {
  net::Transport& link;
  mqtt::Session& session;
  std::function<void(const mqtt::Event&)> on_event;
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(16384);
  std::optional<Error> error = std::nullopt;

  // Writes what the session has queued until done or the socket is full. false on a hard error.
  bool flush() {
    for (auto out = session.pending_output(); !out.empty(); out = session.pending_output()) {
      auto n = link.write(out);
      if (!n) {
        if (n.error().code == Errc::would_block) return true;
        error = n.error();
        return false;
      }
      session.consume_output(*n);
    }
    return true;
  }

  void take_events() {
    while (auto ev = session.poll_event()) {
      if (auto* pe = std::get_if<mqtt::ProtocolError>(&*ev)) error = pe->error;
      on_event(*ev);
    }
  }

  // Reads what is available and feeds it to the session; sleeps in poll() (at most timeout_ms) when nothing is.
  bool read_some(int timeout_ms) {
    auto n = link.read(buf);
    if (!n) {
      if (n.error().code != Errc::would_block) {
        error = n.error();
        return false;
      }
      if (link.has_pending()) return true;
      short events = POLLIN;
      if (!session.pending_output().empty() || link.wants() == net::Wait::writable) events |= POLLOUT;
      pollfd p{link.poll_fd(), events, 0};
      ::poll(&p, 1, timeout_ms);
      return true;
    }
    std::span<const std::uint8_t> rest(buf.data(), *n);
    while (!rest.empty()) {
      auto used = session.receive(rest, now_ms());
      if (!used) {
        error = used.error();
        return false;
      }
      rest = rest.subspan(*used);
      take_events();
      if (*used == 0 && !flush()) return false;  // rx full of taken events: write the PUBACKs they queued
    }
    take_events();
    return !error;
  }

  // One turn: write, then read (sleeping up to timeout_ms if nothing came). false on a hard error.
  bool turn(int timeout_ms) { return flush() && read_some(timeout_ms) && flush(); }
};

}  // namespace picohub::bench
