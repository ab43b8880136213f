// WebSocketTransport: a Transport that carries a byte stream (MQTT) in binary WebSocket messages over another
// Transport (TLS): wss:// = WebSocket over TLS over TCP. poll_connect() finishes the inner connection, then
// sends the upgrade request and checks the 101 answer; after that, write() sends each chunk as one masked
// binary frame and read() returns the payload bytes of the server's frames (pings answered, a close replied
// to and then reported as connection_closed). Everything lives in the caller's buffer and this object: no heap.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "net/transport.hpp"
#include "platform/entropy.hpp"
#include "websocket/framing.hpp"
#include "websocket/handshake.hpp"

namespace picohub::websocket {

// The path and subprotocol IoT Hub serves MQTT over WebSockets on.
inline constexpr std::string_view kIotHubPath = "/$iothub/websocket";
inline constexpr std::string_view kMqttSubprotocol = "mqtt";

class WebSocketTransport final : public net::Transport {
 public:
  // `buffer` holds the upgrade request and response, then each outgoing frame: its size less 14 bytes is the
  // largest payload one frame carries (>= 256 bytes; bigger writes are split into several frames). `target`'s
  // strings must stay valid until poll_connect() has returned true. `inner`, `entropy` and `buffer` must
  // outlive this object.
  WebSocketTransport(net::Transport& inner, platform::Entropy& entropy, const UpgradeTarget& target,
                     std::span<std::uint8_t> buffer, std::uint64_t max_message_bytes = 1U << 20) noexcept;

  Result<bool> poll_connect() override;
  Result<std::size_t> read(std::span<std::uint8_t> out) override;
  Result<std::size_t> write(std::span<const std::uint8_t> data) override;
  void close() override;
  net::Wait wants() const override;
  bool has_pending() const override { return inner_.has_pending(); }
  int poll_fd() const override { return inner_.poll_fd(); }
  std::string_view last_error_detail() const override;

 private:
  enum class State : std::uint8_t { connecting, sending_request, reading_response, open, peer_closed, closed, failed };

  Result<bool> start_upgrade();
  Result<bool> read_response();
  // Sends what is queued in the buffer (a frame, the request); then a pong or a close reply that is owed.
  Result<void> flush();
  Result<void> queue_frame(Opcode opcode, std::span<const std::uint8_t> payload);
  // Turns the frames just read into `out` into their payload bytes, in place; how many remain.
  Result<std::size_t> unwrap(std::span<std::uint8_t> out, std::size_t n);
  template <class T>
  Result<T> failed(const Error& error, std::string_view detail = {});

  net::Transport& inner_;
  platform::Entropy& entropy_;
  UpgradeTarget target_;
  std::span<std::uint8_t> buffer_;
  FrameReader reader_;
  HandshakeKey key_;
  State state_ = State::connecting;
  std::size_t out_begin_ = 0, out_end_ = 0;  // unsent bytes in buffer_
  std::size_t response_size_ = 0;            // upgrade response bytes read into buffer_
  bool pong_owed_ = false, close_owed_ = false;
  std::uint16_t close_code_ = kCloseNormal;
  std::array<std::uint8_t, kMaxControlPayload> pong_payload_{};
  std::size_t pong_size_ = 0;
  std::array<char, 120> detail_{};
  std::size_t detail_size_ = 0;
  bool detail_from_inner_ = false;
};

}  // namespace picohub::websocket
