// device::Pump: ONE non-blocking step of moving bytes between a net::Transport and a sans-I/O protocol peer
// (iothub::DeviceClient on the device path, a bare mqtt::Session for benchmarks). The host DeviceLink, the
// bench publishers and the firmware main loop all call it; none of them repeats the dance of short writes,
// a full receive buffer and PUBACKs that wait for output room.
//
// One step:
//   1. writes pending output until the transport would block (short writes keep the rest pending; the next
//      write starts with the same bytes, as TLS requires)
//   2. reads what is available (a bounded number of reads, so a flood cannot starve the main loop) and feeds
//      it in; when the peer's receive buffer is full it takes events and writes output to make room. If the
//      room depends on output the transport will not take yet (PUBACKs behind a full socket), the rest of the
//      read is held in the pump and fed first on the next step: nothing blocks and nothing is dropped
//   3. takes events (to the caller's sink), calls on_time(), takes the events that raised, writes again
//   4. reports: progress (call again before sleeping), what the transport waits for, the peer's next deadline,
//      and a lost connection with its reason
// It never blocks, never allocates and never closes the transport: closing is the supervisor's decision.
// One Pump serves one connection at a time: call reset() when the transport is closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.hpp"
#include "device/connection_supervisor.hpp"
#include "iothub/device_client.hpp"
#include "iothub/dps_client.hpp"
#include "mqtt/session.hpp"
#include "net/transport.hpp"

namespace picohub::device {

// Receives every event a step takes, in order. Views inside an event are valid only during the call.
class DeviceEventSink {
 public:
  virtual void on_device_event(const iothub::DeviceEvent& event) = 0;

 protected:
  ~DeviceEventSink() = default;
};

class MqttEventSink {
 public:
  virtual void on_mqtt_event(const mqtt::Event& event) = 0;

 protected:
  ~MqttEventSink() = default;
};

// The Device Provisioning Service client's events (registration before the hub connection).
class DpsEventSink {
 public:
  virtual void on_dps_event(const iothub::DpsEvent& event) = 0;

 protected:
  ~DpsEventSink() = default;
};

struct PumpReport {
  bool progress = false;                 // bytes moved or events taken: step again before sleeping
  net::Wait wait = net::Wait::readable;  // what the transport waits for (writable while output is pending)
  std::uint64_t next_deadline_ms = mqtt::Session::no_deadline;  // the peer's own next deadline
  // What the peer said about the connection during this step (DeviceClient only; see also client.state()).
  bool ready = false;        // connected and subscribed
  bool renewal_due = false;  // RenewalDue: the DISCONNECT is queued; close once pending output is written
  bool refused = false;      // CONNACK refused; refused_code says which
  mqtt::ConnectReturnCode refused_code = mqtt::ConnectReturnCode::accepted;
  bool lost = false;  // the connection is unusable: close it (loss says why, error has the words)
  LossReason loss = LossReason::none;
  Error error{Errc::connection_closed, ""};
};

// A transport error as a loss reason (writing: it came from write()).
LossReason loss_reason_for(const Error& error, bool writing) noexcept;

// Bytes of the read buffer, [begin, end), read from the transport but not yet taken by the peer.
struct HeldBytes {
  std::size_t begin = 0;
  std::size_t end = 0;
};

class Pump {
 public:
  // `read_buffer` holds one transport read (the board can give 1-2 KiB, the host 16 KiB).
  // `max_reads` bounds the reads of one step.
  explicit Pump(std::span<std::uint8_t> read_buffer, std::size_t max_reads = 8) noexcept
      : buffer_(read_buffer), max_reads_(max_reads) {}

  PumpReport step(net::Transport& transport, iothub::DeviceClient& client, DeviceEventSink& sink, std::uint64_t now_ms,
                  std::uint64_t now_unix);
  PumpReport step(net::Transport& transport, mqtt::Session& session, MqttEventSink& sink, std::uint64_t now_ms);
  // DPS: refused reports a refused CONNACK; the outcome (assigned, failed) is the sink's and client.state()'s.
  PumpReport step(net::Transport& transport, iothub::DpsClient& client, DpsEventSink& sink, std::uint64_t now_ms);

  // Forgets bytes held from the previous connection. Call whenever the transport is closed.
  void reset() noexcept { held_ = HeldBytes{}; }
  bool holding() const noexcept { return held_.begin != held_.end; }

  // Writes pending output until empty or would_block. true once everything is written (DISCONNECT on close).
  static Result<bool> flush(net::Transport& transport, iothub::DeviceClient& client);
  static Result<bool> flush(net::Transport& transport, mqtt::Session& session);

 private:
  std::span<std::uint8_t> buffer_;
  std::size_t max_reads_;
  HeldBytes held_{};
};

}  // namespace picohub::device
