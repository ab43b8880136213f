#include "websocket/websocket_transport.hpp"

#include <algorithm>
#include <cstring>

namespace picohub::websocket {

WebSocketTransport::WebSocketTransport(net::Transport& inner, platform::Entropy& entropy, const UpgradeTarget& target,
                                       std::span<std::uint8_t> buffer, std::uint64_t max_message_bytes) noexcept
    : inner_(inner), entropy_(entropy), target_(target), buffer_(buffer), reader_(max_message_bytes) {}

template <class T>
Result<T> WebSocketTransport::failed(const Error& error, std::string_view detail) {
  state_ = State::failed;
  detail_from_inner_ = detail.empty();
  detail_size_ = std::min(detail.size(), detail_.size());
  std::memcpy(detail_.data(), detail.data(), detail_size_);
  return tl::unexpected(error);
}

std::string_view WebSocketTransport::last_error_detail() const {
  if (detail_from_inner_ || detail_size_ == 0) return inner_.last_error_detail();
  return {detail_.data(), detail_size_};
}

net::Wait WebSocketTransport::wants() const {
  if (out_begin_ != out_end_ || pong_owed_ || close_owed_) return net::Wait::writable;
  if (state_ == State::reading_response || state_ == State::open) return net::Wait::readable;
  return inner_.wants();
}

Result<bool> WebSocketTransport::poll_connect() {
  switch (state_) {
    case State::connecting: return start_upgrade();
    case State::sending_request:
      if (auto r = flush(); !r) return failed<bool>(r.error());
      if (out_begin_ != out_end_) return false;
      state_ = State::reading_response;
      return read_response();
    case State::reading_response: return read_response();
    case State::open: return true;
    case State::peer_closed:
    case State::closed: return fail(Errc::connection_closed, "the server closed the WebSocket connection");
    case State::failed: break;
  }
  return fail(Errc::not_connected, "WebSocket connection is not open");
}

Result<bool> WebSocketTransport::start_upgrade() {
  auto ready = inner_.poll_connect();
  if (!ready) return failed<bool>(ready.error());
  if (!*ready) return false;
  if (buffer_.size() < 256)
    return failed<bool>(Error{Errc::invalid_argument, "the WebSocket upgrade request does not fit its buffer"});
  auto key = make_key(entropy_);
  if (!key) return failed<bool>(key.error(), "the entropy source refused a WebSocket key or mask");
  key_ = *key;
  auto request = write_upgrade_request(target_, key_.view(),
                                       std::span<char>(reinterpret_cast<char*>(buffer_.data()), buffer_.size()));
  if (!request) return failed<bool>(request.error(), "the WebSocket upgrade request does not fit its buffer");
  out_begin_ = 0;
  out_end_ = *request;
  state_ = State::sending_request;
  return poll_connect();
}

// One byte at a time, so nothing after the response's header is read: the frames after it stay in the inner
// transport for read(). The header is a few hundred bytes, read once per connection.
Result<bool> WebSocketTransport::read_response() {
  const auto text = [this] { return std::string_view(reinterpret_cast<const char*>(buffer_.data()), response_size_); };
  while (response_size_ < buffer_.size()) {
    auto n = inner_.read(buffer_.subspan(response_size_, 1));
    if (!n) {
      if (n.error().code == Errc::would_block) return false;
      if (n.error().code == Errc::connection_closed)
        return failed<bool>(Error{Errc::connection_closed,
                                  "the server closed the connection during the WebSocket "
                                  "upgrade (is this the hub's HTTPS port?)"},
                            status_line(text()));
      return failed<bool>(n.error());
    }
    ++response_size_;
    if (buffer_[response_size_ - 1] != '\n') continue;
    auto checked = check_upgrade_response(text(), key_.view(), target_.subprotocol, buffer_.size());
    if (!checked) return failed<bool>(checked.error(), status_line(text()));
    if (*checked == 0) continue;
    state_ = State::open;
    out_begin_ = out_end_ = 0;
    return true;
  }
  return failed<bool>(Error{Errc::too_large, "WebSocket upgrade response is too long"}, status_line(text()));
}

Result<void> WebSocketTransport::queue_frame(Opcode opcode, std::span<const std::uint8_t> payload) {
  Mask mask;
  if (auto r = entropy_.fill(mask); !r) return tl::unexpected(r.error());
  std::array<std::uint8_t, kMaxHeaderBytes> header;
  const std::size_t h = write_client_header(opcode, true, payload.size(), mask, header);
  std::memcpy(buffer_.data(), header.data(), h);
  std::memcpy(buffer_.data() + h, payload.data(), payload.size());
  apply_mask(buffer_.subspan(h, payload.size()), mask);
  out_begin_ = 0;
  out_end_ = h + payload.size();
  return {};
}

Result<void> WebSocketTransport::flush() {
  for (;;) {
    while (out_begin_ != out_end_) {
      auto n = inner_.write(buffer_.subspan(out_begin_, out_end_ - out_begin_));
      if (!n) {
        if (n.error().code == Errc::would_block) return {};
        return tl::unexpected(n.error());
      }
      if (*n == 0) return {};
      out_begin_ += *n;
    }
    out_begin_ = out_end_ = 0;
    if (pong_owed_) {
      pong_owed_ = false;
      if (auto r = queue_frame(Opcode::pong, std::span(pong_payload_.data(), pong_size_)); !r) return r;
    } else if (close_owed_) {
      close_owed_ = false;
      const std::uint8_t code[2] = {static_cast<std::uint8_t>(close_code_ >> 8),
                                    static_cast<std::uint8_t>(close_code_)};
      if (auto r = queue_frame(Opcode::close, close_code_ == kCloseNoStatus ? std::span<const std::uint8_t>()
                                                                            : std::span<const std::uint8_t>(code));
          !r)
        return r;
    } else {
      return {};
    }
  }
}

Result<std::size_t> WebSocketTransport::write(std::span<const std::uint8_t> data) {
  if (state_ != State::open) {
    if (state_ == State::peer_closed || state_ == State::closed)
      return fail(Errc::connection_closed, "the server closed the WebSocket connection");
    return fail(Errc::not_connected, "WebSocket connection is not open");
  }
  if (auto r = flush(); !r) return failed<std::size_t>(r.error());
  if (out_begin_ != out_end_ || pong_owed_ || close_owed_) return fail(Errc::would_block, "WebSocket send pending");
  const std::size_t n = std::min(data.size(), buffer_.size() - kMaxHeaderBytes);
  if (auto r = queue_frame(Opcode::binary, data.first(n)); !r)
    return failed<std::size_t>(r.error(), "the entropy source refused a WebSocket key or mask");
  if (auto r = flush(); !r) return failed<std::size_t>(r.error());
  return n;  // what flush() could not send yet goes out on the next write() or read()
}

Result<std::size_t> WebSocketTransport::unwrap(std::span<std::uint8_t> out, std::size_t n) {
  std::size_t kept = 0;
  for (std::size_t at = 0; at < n && state_ == State::open;) {
    auto event = reader_.next(std::span<const std::uint8_t>(out.data() + at, n - at));
    if (!event) {
      close_code_ = kCloseProtocolError;
      return failed<std::size_t>(event.error(), "the server's WebSocket frames break RFC 6455");
    }
    switch (event->kind) {
      case FrameEvent::Kind::data:
        std::memmove(out.data() + kept, event->data.data(), event->data.size());
        kept += event->data.size();
        break;
      case FrameEvent::Kind::ping:
        pong_size_ = event->data.size();
        std::memcpy(pong_payload_.data(), event->data.data(), pong_size_);
        pong_owed_ = true;
        break;
      case FrameEvent::Kind::close:
        close_code_ = event->close_code;
        close_owed_ = true;
        state_ = State::peer_closed;
        break;
      case FrameEvent::Kind::pong:
      case FrameEvent::Kind::none: break;
    }
    at += event->consumed;
  }
  return kept;
}

Result<std::size_t> WebSocketTransport::read(std::span<std::uint8_t> out) {
  if (state_ == State::peer_closed) {
    (void)flush();  // the close reply, best effort
    return fail(Errc::connection_closed, "the server closed the WebSocket connection");
  }
  if (state_ != State::open) return fail(Errc::not_connected, "WebSocket connection is not open");
  if (auto r = flush(); !r) return failed<std::size_t>(r.error());
  for (;;) {
    auto n = inner_.read(out);
    if (!n) return n;
    auto kept = unwrap(out, *n);
    if (!kept) return kept;
    if (auto r = flush(); !r && state_ == State::open) return failed<std::size_t>(r.error());
    if (*kept > 0) return kept;
    if (state_ == State::peer_closed)
      return fail(Errc::connection_closed, "the server closed the WebSocket connection");
  }
}

void WebSocketTransport::close() {
  if (state_ == State::open && out_begin_ == out_end_) {
    close_code_ = kCloseNormal;
    close_owed_ = true;
    (void)flush();  // best effort, like TLS's close_notify
  }
  if (state_ != State::failed) state_ = State::closed;
  inner_.close();
}

}  // namespace picohub::websocket
