// TwinRequests: the twin requests (GET, reported PATCH) waiting for their $iothub/twin/res answer, matched by
// $rid. Request ids are decimal counters (IoT Hub treats $rid as opaque text; the C SDKs use integers too).
// The table is fixed: when it is full a new request is refused, so a device that reports faster than the hub
// answers gets back-pressure instead of an unbounded list.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/decimal.hpp"

namespace picohub::iothub {

enum class TwinRequestKind : std::uint8_t { none, get, reported };

inline constexpr std::size_t max_twin_requests = 4;

class TwinRequests {
 public:
  // A new request id, or nothing when max_twin_requests are outstanding.
  std::optional<std::uint32_t> open(TwinRequestKind kind) noexcept {
    for (auto& slot : slots_) {
      if (slot.kind != TwinRequestKind::none) continue;
      if (++next_rid_ > 999'999'999) next_rid_ = 1;
      slot = Slot{next_rid_, kind};
      return next_rid_;
    }
    return std::nullopt;
  }
  // The kind of the request `rid` names, which is closed; none for an unknown (late, foreign) rid.
  TwinRequestKind close(std::string_view rid_text, std::uint32_t& rid) noexcept {
    rid = 0;
    if (rid_text.empty() || rid_text.size() > 9) return TwinRequestKind::none;  // ours have at most 9 digits
    for (char c : rid_text) {
      if (c < '0' || c > '9') return TwinRequestKind::none;
      rid = rid * 10 + static_cast<std::uint32_t>(c - '0');
    }
    for (auto& slot : slots_) {
      if (slot.kind == TwinRequestKind::none || slot.rid != rid) continue;
      const TwinRequestKind kind = slot.kind;
      slot = Slot{};
      return kind;
    }
    return TwinRequestKind::none;
  }
  // Closes the first outstanding request of `kind` (its answer was too large to read); its rid, or nothing.
  std::optional<std::uint32_t> close_first(TwinRequestKind kind) noexcept {
    for (auto& slot : slots_) {
      if (slot.kind != kind) continue;
      const std::uint32_t rid = slot.rid;
      slot = Slot{};
      return rid;
    }
    return std::nullopt;
  }
  bool pending(TwinRequestKind kind) const noexcept {
    for (const auto& slot : slots_)
      if (slot.kind == kind) return true;
    return false;
  }
  std::size_t outstanding() const noexcept {
    std::size_t n = 0;
    for (const auto& slot : slots_) n += slot.kind != TwinRequestKind::none ? 1 : 0;
    return n;
  }
  // A lost connection loses the answers too.
  void clear() noexcept { slots_ = {}; }

  static std::string_view rid_text(std::uint32_t rid, std::span<char, 10> out) noexcept {
    const char* end = write_decimal(out.data(), out.data() + out.size(), rid);  // 10 digits hold any uint32
    return {out.data(), static_cast<std::size_t>(end - out.data())};
  }

 private:
  struct Slot {
    std::uint32_t rid = 0;
    TwinRequestKind kind = TwinRequestKind::none;
  };
  std::array<Slot, max_twin_requests> slots_{};
  std::uint32_t next_rid_ = 0;
};

}  // namespace picohub::iothub
