#include "device/pump.hpp"

namespace picohub::device {

LossReason loss_reason_for(const Error& error, bool writing) noexcept {
  switch (error.code) {
    case Errc::connection_closed: return LossReason::server_closed;
    case Errc::tls_failure: return LossReason::tls_failed;
    case Errc::certificate_invalid: return LossReason::certificate_invalid;
    case Errc::resolve_failed: return LossReason::dns_failed;
    case Errc::connect_failed: return LossReason::tcp_failed;
    case Errc::timeout: return LossReason::connect_timeout;
    case Errc::crypto_failure: return LossReason::entropy_failed;
    default: return writing ? LossReason::write_failed : LossReason::read_failed;
  }
}

namespace {

void lose(PumpReport& report, const Error& error, LossReason reason) {
  if (report.lost) return;  // the first cause is the one worth reporting
  report.lost = true;
  report.loss = reason;
  report.error = error;
}

// The byte-moving calls every peer forwards unchanged to its protocol core (DeviceClient, Session, DpsClient).
template <class Core>
struct Forwarding {
  Core& core;

  std::span<const std::uint8_t> pending_output() const { return core.pending_output(); }
  void consume_output(std::size_t n) { core.consume_output(n); }
  Result<std::size_t> receive(std::span<const std::uint8_t> bytes, std::uint64_t now_ms) {
    return core.receive(bytes, now_ms);
  }
  std::uint64_t next_deadline_ms() const { return core.next_deadline_ms(); }
};

// The peers differ only in how events are taken and time is given; the byte moving is shared.
struct ClientPeer : Forwarding<iothub::DeviceClient> {
  DeviceEventSink& sink;
  PumpReport& report;
  std::uint64_t now_unix;

  void on_time(std::uint64_t now_ms) { core.on_time(now_ms, now_unix); }
  void finish() { report.ready = core.state() == iothub::DeviceClientState::ready; }

  bool take_events() {
    bool any = false;
    while (auto event = core.poll_event()) {
      any = true;
      note(*event);
      sink.on_device_event(*event);
    }
    return any;
  }

  void note(const iothub::DeviceEvent& event) {
    if (const auto* refused = std::get_if<iothub::ConnectRefused>(&event)) {
      report.refused = true;
      report.refused_code = refused->code;
    } else if (const auto* lost = std::get_if<iothub::ConnectionLost>(&event)) {
      switch (lost->cause) {
        case iothub::ConnectionLost::Cause::connack_timeout:
          lose(report, lost->error, LossReason::connack_timeout);
          break;
        case iothub::ConnectionLost::Cause::keep_alive_timeout:
          lose(report, lost->error, LossReason::keep_alive_timeout);
          break;
        default: lose(report, lost->error, LossReason::protocol_error); break;
      }
    } else if (std::holds_alternative<iothub::RenewalDue>(event)) {
      report.renewal_due = true;
    }
  }
};

struct SessionPeer : Forwarding<mqtt::Session> {
  MqttEventSink& sink;
  PumpReport& report;

  void on_time(std::uint64_t now_ms) { core.on_time(now_ms); }

  bool take_events() {
    bool any = false;
    while (auto event = core.poll_event()) {
      any = true;
      const Error why = core.last_error().value_or(Error{Errc::timeout, "MQTT session timed out"});
      if (const auto* error = std::get_if<mqtt::ProtocolError>(&*event))
        lose(report, error->error, LossReason::protocol_error);
      else if (std::holds_alternative<mqtt::PingTimedOut>(*event)) lose(report, why, LossReason::keep_alive_timeout);
      else if (std::holds_alternative<mqtt::ConnectTimedOut>(*event)) lose(report, why, LossReason::connack_timeout);
      else if (const auto* refused = std::get_if<mqtt::ConnectRefused>(&*event)) {
        report.refused = true;
        report.refused_code = refused->return_code;
      } else if (std::holds_alternative<mqtt::Connected>(*event)) {
        report.ready = true;
      }
      sink.on_mqtt_event(*event);
    }
    return any;
  }
  void finish() {}
};

struct DpsPeer : Forwarding<iothub::DpsClient> {
  DpsEventSink& sink;
  PumpReport& report;

  void on_time(std::uint64_t now_ms) { core.on_time(now_ms); }
  void finish() { report.ready = core.state() == iothub::DpsClientState::assigned; }

  bool take_events() {
    bool any = false;
    while (auto event = core.poll_event()) {
      any = true;
      if (const auto* refused = std::get_if<iothub::DpsRefused>(&*event)) {
        report.refused = true;
        report.refused_code = refused->code;
      }
      sink.on_dps_event(*event);
    }
    return any;
  }
};

template <class Peer>
Result<bool> write_pending(net::Transport& transport, Peer& peer, bool& progress) {
  for (auto out = peer.pending_output(); !out.empty(); out = peer.pending_output()) {
    auto n = transport.write(out);
    if (!n) {
      if (n.error().code == Errc::would_block) return false;
      return tl::unexpected(n.error());
    }
    if (*n == 0) return false;
    peer.consume_output(*n);
    progress = true;
  }
  return true;
}

// Feeds bytes in, making room (events, output) when the peer's receive buffer is full. Returns how many were
// taken: fewer when the room can only come from output the transport will not take yet (the rest waits in the
// pump for the next step), or when the connection failed (report.lost).
template <class Peer>
std::size_t feed(net::Transport& transport, Peer& peer, PumpReport& report, std::span<const std::uint8_t> bytes,
                 std::uint64_t now_ms) {
  std::size_t taken = 0;
  while (taken < bytes.size()) {
    auto used = peer.receive(bytes.subspan(taken), now_ms);
    if (!used) {
      peer.take_events();
      lose(report, used.error(), LossReason::protocol_error);
      return taken;
    }
    taken += *used;
    const bool took = peer.take_events();
    if (*used != 0) continue;
    bool wrote = false;
    auto w = write_pending(transport, peer, wrote);
    if (!w) {
      lose(report, w.error(), loss_reason_for(w.error(), true));
      return taken;
    }
    if (took || wrote) continue;
    if (!*w) return taken;  // output is stuck behind a full transport: keep the rest for the next step
    // No output, no event, no room: cannot happen with a session (it holds events only for PUBACK room).
    lose(report, Error{Errc::buffer_full, "receive buffer stuck with nothing to send"}, LossReason::protocol_error);
    return taken;
  }
  return taken;
}

// Feeds the bytes held from an earlier step first (they came before anything still unread).
template <class Peer>
bool feed_held(net::Transport& transport, Peer& peer, PumpReport& report, std::span<std::uint8_t> buffer,
               HeldBytes& held, std::uint64_t now_ms) {
  if (held.begin == held.end) return true;
  const auto bytes = std::span<const std::uint8_t>(buffer.data() + held.begin, held.end - held.begin);
  held.begin += feed(transport, peer, report, bytes, now_ms);
  if (held.begin != held.end) return false;
  held = HeldBytes{};
  return true;
}

template <class Peer>
PumpReport run_step(net::Transport& transport, Peer& peer, PumpReport& report, std::span<std::uint8_t> buffer,
                    HeldBytes& held, std::size_t max_reads, std::uint64_t now_ms) {
  bool progress = false;
  const auto write = [&] {
    if (report.lost) return;
    if (auto w = write_pending(transport, peer, progress); !w)
      lose(report, w.error(), loss_reason_for(w.error(), true));
  };
  write();
  const std::size_t before = held.end - held.begin;
  bool room = feed_held(transport, peer, report, buffer, held, now_ms);
  if (held.end - held.begin != before) progress = true;
  for (std::size_t reads = 0; room && !report.lost && reads < max_reads; ++reads) {
    auto n = transport.read(buffer);
    if (!n) {
      if (n.error().code != Errc::would_block) {
        peer.take_events();
        lose(report, n.error(), loss_reason_for(n.error(), false));
      }
      break;
    }
    progress = true;
    held = HeldBytes{feed(transport, peer, report, std::span<const std::uint8_t>(buffer.data(), *n), now_ms), *n};
    room = held.begin == held.end;
    if (room) held = HeldBytes{};
    if (reads + 1 == max_reads) progress = true;  // more may be waiting: come back before sleeping
  }
  if (report.lost) held = HeldBytes{};
  if (peer.take_events()) progress = true;
  peer.on_time(now_ms);
  if (peer.take_events()) progress = true;
  write();
  peer.finish();
  report.progress = progress || transport.has_pending();
  report.next_deadline_ms = peer.next_deadline_ms();
  const bool output_waits = !peer.pending_output().empty() || transport.wants() == net::Wait::writable;
  report.wait = output_waits ? net::Wait::writable : net::Wait::readable;
  return report;
}

}  // namespace

PumpReport Pump::step(net::Transport& transport, iothub::DeviceClient& client, DeviceEventSink& sink,
                      std::uint64_t now_ms, std::uint64_t now_unix) {
  PumpReport report;
  ClientPeer peer{{client}, sink, report, now_unix};
  return run_step(transport, peer, report, buffer_, held_, max_reads_, now_ms);
}

PumpReport Pump::step(net::Transport& transport, mqtt::Session& session, MqttEventSink& sink, std::uint64_t now_ms) {
  PumpReport report;
  SessionPeer peer{{session}, sink, report};
  return run_step(transport, peer, report, buffer_, held_, max_reads_, now_ms);
}

PumpReport Pump::step(net::Transport& transport, iothub::DpsClient& client, DpsEventSink& sink, std::uint64_t now_ms) {
  PumpReport report;
  DpsPeer peer{{client}, sink, report};
  return run_step(transport, peer, report, buffer_, held_, max_reads_, now_ms);
}

Result<bool> Pump::flush(net::Transport& transport, iothub::DeviceClient& client) {
  bool progress = false;
  Forwarding<iothub::DeviceClient> out{client};
  return write_pending(transport, out, progress);
}

Result<bool> Pump::flush(net::Transport& transport, mqtt::Session& session) {
  bool progress = false;
  Forwarding<mqtt::Session> out{session};
  return write_pending(transport, out, progress);
}

}  // namespace picohub::device
