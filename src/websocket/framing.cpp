#include "websocket/framing.hpp"

#include <algorithm>
#include <cstring>

namespace picohub::websocket {

namespace {

// One sentence for every frame a client must refuse (masked, reserved bits, text, bad fragmentation or length,
// data after close): the connection ends the same way whichever it was.
constexpr const char* kBreaksRfc = "the server's WebSocket frames break RFC 6455 (mask, bits, opcode or length)";

bool is_control(Opcode op) noexcept { return (static_cast<std::uint8_t>(op) & 0x08) != 0; }

// Header length once its first two bytes are known (servers never mask, so no mask key).
std::size_t header_length(std::uint8_t second) noexcept {
  const std::uint8_t len7 = second & 0x7F;
  return len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
}

}  // namespace

std::size_t write_client_header(Opcode opcode, bool fin, std::uint64_t payload_size, const Mask& mask,
                                std::span<std::uint8_t, kMaxHeaderBytes> out) noexcept {
  out[0] = static_cast<std::uint8_t>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(opcode));
  std::size_t n = 2;
  if (payload_size < 126) {
    out[1] = static_cast<std::uint8_t>(0x80 | payload_size);
  } else if (payload_size <= 0xFFFF) {
    out[1] = 0x80 | 126;
    for (int shift = 8; shift >= 0; shift -= 8) out[n++] = static_cast<std::uint8_t>(payload_size >> shift);
  } else {
    out[1] = 0x80 | 127;
    for (int shift = 56; shift >= 0; shift -= 8) out[n++] = static_cast<std::uint8_t>(payload_size >> shift);
  }
  std::memcpy(out.data() + n, mask.data(), mask.size());
  return n + mask.size();
}

void apply_mask(std::span<std::uint8_t> data, const Mask& mask, std::uint64_t offset) noexcept {
  for (std::size_t i = 0; i < data.size(); ++i) data[i] ^= mask[(offset + i) & 3];
}

Result<FrameEvent> FrameReader::refuse(Errc code, const char* what) noexcept {
  finished_ = true;
  return fail(code, what);
}

Result<void> FrameReader::take_header(std::span<const std::uint8_t> input, std::size_t& used) noexcept {
  const std::size_t need = header_have_ < 2 ? 2 : header_length(header_[1]);
  const std::size_t take = std::min(need - header_have_, input.size() - used);
  std::memcpy(header_.data() + header_have_, input.data() + used, take);
  header_have_ += take;
  used += take;
  if (header_have_ < 2) return {};
  if (header_have_ < header_length(header_[1])) {
    if (used < input.size()) return take_header(input, used);  // the extended length follows in this input
    return {};
  }
  return check_header();
}

Result<void> FrameReader::check_header() noexcept {
  const std::uint8_t first = header_[0], second = header_[1];
  if ((first & 0x70) != 0) return fail(Errc::protocol_violation, kBreaksRfc);
  if ((second & 0x80) != 0) return fail(Errc::protocol_violation, kBreaksRfc);
  fin_ = (first & 0x80) != 0;
  opcode_ = static_cast<Opcode>(first & 0x0F);
  std::uint64_t length = second & 0x7F;
  if (length >= 126) {
    length = 0;
    for (std::size_t i = 2; i < header_have_; ++i) length = (length << 8) | header_[i];
    const std::uint64_t smallest = header_have_ == 4 ? 126 : 0x10000;
    if (length < smallest || (length >> 63) != 0) return fail(Errc::protocol_violation, kBreaksRfc);
  }
  switch (opcode_) {
    case Opcode::binary:
      if (in_message_) return fail(Errc::protocol_violation, kBreaksRfc);
      message_bytes_ = 0;
      break;
    case Opcode::continuation:
      if (!in_message_) return fail(Errc::protocol_violation, kBreaksRfc);
      break;
    case Opcode::close:
    case Opcode::ping:
    case Opcode::pong:
      if (!fin_ || length > kMaxControlPayload) return fail(Errc::protocol_violation, kBreaksRfc);
      if (opcode_ == Opcode::close && length == 1) return fail(Errc::protocol_violation, kBreaksRfc);
      break;
    default: return fail(Errc::protocol_violation, kBreaksRfc);  // text (MQTT travels in binary) or unknown
  }
  if (!is_control(opcode_)) {
    if (length > max_message_ - message_bytes_) return fail(Errc::too_large, "WebSocket message over the size limit");
    message_bytes_ += length;
    in_message_ = !fin_;
  }
  remaining_ = length;
  control_have_ = 0;
  in_payload_ = true;
  return {};
}

Result<FrameEvent> FrameReader::finish_control(std::size_t consumed) noexcept {
  in_payload_ = false;
  header_have_ = 0;
  FrameEvent event;
  event.consumed = consumed;
  event.data = std::span<const std::uint8_t>(control_.data(), control_have_);
  if (opcode_ == Opcode::ping) event.kind = FrameEvent::Kind::ping;
  else if (opcode_ == Opcode::pong) event.kind = FrameEvent::Kind::pong;
  else {
    event.kind = FrameEvent::Kind::close;
    event.close_code = control_have_ >= 2 ? static_cast<std::uint16_t>((control_[0] << 8) | control_[1])
                                          : kCloseNoStatus;
    finished_ = true;
  }
  return event;
}

Result<FrameEvent> FrameReader::next(std::span<const std::uint8_t> input) noexcept {
  if (finished_) return fail(Errc::protocol_violation, kBreaksRfc);
  std::size_t used = 0;
  if (!in_payload_) {
    if (auto r = take_header(input, used); !r) return refuse(r.error().code, r.error().what);
    if (!in_payload_) return FrameEvent{FrameEvent::Kind::none, used, {}, 0};
  }
  const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size() - used));
  if (is_control(opcode_)) {
    std::memcpy(control_.data() + control_have_, input.data() + used, take);
    control_have_ += take;
    remaining_ -= take;
    used += take;
    if (remaining_ == 0) return finish_control(used);
    return FrameEvent{FrameEvent::Kind::none, used, {}, 0};
  }
  FrameEvent event{take == 0 ? FrameEvent::Kind::none : FrameEvent::Kind::data, used + take, input.subspan(used, take),
                   0};
  remaining_ -= take;
  if (remaining_ == 0) {
    in_payload_ = false;
    header_have_ = 0;
  }
  return event;
}

}  // namespace picohub::websocket
