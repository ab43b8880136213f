#include "mqtt/session.hpp"

#include <algorithm>
#include <cstring>

#include "mqtt/codec.hpp"

namespace picohub::mqtt {

namespace {

constexpr std::uint8_t dup_flag = 0x08;
constexpr std::size_t puback_size = 4;
constexpr std::size_t pingreq_size = 2;
constexpr std::size_t disconnect_size = 2;

// Shared sentences (the Errc says which kind): one per fault a caller or a maker acts on the same way. The board
// carries only these; the host says which check failed (PICOHUB_TEXT).
constexpr const char* kMisuse = "MQTT session used out of order or with QoS 2 (the client supports QoS 0 and 1)";
constexpr const char* kNotConnected = "MQTT session is not connected";
constexpr const char* kTxTooSmall = "MQTT packet does not fit the session's tx buffer or in-flight slot";
constexpr const char* kBusy = "MQTT session is busy (output, in-flight window or requests full): retry later";
constexpr const char* kBrokerBroke = "MQTT broker broke the protocol (unexpected packet, QoS 2 or packet id)";

Error refusal_error(ConnectReturnCode code) noexcept {
  const bool credentials = code == ConnectReturnCode::bad_username_or_password ||
                           code == ConnectReturnCode::not_authorized;
  // Short and code-free: the ConnectRefused event carries the code, and describe(code) (or the IoT Hub layer's
  // describe_connack) words it; a device image then carries one refusal sentence, not the broker's five.
  return credentials ? Error{Errc::auth_refused, "the broker refused the credentials (CONNACK 4/5)"}
                     : Error{Errc::connect_failed, "the broker refused the connection (CONNACK 1/2/3)"};
}

}  // namespace

Session::Session(SessionMemory memory, SessionOptions options) noexcept : memory_(memory), options_(options) {
  for (auto& slot : memory_.window) slot = InFlightSlot{};
}

// ---------------------------------------------------------------- buffers

std::span<std::uint8_t> Session::slot_bytes(std::size_t index) const noexcept {
  const std::size_t share = memory_.window.empty() ? 0 : memory_.window_bytes.size() / memory_.window.size();
  return memory_.window_bytes.subspan(index * share, share);
}

std::size_t Session::tx_free() const noexcept { return memory_.tx.size() - (tx_end_ - tx_begin_); }

std::span<std::uint8_t> Session::tx_reserve(std::size_t n) noexcept {
  if (n > tx_free()) return {};
  if (tx_end_ + n > memory_.tx.size()) {  // room exists, but split: move the pending bytes to the front
    std::memmove(memory_.tx.data(), memory_.tx.data() + tx_begin_, tx_end_ - tx_begin_);
    tx_end_ -= tx_begin_;
    tx_begin_ = 0;
  }
  return memory_.tx.subspan(tx_end_, n);
}

void Session::tx_commit(std::size_t n) noexcept {
  tx_end_ += n;
  last_tx_ms_ = now_ms_;  // keep-alive counts from the last packet queued
}

std::span<const std::uint8_t> Session::pending_output() const noexcept {
  return std::span<const std::uint8_t>(memory_.tx).subspan(tx_begin_, tx_end_ - tx_begin_);
}

void Session::consume_output(std::size_t n) noexcept {
  tx_begin_ += std::min(n, tx_end_ - tx_begin_);
  if (tx_begin_ == tx_end_) tx_begin_ = tx_end_ = 0;
  flush();
}

// Moves whatever waits (PUBACKs, PINGREQ, stored QoS 1 publishes, DISCONNECT) into tx while it fits, in an
// order that keeps PUBACKs and publishes in sequence.
void Session::flush() noexcept {
  const bool live = state_ == SessionState::connected || state_ == SessionState::disconnecting;
  if (!live) return;
  while (acks_count_ > 0) {
    auto out = tx_reserve(puback_size);
    if (out.empty()) return;  // keep later packets behind the PUBACKs
    auto n = encode(Puback{acks_[acks_head_]}, out);
    tx_commit(n ? *n : 0);
    acks_head_ = (acks_head_ + 1) % acks_.size();
    --acks_count_;
  }
  if (state_ == SessionState::connected) {
    if (ping_wanted_) {
      auto out = tx_reserve(pingreq_size);
      if (out.empty()) return;
      auto n = encode(Pingreq{}, out);
      tx_commit(n ? *n : 0);
      ping_wanted_ = false;
      ping_outstanding_ = true;
      ping_sent_ms_ = now_ms_;
    }
    for (;;) {
      std::size_t next = memory_.window.size();
      for (std::size_t i = 0; i < memory_.window.size(); ++i) {
        const auto& s = memory_.window[i];
        if (s.packet_id != 0 && s.needs_send &&
            (next == memory_.window.size() || s.sequence < memory_.window[next].sequence))
          next = i;
      }
      if (next == memory_.window.size()) break;
      auto& slot = memory_.window[next];
      auto out = tx_reserve(slot.length);
      if (out.empty()) return;
      std::memcpy(out.data(), slot_bytes(next).data(), slot.length);
      tx_commit(slot.length);
      slot.needs_send = false;
    }
  }
  if (state_ == SessionState::disconnecting && disconnect_wanted_) {
    auto out = tx_reserve(disconnect_size);
    if (out.empty()) return;
    auto n = encode(Disconnect{}, out);
    tx_commit(n ? *n : 0);
    disconnect_wanted_ = false;
  }
}

// ---------------------------------------------------------------- ids and events

bool Session::id_in_use(std::uint16_t id) const noexcept {
  for (const auto& s : memory_.window)
    if (s.packet_id == id) return true;
  for (const auto& r : requests_)
    if (r.packet_id == id) return true;
  return false;
}

std::uint16_t Session::allocate_id() noexcept {
  // The window and request table are far smaller than 65535, so a free id always exists.
  for (;;) {
    const std::uint16_t id = next_id_;
    next_id_ = next_id_ == 0xFFFF ? 1 : static_cast<std::uint16_t>(next_id_ + 1);
    if (!id_in_use(id)) return id;
  }
}

void Session::push_local_event(const Event& event) noexcept {
  if (local_count_ == local_events_.size()) return;  // only terminal events land here; the first one matters
  local_events_[(local_head_ + local_count_) % local_events_.size()] = event;
  ++local_count_;
}

void Session::fail_with(Error error) noexcept {
  state_ = SessionState::failed;
  error_ = error;
  ping_wanted_ = ping_outstanding_ = false;
  push_local_event(ProtocolError{error});
}

std::optional<Error> Session::last_error() const noexcept { return error_; }

std::size_t Session::in_flight() const noexcept {
  std::size_t n = 0;
  for (const auto& s : memory_.window)
    if (s.packet_id != 0) ++n;
  return n;
}

// ---------------------------------------------------------------- application calls

Result<void> Session::connect(const ConnectOptions& options, std::uint64_t now_ms) {
  now_ms_ = now_ms;
  if (state_ != SessionState::idle)
    return fail(Errc::protocol_violation,
                PICOHUB_TEXT(kMisuse, "MQTT connect() needs an idle session: call on_transport_reset() first"));
  auto size = encoded_size(options);
  if (!size) return tl::unexpected(size.error());
  if (*size > memory_.tx.size())
    return fail(Errc::too_large, PICOHUB_TEXT(kTxTooSmall, "MQTT CONNECT does not fit the session's tx buffer"));
  auto out = tx_reserve(*size);
  if (out.empty())
    return fail(Errc::buffer_full, PICOHUB_TEXT(kBusy, "MQTT tx buffer is full: write pending output first"));
  auto n = encode(options, out);
  if (!n) return tl::unexpected(n.error());
  tx_commit(*n);
  keep_alive_s_ = options.keep_alive_s;
  connect_sent_ms_ = now_ms;
  error_.reset();
  state_ = SessionState::connecting;
  return {};
}

Result<std::uint16_t> Session::publish(std::string_view topic, std::span<const std::uint8_t> payload, QoS qos,
                                       bool retain, std::uint64_t now_ms) {
  auto name = TopicName::validate(topic);
  if (!name) return tl::unexpected(name.error());
  return publish(*name, payload, qos, retain, now_ms);
}

Result<std::uint16_t> Session::publish(const TopicName& topic, std::span<const std::uint8_t> payload, QoS qos,
                                       bool retain, std::uint64_t now_ms) {
  now_ms_ = now_ms;
  if (qos == QoS::exactly_once)
    return fail(Errc::invalid_argument, PICOHUB_TEXT(kMisuse, "MQTT QoS 2 publish is not supported: use QoS 0 or 1"));
  if (static_cast<std::uint8_t>(qos) > 2)
    return fail(Errc::invalid_argument, PICOHUB_TEXT(kMisuse, "MQTT publish QoS must be 0 or 1"));
  if (state_ == SessionState::disconnecting)
    return fail(Errc::not_connected, PICOHUB_TEXT(kNotConnected, "MQTT session is disconnecting"));
  Publish p{topic.view(), payload, qos, retain, false, qos == QoS::at_most_once ? std::uint16_t{0} : std::uint16_t{1}};
  auto size = encoded_size(p, topic);
  if (!size) return tl::unexpected(size.error());
  if (*size > memory_.tx.size())
    return fail(Errc::too_large, PICOHUB_TEXT(kTxTooSmall, "MQTT publish is larger than the session's tx buffer"));

  if (qos == QoS::at_most_once) {
    if (state_ != SessionState::connected)
      return fail(Errc::not_connected, PICOHUB_TEXT(kNotConnected, "MQTT QoS 0 publish needs a connected session"));
    auto out = tx_reserve(*size);
    if (out.empty())
      return fail(Errc::buffer_full, PICOHUB_TEXT(kBusy, "MQTT tx buffer is full: write pending output first"));
    auto n = encode(p, topic, out);
    if (!n) return tl::unexpected(n.error());
    tx_commit(*n);
    return std::uint16_t{0};
  }

  if (memory_.window.empty() || *size > slot_bytes(0).size())
    return fail(Errc::too_large, PICOHUB_TEXT(kTxTooSmall, "MQTT QoS 1 publish is larger than an in-flight slot"));
  std::size_t free_slot = memory_.window.size();
  for (std::size_t i = 0; i < memory_.window.size() && free_slot == memory_.window.size(); ++i)
    if (memory_.window[i].packet_id == 0) free_slot = i;
  if (free_slot == memory_.window.size())
    return fail(Errc::buffer_full, PICOHUB_TEXT(kBusy, "MQTT in-flight window is full: wait for PublishAcked"));
  p.packet_id = allocate_id();
  auto n = encode(p, topic, slot_bytes(free_slot));
  if (!n) return tl::unexpected(n.error());
  auto& slot = memory_.window[free_slot];
  slot.packet_id = p.packet_id;
  slot.length = static_cast<std::uint32_t>(*n);
  slot.sequence = next_sequence_++;
  slot.needs_send = true;
  flush();
  return p.packet_id;
}

Result<std::uint16_t> Session::subscribe(std::span<const Subscription> subscriptions) {
  if (state_ != SessionState::connected)
    return fail(Errc::not_connected, PICOHUB_TEXT(kNotConnected, "MQTT subscribe needs a connected session"));
  if (subscriptions.size() > 0xFFFF)
    return fail(Errc::invalid_argument, PICOHUB_TEXT(kMisuse, "MQTT subscribe has too many filters"));
  for (const auto& s : subscriptions)
    if (static_cast<std::uint8_t>(s.qos) > 1)
      return fail(Errc::invalid_argument,
                  PICOHUB_TEXT(kMisuse, "MQTT QoS 2 subscriptions are not supported: use QoS 0 or 1"));
  auto free_req = std::find_if(requests_.begin(), requests_.end(), [](const auto& r) { return r.packet_id == 0; });
  if (free_req == requests_.end())
    return fail(Errc::buffer_full, PICOHUB_TEXT(kBusy, "too many MQTT (un)subscribe requests pending"));
  Subscribe packet{1, subscriptions};
  auto size = encoded_size(packet);
  if (!size) return tl::unexpected(size.error());
  if (*size > memory_.tx.size())
    return fail(Errc::too_large, PICOHUB_TEXT(kTxTooSmall, "MQTT SUBSCRIBE is larger than the session's tx buffer"));
  auto out = tx_reserve(*size);
  if (out.empty())
    return fail(Errc::buffer_full, PICOHUB_TEXT(kBusy, "MQTT tx buffer is full: write pending output first"));
  packet.packet_id = allocate_id();
  auto n = encode(packet, out);
  if (!n) return tl::unexpected(n.error());
  tx_commit(*n);
  *free_req = PendingRequest{packet.packet_id, static_cast<std::uint16_t>(subscriptions.size()), true};
  return packet.packet_id;
}

Result<std::uint16_t> Session::unsubscribe(std::span<const std::string_view> filters) {
  if (state_ != SessionState::connected)
    return fail(Errc::not_connected, PICOHUB_TEXT(kNotConnected, "MQTT unsubscribe needs a connected session"));
  if (filters.size() > 0xFFFF)
    return fail(Errc::invalid_argument, PICOHUB_TEXT(kMisuse, "MQTT unsubscribe has too many filters"));
  auto free_req = std::find_if(requests_.begin(), requests_.end(), [](const auto& r) { return r.packet_id == 0; });
  if (free_req == requests_.end())
    return fail(Errc::buffer_full, PICOHUB_TEXT(kBusy, "too many MQTT (un)subscribe requests pending"));
  Unsubscribe packet{1, filters};
  auto size = encoded_size(packet);
  if (!size) return tl::unexpected(size.error());
  if (*size > memory_.tx.size())
    return fail(Errc::too_large, PICOHUB_TEXT(kTxTooSmall, "MQTT UNSUBSCRIBE is larger than the session's tx buffer"));
  auto out = tx_reserve(*size);
  if (out.empty())
    return fail(Errc::buffer_full, PICOHUB_TEXT(kBusy, "MQTT tx buffer is full: write pending output first"));
  packet.packet_id = allocate_id();
  auto n = encode(packet, out);
  if (!n) return tl::unexpected(n.error());
  tx_commit(*n);
  *free_req = PendingRequest{packet.packet_id, static_cast<std::uint16_t>(filters.size()), false};
  return packet.packet_id;
}

void Session::disconnect() {
  if (state_ != SessionState::connected) return;
  state_ = SessionState::disconnecting;
  disconnect_wanted_ = true;
  ping_wanted_ = ping_outstanding_ = false;
  flush();
}

// ---------------------------------------------------------------- time

std::uint64_t Session::next_deadline_ms() const noexcept {
  if (state_ == SessionState::connecting) return connect_sent_ms_ + options_.connack_timeout_ms;
  if (state_ != SessionState::connected) return no_deadline;
  if (ping_outstanding_) return ping_sent_ms_ + options_.ping_timeout_ms;
  if (keep_alive_s_ == 0 || ping_wanted_) return no_deadline;  // a wanted PINGREQ goes out on consume_output()
  return last_tx_ms_ + std::uint64_t{keep_alive_s_} * 1000u;
}

void Session::on_time(std::uint64_t now_ms) {
  now_ms_ = now_ms;
  if (state_ == SessionState::connecting && now_ms >= connect_sent_ms_ + options_.connack_timeout_ms) {
    state_ = SessionState::failed;
    error_ = Error{
        Errc::timeout,
        PICOHUB_TEXT("no CONNACK from the MQTT broker in time",
                     "no CONNACK from the MQTT broker in time: check the address, port and TLS, then retry")};
    push_local_event(ConnectTimedOut{});
    return;
  }
  if (state_ != SessionState::connected) return;
  if (ping_outstanding_) {
    if (now_ms >= ping_sent_ms_ + options_.ping_timeout_ms) {
      state_ = SessionState::failed;
      error_ = Error{Errc::timeout,
                     PICOHUB_TEXT("no PINGRESP from the MQTT broker in time",
                                  "no PINGRESP from the MQTT broker in time: the link is dead, reconnect")};
      ping_outstanding_ = false;
      push_local_event(PingTimedOut{});
    }
    return;
  }
  if (keep_alive_s_ != 0 && !ping_wanted_ && now_ms >= last_tx_ms_ + std::uint64_t{keep_alive_s_} * 1000u) {
    ping_wanted_ = true;
    flush();
  }
}

void Session::on_transport_reset() noexcept {
  tx_begin_ = tx_end_ = 0;
  rx_begin_ = rx_end_ = rx_checked_ = 0;
  requests_ = {};
  acks_head_ = acks_count_ = 0;
  local_head_ = local_count_ = 0;
  ping_wanted_ = ping_outstanding_ = disconnect_wanted_ = false;
  oversize_ = Oversize{};
  error_.reset();
  state_ = SessionState::idle;
  // Publishes already queued on the old connection go again with DUP=1 ([MQTT-4.4.0-1]); ones never queued
  // keep DUP=0. All are sent in their original order after the next CONNACK.
  for (std::size_t i = 0; i < memory_.window.size(); ++i) {
    auto& slot = memory_.window[i];
    if (slot.packet_id == 0) continue;
    if (!slot.needs_send) slot_bytes(i)[0] |= dup_flag;
    slot.needs_send = true;
  }
}

// ---------------------------------------------------------------- input

Result<std::size_t> Session::receive(std::span<const std::uint8_t> bytes, std::uint64_t now_ms) {
  now_ms_ = now_ms;
  if (state_ == SessionState::failed && error_) return tl::unexpected(*error_);
  if (state_ == SessionState::refused) return bytes.size();  // the broker closes after a refusal; drop the rest
  if (oversize_.complete) return 0;  // later packets wait until MessageDropped has been taken (arrival order)
  if (oversize_.active) {
    const std::size_t used = skip(bytes);
    if (state_ == SessionState::failed && error_) return tl::unexpected(*error_);
    return used;
  }
  if (rx_begin_ > 0) {  // views handed out earlier are void now, so the buffer may move
    std::memmove(memory_.rx.data(), memory_.rx.data() + rx_begin_, rx_end_ - rx_begin_);
    rx_end_ -= rx_begin_;
    rx_checked_ -= rx_begin_;
    rx_begin_ = 0;
  }
  const std::size_t n = std::min(bytes.size(), memory_.rx.size() - rx_end_);
  if (n != 0) std::memcpy(memory_.rx.data() + rx_end_, bytes.data(), n);
  rx_end_ += n;
  // Check every complete packet now, so a broken stream is reported by the call that delivered it.
  while (rx_checked_ < rx_end_) {
    auto in = std::span<const std::uint8_t>(memory_.rx).subspan(rx_checked_, rx_end_ - rx_checked_);
    auto d = decode_from_server(in, memory_.rx.size());
    if (!d) {
      if (d.error().code == Errc::truncated) break;
      if (d.error().code == Errc::too_large && start_skipping(in)) {
        rx_end_ = rx_checked_;  // its first bytes leave rx; everything before it stays
        (void)skip(in);         // `in` still views them (nothing wrote rx since)
        if (state_ == SessionState::failed && error_) return tl::unexpected(*error_);
        break;
      }
      fail_with(d.error());
      return tl::unexpected(d.error());
    }
    rx_checked_ += d->size;
  }
  return n;
}

// ---------------------------------------------------------------- oversized PUBLISH

bool Session::start_skipping(std::span<const std::uint8_t> header) noexcept {
  if (state_ != SessionState::connected && state_ != SessionState::disconnecting) return false;
  auto h = decode_fixed_header(header);
  if (!h || h->type != PacketType::publish) return false;
  const auto qos = static_cast<std::uint8_t>((h->flags >> 1) & 0x3);
  if (qos > 1) return false;  // QoS 2 (never subscribed) or 3 (malformed): fail as before
  oversize_ = Oversize{};
  oversize_.active = true;
  oversize_.qos = static_cast<QoS>(qos);
  oversize_.size = static_cast<std::uint32_t>(h->packet_size());
  oversize_.header_size = static_cast<std::uint32_t>(h->header_size);
  return true;
}

// Consumes bytes of the oversized PUBLISH, picking the topic length and packet id out of its variable header.
std::size_t Session::skip(std::span<const std::uint8_t> bytes) noexcept {
  const std::size_t n = std::min<std::size_t>(bytes.size(), oversize_.size - oversize_.seen);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t at = oversize_.seen + static_cast<std::uint32_t>(i);
    if (at < oversize_.header_size) continue;
    const std::uint32_t pos = at - oversize_.header_size;  // offset in the variable header
    const std::uint32_t id_at = 2u + oversize_.topic_length;
    if (pos == 0) oversize_.topic_length = static_cast<std::uint16_t>(bytes[i] << 8);
    else if (pos == 1) oversize_.topic_length = static_cast<std::uint16_t>(oversize_.topic_length | bytes[i]);
    else if (oversize_.qos != QoS::at_most_once && pos == id_at)
      oversize_.packet_id = static_cast<std::uint16_t>(bytes[i] << 8);
    else if (oversize_.qos != QoS::at_most_once && pos == id_at + 1)
      oversize_.packet_id = static_cast<std::uint16_t>(oversize_.packet_id | bytes[i]);
    else if (pos > id_at + 1) {  // payload: nothing more to pick, jump to the end of this chunk
      break;
    }
  }
  oversize_.seen += static_cast<std::uint32_t>(n);
  if (oversize_.seen == oversize_.size) {
    const std::uint32_t needed = 2u + oversize_.topic_length + (oversize_.qos == QoS::at_most_once ? 0u : 2u);
    if (oversize_.size - oversize_.header_size < needed ||
        (oversize_.qos != QoS::at_most_once && oversize_.packet_id == 0)) {
      oversize_ = Oversize{};
      fail_with(
          Error{Errc::malformed, PICOHUB_TEXT("MQTT PUBLISH too large for the receive buffer and malformed",
                                              "MQTT PUBLISH too large for the receive buffer is also malformed")});
      return n;
    }
    oversize_.active = false;
    oversize_.complete = true;
  }
  return n;
}

std::optional<Event> Session::take_dropped() noexcept {
  if (oversize_.qos == QoS::at_least_once && state_ == SessionState::connected) {
    if (acks_count_ == acks_.size()) {
      flush();
      if (acks_count_ == acks_.size()) return std::nullopt;  // no room for the PUBACK yet
    }
    acks_[(acks_head_ + acks_count_) % acks_.size()] = oversize_.packet_id;
    ++acks_count_;
    flush();
  }
  const MessageDropped dropped{oversize_.packet_id, oversize_.qos, oversize_.size};
  oversize_ = Oversize{};
  return dropped;
}

std::optional<Event> Session::poll_event() {
  for (;;) {
    if (local_count_ > 0) {
      Event e = local_events_[local_head_];
      local_head_ = (local_head_ + 1) % local_events_.size();
      --local_count_;
      return e;
    }
    if (state_ == SessionState::failed || state_ == SessionState::refused) return std::nullopt;
    if (rx_begin_ >= rx_checked_) return oversize_.complete ? take_dropped() : std::nullopt;
    auto in = std::span<const std::uint8_t>(memory_.rx).subspan(rx_begin_, rx_checked_ - rx_begin_);
    auto d = decode_from_server(in, memory_.rx.size());
    if (!d) {  // cannot happen: receive() checked it; fail safe anyway
      fail_with(d.error());
      continue;
    }
    bool consumed = true;
    auto event = handle_packet(d->packet, d->size, consumed);
    if (!consumed) return std::nullopt;
    rx_begin_ += d->size;
    if (event) return event;
  }
}

std::optional<Event> Session::handle_packet(const Packet& packet, std::size_t, bool& consumed) {
  consumed = true;
  if (state_ == SessionState::idle) {
    fail_with(Error{Errc::protocol_violation, PICOHUB_TEXT(kBrokerBroke, "MQTT broker sent data before connect()")});
    return std::nullopt;
  }
  if (state_ == SessionState::connecting) {
    const auto* ack = std::get_if<Connack>(&packet);
    if (ack == nullptr) {
      fail_with(Error{Errc::protocol_violation,
                      PICOHUB_TEXT(kBrokerBroke, "MQTT broker sent something other than CONNACK first")});
      return std::nullopt;
    }
    if (ack->return_code != ConnectReturnCode::accepted) {
      state_ = SessionState::refused;
      error_ = refusal_error(ack->return_code);
      return ConnectRefused{ack->return_code};
    }
    state_ = SessionState::connected;
    flush();  // in-flight publishes from before the reconnect go first, in order
    return Connected{ack->session_present};
  }

  // connected or disconnecting
  if (const auto* p = std::get_if<Publish>(&packet)) {
    if (p->qos == QoS::exactly_once) {
      fail_with(
          Error{Errc::protocol_violation,
                PICOHUB_TEXT(kBrokerBroke, "MQTT broker sent a QoS 2 PUBLISH, but no QoS 2 subscription exists")});
      return std::nullopt;
    }
    if (p->qos == QoS::at_least_once && state_ == SessionState::connected) {
      if (acks_count_ == acks_.size()) {
        flush();
        if (acks_count_ == acks_.size()) {  // no room for the PUBACK: hold the message until output drains
          consumed = false;
          return std::nullopt;
        }
      }
      acks_[(acks_head_ + acks_count_) % acks_.size()] = p->packet_id;
      ++acks_count_;
      flush();
    }
    return MessageReceived{p->topic, p->payload, p->qos, p->retain, p->dup, p->packet_id};
  }
  if (const auto* a = std::get_if<Puback>(&packet)) {
    for (auto& slot : memory_.window) {
      if (slot.packet_id != a->packet_id) continue;
      slot = InFlightSlot{};
      return PublishAcked{a->packet_id};
    }
    return std::nullopt;  // a late duplicate PUBACK is harmless
  }
  if (const auto* s = std::get_if<Suback>(&packet)) {
    for (auto& r : requests_) {
      if (r.packet_id != s->packet_id || !r.subscribe) continue;
      if (r.count != s->return_codes.size()) {
        fail_with(Error{Errc::protocol_violation,
                        PICOHUB_TEXT(kBrokerBroke, "MQTT SUBACK has a different number of return codes than filters")});
        return std::nullopt;
      }
      r = PendingRequest{};
      return Subscribed{s->packet_id, s->return_codes};
    }
    fail_with(Error{Errc::protocol_violation,
                    PICOHUB_TEXT(kBrokerBroke, "MQTT SUBACK for a packet id with no pending SUBSCRIBE")});
    return std::nullopt;
  }
  if (const auto* u = std::get_if<Unsuback>(&packet)) {
    for (auto& r : requests_) {
      if (r.packet_id != u->packet_id || r.subscribe) continue;
      r = PendingRequest{};
      return Unsubscribed{u->packet_id};
    }
    fail_with(Error{Errc::protocol_violation,
                    PICOHUB_TEXT(kBrokerBroke, "MQTT UNSUBACK for a packet id with no pending UNSUBSCRIBE")});
    return std::nullopt;
  }
  if (std::holds_alternative<Pingresp>(packet)) {
    ping_outstanding_ = false;
    return std::nullopt;
  }
  if (std::holds_alternative<Connack>(packet)) {
    fail_with(Error{Errc::protocol_violation, PICOHUB_TEXT(kBrokerBroke, "MQTT broker sent a second CONNACK")});
    return std::nullopt;
  }
  fail_with(Error{Errc::protocol_violation,
                  PICOHUB_TEXT(kBrokerBroke, "MQTT broker sent a packet that only clients send, or QoS 2 flow")});
  return std::nullopt;
}

}  // namespace picohub::mqtt
