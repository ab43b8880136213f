// A blocking pump for one mqtt::Session over one net::Transport, for the benchmark programs: each turn is one
// device::Pump step (the same non-blocking step the device uses: writes what the session queued, reads what
// arrived, hands the events to a callback); when the step made no progress it sleeps in poll().
#pragma once

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "device/pump.hpp"
#include "mqtt/session.hpp"
#include "net/transport.hpp"

namespace picohub::bench {

inline std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

class BlockingPump final : private device::MqttEventSink {
 public:
  BlockingPump(net::Transport& link, mqtt::Session& session, std::function<void(const mqtt::Event&)> on_event)
      : link_(link), session_(session), on_event_(std::move(on_event)) {}

  std::optional<Error> error = std::nullopt;

  // Writes what the session has queued until done or the socket is full. false on a hard error.
  bool flush() {
    if (auto r = device::Pump::flush(link_, session_); !r) {
      error = r.error();
      return false;
    }
    return true;
  }

  // One turn: a pump step, then sleep in poll() (at most timeout_ms) if it made no progress. false on a hard
  // error (error says which).
  bool turn(int timeout_ms) {
    const auto report = pump_.step(link_, session_, *this, now_ms());
    if (report.lost) {
      error = report.error;
      return false;
    }
    if (report.progress) return true;
    short events = POLLIN;
    if (report.wait == net::Wait::writable) events |= POLLOUT;
    pollfd p{link_.poll_fd(), events, 0};
    ::poll(&p, 1, timeout_ms);
    return true;
  }

 private:
  void on_mqtt_event(const mqtt::Event& event) override { on_event_(event); }

  net::Transport& link_;
  mqtt::Session& session_;
  std::function<void(const mqtt::Event&)> on_event_;
  std::vector<std::uint8_t> buffer_ = std::vector<std::uint8_t>(16384);
  device::Pump pump_{buffer_};
};

}  // namespace picohub::bench
