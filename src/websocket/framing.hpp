// RFC 6455 framing (§5) for a client, sans-I/O: masked frame headers to send, and a streaming reader for the
// server's frames. The reader takes input in any pieces (a header split across reads, several frames in one)
// and hands back one event per call: application bytes (pointing into the input: server frames are unmasked,
// so nothing is copied), a complete ping / pong / close, or nothing yet. What a client must refuse it refuses:
// masked server frames, reserved bits, text or unknown opcodes (MQTT travels in binary frames), fragmented or
// oversized control frames, a continuation with no message or a new message inside one, non-minimal lengths,
// and messages over the caller's limit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.hpp"

namespace picohub::websocket {

enum class Opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

inline constexpr std::size_t kMaxHeaderBytes = 14;  // 2 + 8 (64-bit length) + 4 (mask)
inline constexpr std::size_t kMaxControlPayload = 125;
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseNoStatus = 1005;  // a close frame without a code
inline constexpr std::uint16_t kCloseProtocolError = 1002;

using Mask = std::array<std::uint8_t, 4>;

// Header of a masked client frame carrying `payload_size` bytes, into `out`; its length (6, 8 or 14).
std::size_t write_client_header(Opcode opcode, bool fin, std::uint64_t payload_size, const Mask& mask,
                                std::span<std::uint8_t, kMaxHeaderBytes> out) noexcept;

// XORs `data` with the mask in place; `offset` is data[0]'s position in the frame's payload.
void apply_mask(std::span<std::uint8_t> data, const Mask& mask, std::uint64_t offset = 0) noexcept;

struct FrameEvent {
  enum class Kind : std::uint8_t { none, data, ping, pong, close };
  Kind kind = Kind::none;
  std::size_t consumed = 0;            // input bytes this call used
  std::span<const std::uint8_t> data;  // data: bytes of a binary message (inside the input); ping/pong: payload
  std::uint16_t close_code = 0;        // close: the server's status code, kCloseNoStatus when it gave none
};

class FrameReader {
 public:
  // `max_message_bytes`: the longest binary message (all its fragments) accepted; longer is Errc::too_large.
  explicit FrameReader(std::uint64_t max_message_bytes) noexcept : max_message_(max_message_bytes) {}

  // Reads from the start of `input`. Call again with input.subspan(consumed) until it is used up. After a
  // close event, or any error, the reader is finished and refuses more input.
  Result<FrameEvent> next(std::span<const std::uint8_t> input) noexcept;
  bool finished() const noexcept { return finished_; }

 private:
  Result<void> take_header(std::span<const std::uint8_t> input, std::size_t& used) noexcept;
  Result<void> check_header() noexcept;
  Result<FrameEvent> finish_control(std::size_t consumed) noexcept;
  Result<FrameEvent> refuse(Errc code, const char* what) noexcept;

  std::uint64_t max_message_;
  std::array<std::uint8_t, kMaxHeaderBytes> header_{};
  std::size_t header_have_ = 0;
  bool in_payload_ = false;  // the current frame's header is complete
  Opcode opcode_ = Opcode::binary;
  bool fin_ = true;
  std::uint64_t remaining_ = 0;  // payload bytes of the current frame still to come
  bool in_message_ = false;      // a fragmented binary message is open (continuations may follow)
  std::uint64_t message_bytes_ = 0;
  std::array<std::uint8_t, kMaxControlPayload> control_{};
  std::size_t control_have_ = 0;
  bool finished_ = false;
};

}  // namespace picohub::websocket
