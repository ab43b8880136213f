// device::TelemetryQueue: readings the application has made but the client has not taken yet — the hub is away,
// the connection is being renewed, or the in-flight window is full. Bounded (caller-provided slots: RAM on the
// board, sized by its config), first in first out, so QoS 1 telemetry replays in the order it was measured. When
// it is full the oldest reading gives way to the newest, and push() says which one went, so a drop is always
// reported and counted, never silent.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace picohub::device {

inline constexpr std::size_t max_telemetry_body_bytes = 96;

struct QueuedTelemetry {
  std::array<char, max_telemetry_body_bytes> body{};
  std::uint8_t size = 0;
  std::uint32_t number = 0;  // the message's messageId
  std::string_view text() const noexcept { return {body.data(), size}; }
};

class TelemetryQueue {
 public:
  explicit TelemetryQueue(std::span<QueuedTelemetry> slots) noexcept : slots_(slots) {}

  // Appends `body` (at most max_telemetry_body_bytes; longer is cut, which the app's own buffer prevents).
  // Full: the oldest entry is dropped first and its number returned. No slots at all: the new one is dropped.
  std::optional<std::uint32_t> push(std::string_view body, std::uint32_t number) noexcept;
  // The oldest entry; only when !empty().
  const QueuedTelemetry& front() const noexcept { return slots_[head_]; }
  void pop() noexcept;

  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }
  std::size_t capacity() const noexcept { return slots_.size(); }
  std::uint32_t dropped() const noexcept { return dropped_; }  // since start, never reset

 private:
  std::span<QueuedTelemetry> slots_;
  std::size_t head_ = 0, count_ = 0;
  std::uint32_t dropped_ = 0;
};

}  // namespace picohub::device
