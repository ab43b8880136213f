// MQTT 3.1.1 client session, sans-I/O: it never touches a socket or a clock. The caller feeds it received bytes
// and the current monotonic time, writes out the bytes it hands back, and takes the events it produces.
// All memory is supplied by the caller (SessionMemory, or StaticSessionMemory<> for compile-time sizes).
//
// A pump loop:
//
//   mqtt::StaticSessionMemory<2048, 2048, 8, 512> mem;
//   mqtt::Session s(mem.view(), {});
//   s.connect(opts, now());
//   for (;;) {
//     auto out = s.pending_output();            // 1. write what the session wants sent
//     if (!out.empty()) s.consume_output(transport.write(out));
//     auto in = transport.read(buf);             // 2. feed what arrived (may be consumed in parts)
//     std::span<const std::uint8_t> rest = in;
//     while (!rest.empty()) {
//       auto n = s.receive(rest, now());         //    error -> the session failed; close the transport
//       if (!n) break;
//       rest = rest.subspan(*n);
//       while (auto ev = s.poll_event()) handle(*ev);   // frees room in the rx buffer
//       if (*n == 0 && !s.pending_output().empty()) s.consume_output(transport.write(s.pending_output()));
//     }
//     while (auto ev = s.poll_event()) handle(*ev); // 3. events (also raised by on_time)
//     s.on_time(now());                             // 4. keep-alive, timeouts
//     sleep_until(min(s.next_deadline_ms(), io_ready));
//   }
//
// After the transport drops: s.on_transport_reset(); open a new transport; s.connect(opts, now()).
// In-flight QoS 1 publishes survive the reset and are sent again (DUP=1, original order) after CONNACK.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

#include "common/error.hpp"
#include "mqtt/packet.hpp"
#include "mqtt/topic_name.hpp"

namespace picohub::mqtt {

// ---- events (views into the session's rx buffer stay valid until the next receive() or poll_event()) ----
struct Connected {
  bool session_present = false;
};
struct ConnectRefused {
  ConnectReturnCode return_code = ConnectReturnCode::accepted;
};                          // describe(code) explains it
struct ConnectTimedOut {};  // no CONNACK within SessionOptions::connack_timeout_ms; reset the transport
struct MessageReceived {
  std::string_view topic;
  std::span<const std::uint8_t> payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  // 0 for QoS 0; the session sends the PUBACK itself when this event is taken
};
struct PublishAcked {
  std::uint16_t packet_id = 0;
};
struct Subscribed {
  std::uint16_t packet_id = 0;
  std::span<const std::uint8_t> granted;  // one per filter: granted QoS 0..2, or suback_failure (0x80)
};
struct Unsubscribed {
  std::uint16_t packet_id = 0;
};
struct PingTimedOut {};  // no PINGRESP within SessionOptions::ping_timeout_ms; the link is dead, reset it
struct ProtocolError {
  Error error;
};  // the session failed; reset the transport and connect again
// A PUBLISH larger than the rx buffer arrived. It was skipped as it streamed in, never stored; taking this event
// queues its PUBACK (QoS 1) in arrival order, so the broker neither redelivers it forever nor drops the session.
struct MessageDropped {
  std::uint16_t packet_id = 0;  // 0 for QoS 0
  QoS qos = QoS::at_most_once;
  std::uint32_t size = 0;  // the whole packet, bytes
};

using Event = std::variant<Connected, ConnectRefused, ConnectTimedOut, MessageReceived, PublishAcked, Subscribed,
                           Unsubscribed, PingTimedOut, ProtocolError, MessageDropped>;

// What CONNECT carries. Same fields as the packet (protocol_level is ignored: always 3.1.1).
using ConnectOptions = Connect;

struct SessionOptions {
  std::uint32_t connack_timeout_ms = 30'000;  // CONNECT queued -> CONNACK must arrive within this
  std::uint32_t ping_timeout_ms = 10'000;     // PINGREQ queued -> PINGRESP must arrive within this
};

// One in-flight (unacknowledged) outgoing QoS 1 PUBLISH. Fields are the session's bookkeeping; callers only
// provide the array (value-initialised) and never touch it.
struct InFlightSlot {
  std::uint32_t sequence = 0;   // send order, for in-order retransmission
  std::uint32_t length = 0;     // encoded bytes stored in this slot's share of SessionMemory::window_bytes
  std::uint16_t packet_id = 0;  // 0 = slot free
  bool needs_send = false;      // stored but not (re)queued on the current connection yet
};

// Caller-owned memory. Sizes:
//   tx            outgoing bytes not yet taken by consume_output(); bounds QoS 0 publishes and control packets
//   rx            incoming bytes; its size is the largest incoming packet accepted (a larger PUBLISH is skipped
//                 and reported as MessageDropped; any other larger packet fails the session with too_large)
//   window        in-flight window: at most window.size() unacknowledged QoS 1 publishes
//   window_bytes  split evenly between the window slots; each share bounds one encoded QoS 1 PUBLISH
struct SessionMemory {
  std::span<std::uint8_t> tx;
  std::span<std::uint8_t> rx;
  std::span<InFlightSlot> window;
  std::span<std::uint8_t> window_bytes;
};

// Compile-time sized memory, e.g. a static object on the board.
template <std::size_t TxBytes, std::size_t RxBytes, std::size_t Window, std::size_t MaxPublishBytes>
struct StaticSessionMemory {
  std::array<std::uint8_t, TxBytes> tx{};
  std::array<std::uint8_t, RxBytes> rx{};
  std::array<InFlightSlot, Window> window{};
  std::array<std::uint8_t, Window * MaxPublishBytes> window_bytes{};
  SessionMemory view() noexcept { return SessionMemory{tx, rx, window, window_bytes}; }
};

enum class SessionState : std::uint8_t {
  idle,           // no connection: before connect() or after on_transport_reset()
  connecting,     // CONNECT queued, waiting for CONNACK
  connected,      // CONNACK accepted
  disconnecting,  // DISCONNECT queued; close the transport once pending_output() is empty
  refused,        // CONNACK refused the connection
  failed,         // protocol error or timeout; last_error() says which
};

class Session {
 public:
  static constexpr std::uint64_t no_deadline = std::numeric_limits<std::uint64_t>::max();

  Session(SessionMemory memory, SessionOptions options) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Queues CONNECT. Only in state idle (new session, or after on_transport_reset()).
  // Errors: protocol_violation (wrong state), invalid_argument (bad field), too_large (does not fit tx).
  Result<void> connect(const ConnectOptions& options, std::uint64_t now_ms);

  // Takes bytes read from the transport. Returns how many it consumed: fewer than bytes.size() when the rx
  // buffer is full of packets not yet taken with poll_event() (take events, then offer the rest again).
  // Complete packets are checked for syntax here; a malformed packet (or an oversized one that is not a PUBLISH)
  // fails the session and the error is returned (also queued as a ProtocolError event). In state failed it
  // returns that error again. An oversized PUBLISH is consumed without being stored (MessageDropped follows).
  Result<std::size_t> receive(std::span<const std::uint8_t> bytes, std::uint64_t now_ms);

  // Next event, or nullopt. Processes one received packet per call (so views stay valid until the next call).
  // Taking a QoS 1 MessageReceived queues its PUBACK, so PUBACKs go out in arrival order ([MQTT-4.6.0-2]);
  // if there is no room to queue that PUBACK it returns nullopt until output has been consumed.
  std::optional<Event> poll_event();

  // Bytes to write to the transport, and how many of them were written. The span is valid until the next
  // non-const call on the session (queuing more output may move the pending bytes to the buffer's start).
  std::span<const std::uint8_t> pending_output() const noexcept;
  void consume_output(std::size_t n) noexcept;

  // Publishes. Returns the packet id (0 for QoS 0). QoS 0 needs state connected and room in tx. QoS 1 takes a
  // window slot and is sent as soon as the session is connected and tx has room (it may be called while
  // connecting or between reconnects); PublishAcked{id} follows the PUBACK.
  // Errors: buffer_full (window or tx full: retry after events/output), too_large (never fits a slot or tx),
  // invalid_argument (bad topic, QoS 2), not_connected (QoS 0 while not connected, or disconnecting).
  Result<std::uint16_t> publish(std::string_view topic, std::span<const std::uint8_t> payload, QoS qos, bool retain,
                                std::uint64_t now_ms);
  // The same for a topic already known to be valid (TopicName: validated once, or made by a topic builder from
  // validated parts): the topic is not scanned again. The string_view form validates and then calls this one.
  Result<std::uint16_t> publish(const TopicName& topic, std::span<const std::uint8_t> payload, QoS qos, bool retain,
                                std::uint64_t now_ms);

  // Queue SUBSCRIBE / UNSUBSCRIBE (state connected). Returns the packet id; Subscribed / Unsubscribed follow.
  // QoS 2 subscriptions are refused (invalid_argument): this client does not implement the QoS 2 flow.
  // Errors: not_connected, invalid_argument, buffer_full (tx or the table of pending requests is full), too_large.
  Result<std::uint16_t> subscribe(std::span<const Subscription> subscriptions);
  Result<std::uint16_t> unsubscribe(std::span<const std::string_view> filters);

  // Queues DISCONNECT (only in state connected; otherwise a no-op) and stops keep-alive; close the transport
  // once pending_output() is empty. PUBACKs already owed are written before the DISCONNECT.
  void disconnect();

  // Monotonic time at which on_time() has something to do: PINGREQ due, PINGRESP or CONNACK timeout.
  // no_deadline when nothing is scheduled.
  std::uint64_t next_deadline_ms() const noexcept;
  // Sends PINGREQ when nothing was queued for keep_alive seconds, raises PingTimedOut / ConnectTimedOut.
  void on_time(std::uint64_t now_ms);

  // The transport was closed or lost. Drops unsent and unprocessed bytes and pending (un)subscribes, keeps the
  // in-flight QoS 1 publishes for retransmission (DUP=1, original order) after the next CONNACK. State -> idle.
  void on_transport_reset() noexcept;

  std::size_t in_flight() const noexcept;  // unacknowledged QoS 1 publishes
  std::size_t window_capacity() const noexcept { return memory_.window.size(); }
  SessionState state() const noexcept { return state_; }
  bool connected() const noexcept { return state_ == SessionState::connected; }
  // Why the session is failed/refused (code timeout for ping/connack timeouts); nullopt otherwise.
  std::optional<Error> last_error() const noexcept;

 private:
  struct PendingRequest {
    std::uint16_t packet_id = 0;  // 0 = free
    std::uint16_t count = 0;      // filters requested (SUBACK must carry as many return codes)
    bool subscribe = false;
  };
  static constexpr std::size_t max_pending_requests = 8;
  static constexpr std::size_t max_pending_acks = 16;
  static constexpr std::size_t max_local_events = 4;

  bool id_in_use(std::uint16_t id) const noexcept;
  std::uint16_t allocate_id() noexcept;
  std::span<std::uint8_t> slot_bytes(std::size_t index) const noexcept;
  std::span<std::uint8_t> tx_reserve(std::size_t n) noexcept;  // empty span when it does not fit
  void tx_commit(std::size_t n) noexcept;
  std::size_t tx_free() const noexcept;
  void flush() noexcept;
  void fail_with(Error error) noexcept;
  void push_local_event(const Event& event) noexcept;
  std::optional<Event> handle_packet(const Packet& packet, std::size_t size, bool& consumed);
  bool start_skipping(std::span<const std::uint8_t> header) noexcept;
  std::size_t skip(std::span<const std::uint8_t> bytes) noexcept;
  std::optional<Event> take_dropped() noexcept;

  // An incoming PUBLISH too large for rx, consumed as it arrives; only its packet id is kept.
  struct Oversize {
    bool active = false;    // skipping
    bool complete = false;  // all bytes consumed; MessageDropped is due once earlier packets are taken
    QoS qos = QoS::at_most_once;
    std::uint32_t size = 0, seen = 0, header_size = 0;
    std::uint16_t topic_length = 0, packet_id = 0;
  };
  Oversize oversize_{};

  SessionMemory memory_;
  SessionOptions options_;
  SessionState state_ = SessionState::idle;
  std::optional<Error> error_;

  std::size_t tx_begin_ = 0, tx_end_ = 0;
  std::size_t rx_begin_ = 0, rx_end_ = 0, rx_checked_ = 0;

  std::uint64_t now_ms_ = 0;
  std::uint64_t last_tx_ms_ = 0;
  std::uint64_t connect_sent_ms_ = 0;
  std::uint64_t ping_sent_ms_ = 0;
  bool ping_outstanding_ = false;
  bool ping_wanted_ = false;
  bool disconnect_wanted_ = false;
  std::uint16_t keep_alive_s_ = 0;

  std::uint16_t next_id_ = 1;
  std::uint32_t next_sequence_ = 1;
  std::array<PendingRequest, max_pending_requests> requests_{};
  std::array<std::uint16_t, max_pending_acks> acks_{};
  std::size_t acks_head_ = 0, acks_count_ = 0;
  std::array<Event, max_local_events> local_events_{};
  std::size_t local_head_ = 0, local_count_ = 0;
};

}  // namespace picohub::mqtt
