#include "device/telemetry_queue.hpp"

#include <algorithm>

namespace picohub::device {

std::optional<std::uint32_t> TelemetryQueue::push(std::string_view body, std::uint32_t number) noexcept {
  if (slots_.empty()) {
    ++dropped_;
    return number;
  }
  std::optional<std::uint32_t> gone;
  if (count_ == slots_.size()) {
    gone = front().number;
    pop();
    ++dropped_;
  }
  auto& slot = slots_[(head_ + count_) % slots_.size()];
  const auto size = std::min(body.size(), slot.body.size());
  std::copy_n(body.data(), size, slot.body.data());
  slot.size = static_cast<std::uint8_t>(size);
  slot.number = number;
  ++count_;
  return gone;
}

void TelemetryQueue::pop() noexcept {
  if (count_ == 0) return;
  head_ = (head_ + 1) % slots_.size();
  --count_;
}

}  // namespace picohub::device
