// device::TutorialApp: the tutorial's application, portable. Every interval it reads a sensor and sends
//
//   {"messageId":n,"temperature":21.50,"humidity":44.10}     (content type application/json, encoding utf-8)
//
// and it prints what happens, with the same lines on the host (`picohub sim`) and on the board's console:
//
//   Sending message 3: {"messageId":3,"temperature":21.50,"humidity":44.10}
//     acknowledged by the hub (PUBACK, packet id 3)
//   Received message: hello
//     message-id: m-1
//     color: blue
//
// With cloud control enabled (enable_cloud_control(), the client built with options.twin and options.methods):
//
//   desired telemetryInterval (s, 1..3600)  changes the send period; reported back as {"telemetryInterval":N};
//                                           out of range or not an integer: the period stays, and the reported
//                                           side says why (telemetryIntervalError)
//   method blink {"times":N}                DeviceControl::blink (the board's LED; a line on the host)
//   method getStatus                        uptime and link figures from DeviceControl, plus the app's counters
//   method reboot                           200 then DeviceControl reboots (the board, after the answer is out),
//                                           or 501 where the device cannot (the host sim)
//
// Readings are made on schedule whether or not the hub is reachable: each goes into a bounded TelemetryQueue and
// from there to the client in order, so an outage or a token renewal delays telemetry instead of losing it; a
// full queue drops its oldest reading with a console line and a count (getStatus's telemetryDropped).
//
// It is fed time (on_time) and device events (on_event) by its shell and never blocks or allocates; the shell
// owns the connection (DeviceLink on the host, the firmware main loop on the board). Readings are integers in
// hundredths, written without printf's %f (newlib-nano on the board has none).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/error.hpp"
#include "device/telemetry_queue.hpp"
#include "iothub/device_client.hpp"

namespace picohub::device {

struct SensorReading {
  std::int32_t temperature_centi = 0;  // 2150 = 21.50 °C
  bool has_humidity = false;           // the board has no humidity sensor: the field is left out
  std::int32_t humidity_centi = 0;     // 4410 = 44.10 %
};

// Host: random values like the tutorial's; board: the RP2040's on-die temperature sensor.
class Sensor {
 public:
  virtual Result<SensorReading> read() = 0;

 protected:
  ~Sensor() = default;
};

// Where console lines go (stdout on the host, UART0 on the board). `line` has no newline.
class ConsoleSink {
 public:
  virtual void write_line(std::string_view line) = 0;

 protected:
  ~ConsoleSink() = default;
};

// Called for every cloud-to-device message after it was printed (the board toggles its LED).
class C2dListener {
 public:
  virtual void on_c2d(const iothub::C2dMessage& message) = 0;

 protected:
  ~C2dListener() = default;
};

// What the device itself does for direct methods: the board and the host sim each have one.
class DeviceControl {
 public:
  virtual void blink(std::uint32_t times) = 0;
  // Writes JSON object members without the braces ("uptimeS":12,"ip":"192.0.2.10",...) into `out` and
  // returns how many bytes it wrote (at most out.size()).
  virtual std::size_t status_members(std::span<char> out) = 0;
  // true: the device reboots once the answer is out (the shell carries it out); false: it cannot (501).
  virtual bool request_reboot() = 0;

 protected:
  ~DeviceControl() = default;
};

inline constexpr std::uint32_t min_telemetry_interval_s = 1, max_telemetry_interval_s = 3600;

struct TutorialOptions {
  std::uint32_t interval_ms = 5'000;  // 0: the next reading once the queue is empty (throughput mode)
  std::uint32_t count = 0;            // messages to send; 0 = no end (the board)
  mqtt::QoS qos = mqtt::QoS::at_least_once;
  std::uint32_t retry_ms = 100;  // in-flight window full or not connected: offer the queue again after this
};

class TutorialApp {
 public:
  // `line_buffer` holds one console line; longer lines (a large C2D payload) are cut and marked. `queue_slots`
  // hold the readings not taken by the client yet (at least one; a reading that finds them full drops the oldest).
  TutorialApp(iothub::DeviceClient& client, Sensor& sensor, ConsoleSink& console, std::span<char> line_buffer,
              std::span<QueuedTelemetry> queue_slots, TutorialOptions options) noexcept;

  void set_c2d_listener(C2dListener* listener) noexcept { listener_ = listener; }
  // Registers the methods with the client and acts on the twin from now on. `control` outlives the app.
  void enable_cloud_control(DeviceControl& control) noexcept;

  // The first message is due at `now_ms`.
  void start(std::uint64_t now_ms) noexcept;
  // Makes the next reading when it is due and offers the queue to the client, oldest first. A full in-flight
  // window or a connection that is not up keeps them queued (retried after retry_ms). Errors retrying cannot
  // fix (too_large, ...) are returned; the message is then dropped and counted.
  Result<void> on_time(std::uint64_t now_ms);
  // Prints PUBACKs, C2D messages with their properties, and dropped over-size messages; counts them.
  void on_event(const iothub::DeviceEvent& event);
  // When on_time() has something to do (no_deadline once `count` messages are sent).
  std::uint64_t next_deadline_ms() const noexcept;

  bool done_sending() const noexcept { return options_.count != 0 && sent_ == options_.count && queue_.empty(); }
  std::uint32_t sent() const noexcept { return sent_; }  // readings made (queued or handed to the client)
  std::uint32_t acked() const noexcept { return acked_; }
  std::uint32_t received() const noexcept { return received_; }
  std::uint32_t dropped() const noexcept { return dropped_; }  // over-size C2D messages
  std::uint32_t telemetry_dropped() const noexcept { return queue_.dropped() + refused_; }
  std::size_t queued() const noexcept { return queue_.size(); }
  std::uint32_t interval_ms() const noexcept { return options_.interval_ms; }

  static constexpr std::uint64_t no_deadline = UINT64_MAX;

 private:
  bool more_to_make() const noexcept;
  Result<void> make_message();
  void enqueue(std::string_view body);
  Result<void> drain(std::uint64_t now_ms);
  void print_c2d(const iothub::C2dMessage& message);
  void print_field(std::string_view name, std::string_view value);
  void print_dropped(const iothub::MessageDropped& d);
  // Twin and methods (tutorial_app_control.cpp).
  void on_control_event(const iothub::DeviceEvent& event);
  void on_twin_document(const iothub::TwinDocument& doc);
  void apply_desired(std::string_view desired, std::uint64_t version);
  void set_interval_s(std::uint32_t seconds);
  void queue_report(std::string_view error_value, std::int64_t asked);
  void try_report();
  static iothub::MethodResult blink(void* self, std::span<const std::uint8_t> request, std::span<char> out) noexcept;
  static iothub::MethodResult get_status(void* self, std::span<const std::uint8_t> request,
                                         std::span<char> out) noexcept;
  static iothub::MethodResult reboot(void* self, std::span<const std::uint8_t> request, std::span<char> out) noexcept;

  iothub::DeviceClient& client_;
  Sensor& sensor_;
  ConsoleSink& console_;
  std::span<char> line_;
  TutorialOptions options_;
  C2dListener* listener_ = nullptr;
  std::uint64_t due_ms_ = no_deadline;    // the next reading
  std::uint64_t retry_ms_ = no_deadline;  // the queue is offered to the client again
  TelemetryQueue queue_;
  bool held_ = false;  // the queue waits for a connection (said once per outage)
  std::uint32_t sent_ = 0, acked_ = 0, received_ = 0, dropped_ = 0, refused_ = 0;

  DeviceControl* control_ = nullptr;
  std::array<iothub::Method, 3> methods_{};
  std::uint64_t now_ms_ = 0;        // the latest on_time()
  std::uint64_t last_made_ms_ = 0;  // when the last reading was made
  bool report_pending_ = false;     // report_body_ waits for the client to take it
  std::array<char, 128> report_body_{};
  std::size_t report_size_ = 0;
};

}  // namespace picohub::device
