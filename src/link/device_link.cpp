#include "link/device_link.hpp"

#include <poll.h>

#include <algorithm>
#include <array>
#include <thread>

namespace picohub::link {

namespace {

int poll_timeout_ms(Clock::time_point until) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1000));  // wake at least once a second
}

}  // namespace

DeviceLink::DeviceLink(iothub::DeviceClient& client, net::Endpoint endpoint, LinkOptions options)
    : client_(client), endpoint_(std::move(endpoint)), options_(options) {}

DeviceLink::~DeviceLink() {
  if (transport_) transport_->close();
}

std::uint64_t DeviceLink::now_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count());
}

std::uint64_t DeviceLink::now_unix() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void DeviceLink::notice(LinkNotice::Kind kind, std::string text) {
  if (on_notice_) on_notice_(LinkNotice{kind, std::move(text)});
}

void DeviceLink::drop_transport() {
  if (transport_) {
    transport_->close();
    transport_.reset();
  }
  client_.on_transport_reset();
}

Result<void> DeviceLink::open() {
  gave_up_ = false;  // an explicit open() starts afresh after a link that gave up
  attempt_ = 0;
  return connect_once(Clock::now() + options_.connect_timeout);
}

Result<void> DeviceLink::connect_once(Clock::time_point deadline) {
  refused_ = lost_ = renew_ = false;
  detail_.clear();
  const auto budget = std::max<std::chrono::milliseconds>(
      std::chrono::milliseconds{1},
      std::min(options_.connect_timeout,
               std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now())));
  auto transport = net::open_connection(endpoint_, budget, &detail_);
  if (!transport) return tl::unexpected(transport.error());
  transport_ = std::move(*transport);

  if (auto started = client_.connect(now_ms(), now_unix()); !started) {
    drop_transport();
    return started;
  }
  const auto until = std::min(deadline, Clock::now() + budget);
  const auto settled = [this] {
    const auto s = client_.state();
    return s == iothub::DeviceClientState::ready || refused_ || lost_;
  };
  while (!settled()) {
    if (Clock::now() >= until) {
      drop_transport();
      return fail(Errc::timeout, "the hub did not answer the MQTT CONNECT in time: check the host name and port");
    }
    if (auto r = pump_once(until, settled); !r) {
      drop_transport();
      return r;
    }
  }
  if (refused_) {
    drop_transport();
    return fail(Errc::auth_refused, refused_message_);
  }
  if (lost_) {
    drop_transport();
    return tl::unexpected(lost_error_);
  }
  return {};
}

Result<void> DeviceLink::flush_output() {
  while (transport_) {
    auto out = client_.pending_output();
    if (out.empty()) return {};
    auto n = transport_->write(out);
    if (!n) {
      if (n.error().code == Errc::would_block) return {};
      detail_ = std::string(transport_->last_error_detail());
      return tl::unexpected(n.error());
    }
    client_.consume_output(*n);
  }
  return {};
}

Result<void> DeviceLink::pump_once(Clock::time_point until, const std::function<bool()>& done) {
  const auto handle = [&](const iothub::DeviceEvent& event) {
    if (const auto* refused = std::get_if<iothub::ConnectRefused>(&event)) {
      refused_ = true;
      refused_message_ = refused->message;
    } else if (const auto* lost = std::get_if<iothub::ConnectionLost>(&event)) {
      lost_ = true;
      lost_error_ = lost->error;
    } else if (std::holds_alternative<iothub::RenewalDue>(event)) {
      renew_ = true;
    }
    if (on_event_) on_event_(event);
  };
  const auto drain = [&] {
    while (auto event = client_.poll_event()) handle(*event);
  };
  const auto transport_failed = [&](const Error& error) -> Result<void> {
    detail_ = std::string(transport_->last_error_detail());
    lost_ = true;
    lost_error_ = error;
    return {};
  };

  if (auto w = flush_output(); !w) return transport_failed(w.error());

  // Read everything available now and feed it in, taking events whenever the client's buffer is full.
  std::array<std::uint8_t, 16 * 1024> buffer{};
  for (;;) {
    auto n = transport_->read(buffer);
    if (!n) {
      if (n.error().code == Errc::would_block) break;
      drain();
      return transport_failed(n.error());
    }
    std::span<const std::uint8_t> rest(buffer.data(), *n);
    while (!rest.empty()) {
      auto used = client_.receive(rest, now_ms());
      if (!used) {
        drain();
        lost_ = true;
        lost_error_ = used.error();
        return {};
      }
      rest = rest.subspan(*used);
      drain();
      if (*used == 0) {
        if (auto w = flush_output(); !w) return transport_failed(w.error());
        if (client_.pending_output().empty() && !client_.poll_event()) {
          // Nothing can free room: a packet larger than the receive buffer. The client reported it.
          lost_ = true;
          return {};
        }
      }
    }
  }
  drain();
  client_.on_time(now_ms(), now_unix());
  drain();
  if (auto w = flush_output(); !w) return transport_failed(w.error());
  if (done() || lost_ || refused_ || renew_) return {};

  // Sleep until the socket has something for us, output can go, or the client's next deadline.
  if (transport_->has_pending()) return {};
  auto wake = until;
  const auto deadline_ms = client_.next_deadline_ms();
  if (deadline_ms != mqtt::Session::no_deadline) {
    const auto now = now_ms();
    const auto in = deadline_ms > now ? deadline_ms - now : 0;
    wake = std::min(wake, Clock::now() + std::chrono::milliseconds(in));
  }
  pollfd fd{transport_->poll_fd(), POLLIN, 0};
  if (!client_.pending_output().empty() || transport_->wants() == net::Wait::writable) fd.events |= POLLOUT;
  if (fd.fd < 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(poll_timeout_ms(wake), 10)));
  } else {
    ::poll(&fd, 1, poll_timeout_ms(wake));
  }
  return {};
}

std::chrono::milliseconds DeviceLink::backoff_for(const LinkOptions& options, int attempt) noexcept {
  auto wait = options.backoff_initial;
  for (int i = 1; i < attempt && wait < options.backoff_max; ++i) wait *= 2;
  return std::min(wait, options.backoff_max);
}

Result<void> DeviceLink::reconnect_step(Clock::time_point deadline) {
  const auto schedule = [this] {
    const auto wait = backoff_for(options_, attempt_);
    next_attempt_ = Clock::now() + wait;
    notice(LinkNotice::Kind::reconnecting, "reconnecting in " + std::to_string(wait.count()) + " ms (attempt " +
                                               std::to_string(attempt_) + " of " +
                                               std::to_string(options_.max_reconnect_attempts) + ")");
  };
  if (attempt_ == 0) {
    attempt_ = 1;
    schedule();
  }
  const auto now = Clock::now();
  if (now < next_attempt_) {
    std::this_thread::sleep_until(std::min(next_attempt_, deadline));
    return {};
  }
  // One attempt gets the full connect timeout even when the caller's deadline is nearer: cutting a TLS
  // handshake short would only fail it and waste the attempt.
  auto r = connect_once(Clock::now() + options_.connect_timeout);
  if (r) {
    ++reconnects_;
    attempt_ = 0;
    return {};
  }
  if (r.error().code == Errc::auth_refused) {
    attempt_ = 0;
    return r;
  }
  notice(LinkNotice::Kind::connection_lost, std::string(r.error().what) + (detail_.empty() ? "" : ": " + detail_));
  if (attempt_ >= options_.max_reconnect_attempts) {
    attempt_ = 0;
    gave_up_ = true;
    gave_up_error_ = Error{r.error().code,
                           "gave up reconnecting to the hub: check that it is running and reachable (host, port, "
                           "firewall, network), then run again"};
    return tl::unexpected(gave_up_error_);
  }
  ++attempt_;
  schedule();
  return {};
}

Result<void> DeviceLink::run_until(const std::function<bool()>& done, Clock::time_point deadline) {
  for (;;) {
    if (done()) return {};
    if (refused_) return fail(Errc::auth_refused, refused_message_);
    if (gave_up_) return tl::unexpected(gave_up_error_);
    if (Clock::now() >= deadline) return fail(Errc::timeout, "the deadline passed");
    if (renew_) {
      notice(LinkNotice::Kind::renewing_token, "SAS token renewal due: reconnecting with a fresh token");
      (void)flush_output();  // the DISCONNECT the client queued
      drop_transport();
      if (auto r = connect_once(Clock::now() + options_.connect_timeout); !r) {
        if (r.error().code == Errc::auth_refused) return r;
        lost_ = true;
        lost_error_ = r.error();
      } else {
        ++reconnects_;
        notice(LinkNotice::Kind::renewing_token,
               "reconnected with a fresh SAS token (expires at unix " + std::to_string(client_.token_expiry_unix()) +
                   ")");
      }
    }
    if (lost_ || !transport_) {
      if (attempt_ == 0) {
        const Error why = lost_error_;
        notice(LinkNotice::Kind::connection_lost,
               std::string("connection lost: ") + why.what + (detail_.empty() ? "" : " (" + detail_ + ")"));
        if (transport_) drop_transport();
      }
      if (auto r = reconnect_step(deadline); !r) return r;
      continue;  // re-check done() and the deadline before pumping a connection that may not exist yet
    }
    if (auto r = pump_once(deadline, done); !r) return r;
  }
}

void DeviceLink::close() {
  if (!transport_) return;
  client_.disconnect();
  const auto until = Clock::now() + std::chrono::seconds(2);
  while (!client_.pending_output().empty() && Clock::now() < until) {
    if (!flush_output()) break;
    if (!client_.pending_output().empty()) {
      pollfd fd{transport_->poll_fd(), POLLOUT, 0};
      ::poll(&fd, 1, poll_timeout_ms(until));
    }
  }
  drop_transport();
}

}  // namespace picohub::link
