// libFuzzer target: arbitrary bytes as a server's WebSocket stream — first as the upgrade response to
// check_upgrade_response(), then as frames to a FrameReader, fed in pieces whose sizes come from the input's
// first byte (so split headers and several frames per read are both explored).
// Invariants (abort on violation): every call consumes at least one byte or fails; consumed never exceeds the
// input; message bytes are inside the input; a control payload is at most 125 bytes; after a close or an error
// the reader refuses more; the message limit holds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "websocket/framing.hpp"
#include "websocket/handshake.hpp"

using namespace picohub::websocket;

namespace {

constexpr std::uint64_t kLimit = 4096;

void check(bool ok) {
  if (!ok) std::abort();
}

void read_frames(std::span<const std::uint8_t> input, std::size_t piece) {
  FrameReader reader(kLimit);
  std::uint64_t message = 0;
  for (std::size_t at = 0; at < input.size();) {
    auto chunk = input.subspan(at, std::min(piece, input.size() - at));
    at += chunk.size();
    while (!chunk.empty()) {
      auto event = reader.next(chunk);
      if (!event) {
        check(reader.finished() && !reader.next(chunk));
        return;
      }
      check(event->consumed > 0 && event->consumed <= chunk.size());
      if (event->kind == FrameEvent::Kind::data) {
        check(event->data.data() >= chunk.data() &&
              event->data.data() + event->data.size() <= chunk.data() + chunk.size());
        message += event->data.size();
        check(message <= kLimit * 64);  // many messages, each under the limit
      } else if (event->kind != FrameEvent::Kind::none) {
        check(event->data.size() <= kMaxControlPayload);
      }
      if (event->kind == FrameEvent::Kind::close) check(reader.finished());
      chunk = chunk.subspan(event->consumed);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto header = check_upgrade_response(text, "dGhlIHNhbXBsZSBub25jZQ==", "mqtt", 1024);
  if (header) check(*header <= size && (*header == 0 || text.substr(*header - 4, 4) == "\r\n\r\n"));
  (void)status_line(text);
  read_frames(std::span<const std::uint8_t>(data + 1, size - 1), 1 + data[0] % 17);
  read_frames(std::span<const std::uint8_t>(data + 1, size - 1), size);
  return 0;
}
