#include "device/tutorial_app.hpp"

#include <algorithm>
#include <charconv>

#include "device/fixed_point.hpp"
#include "device/line_writer.hpp"

namespace picohub::device {

namespace {

std::string_view as_text(std::span<const std::uint8_t> bytes) noexcept {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::span<const std::uint8_t> as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

TutorialApp::TutorialApp(iothub::DeviceClient& client, Sensor& sensor, ConsoleSink& console,
                         std::span<char> line_buffer, std::span<QueuedTelemetry> queue_slots,
                         TutorialOptions options) noexcept
    : client_(client), sensor_(sensor), console_(console), line_(line_buffer), options_(options), queue_(queue_slots) {}

void TutorialApp::start(std::uint64_t now_ms) noexcept { due_ms_ = now_ms; }

bool TutorialApp::more_to_make() const noexcept { return options_.count == 0 || sent_ < options_.count; }

std::uint64_t TutorialApp::next_deadline_ms() const noexcept {
  const std::uint64_t report = report_pending_ ? now_ms_ + options_.retry_ms : no_deadline;
  // Throughput mode makes the next reading only once the queue is empty: until then the retry is what's due.
  const bool may_make = more_to_make() && (options_.interval_ms != 0 || queue_.empty());
  const std::uint64_t make = may_make ? due_ms_ : no_deadline;
  const std::uint64_t retry = queue_.empty() ? no_deadline : retry_ms_;
  return std::min({report, make, retry});
}

Result<void> TutorialApp::make_message() {
  auto reading = sensor_.read();
  if (!reading) return tl::unexpected(reading.error());
  std::array<char, max_telemetry_body_bytes> text{};
  LineWriter body(text);
  body.text("{\"messageId\":");
  body.number(sent_ + 1);
  body.text(",\"temperature\":");
  body.hundredths(reading->temperature_centi);
  if (reading->has_humidity) {
    body.text(",\"humidity\":");
    body.hundredths(reading->humidity_centi);
  }
  body.text("}");
  if (body.cut()) return fail(Errc::too_large, "telemetry message does not fit its buffer");
  ++sent_;
  LineWriter line(line_);
  line.text("Sending message ");
  line.number(sent_);
  line.text(": ");
  line.text(body.line());
  console_.write_line(line.line());
  enqueue(body.line());
  return {};
}

// A full queue gives up its oldest reading for the newest one, and says so.
void TutorialApp::enqueue(std::string_view body) {
  const auto gone = queue_.push(body, sent_);
  if (!gone) return;
  LineWriter line(line_);
  line.text("  queue full (");
  line.number(queue_.capacity());
  line.text(queue_.capacity() == 1 ? " reading): dropped message " : " readings): dropped message ");
  line.number(*gone);
  line.text(", the oldest; ");
  line.number(telemetry_dropped());
  line.text(" dropped so far");
  console_.write_line(line.line());
}

// Offers the queued readings to the client, oldest first, until it takes no more.
Result<void> TutorialApp::drain(std::uint64_t now_ms) {
  static constexpr iothub::MessageProperties json{{}, {}, "application/json", "utf-8", {}};
  while (!queue_.empty()) {
    // Not up: hold them here (the session would also store a few QoS 1 publishes, but the queue says so).
    auto id = client_.state() == iothub::DeviceClientState::ready
                  ? client_.send_telemetry(as_bytes(queue_.front().text()), json, options_.qos, now_ms)
                  : fail(Errc::not_connected, "not connected");
    if (!id) {
      const auto code = id.error().code;
      if (code == Errc::buffer_full || code == Errc::not_connected) {
        if (code == Errc::not_connected && !held_) {
          held_ = true;
          LineWriter line(line_);
          line.text("  not connected: ");
          line.number(queue_.size());
          line.text(" queued (room for ");
          line.number(queue_.capacity());
          line.text("), sent in order once the hub is back");
          console_.write_line(line.line());
        }
        retry_ms_ = now_ms + options_.retry_ms;
        return {};
      }
      queue_.pop();
      ++refused_;
      return tl::unexpected(id.error());
    }
    if (held_) {
      held_ = false;
      LineWriter line(line_);
      line.text("  connected again: sending ");
      line.number(queue_.size());
      line.text(queue_.size() == 1 ? " queued reading" : " queued readings in order");
      console_.write_line(line.line());
    }
    queue_.pop();
    if (options_.qos == mqtt::QoS::at_most_once) console_.write_line("  sent (QoS 0: the hub does not acknowledge)");
  }
  retry_ms_ = no_deadline;
  return {};
}

Result<void> TutorialApp::on_time(std::uint64_t now_ms) {
  now_ms_ = now_ms;
  if (report_pending_) try_report();
  const bool throughput_waits = options_.interval_ms == 0 && !queue_.empty();
  if (now_ms >= due_ms_ && !throughput_waits) {
    if (!more_to_make()) {
      due_ms_ = no_deadline;
    } else {
      last_made_ms_ = now_ms;
      due_ms_ = now_ms + options_.interval_ms;  // a failed reading skips one interval
      if (auto made = make_message(); !made) return made;
    }
  }
  return drain(now_ms);
}

void TutorialApp::print_field(std::string_view name, std::string_view value) {
  LineWriter line(line_);
  line.text("  ");
  line.text(name);
  line.text(": ");
  line.text(value);
  console_.write_line(line.line());
}

void TutorialApp::print_c2d(const iothub::C2dMessage& m) {
  LineWriter line(line_);
  line.text("Received message: ");
  line.text(as_text(m.payload));
  console_.write_line(line.line());
  if (!m.message_id.empty()) print_field("message-id", m.message_id);
  if (!m.correlation_id.empty()) print_field("correlation-id", m.correlation_id);
  if (!m.content_type.empty()) print_field("content-type", m.content_type);
  if (!m.content_encoding.empty()) print_field("content-encoding", m.content_encoding);
  for (const auto& p : m.properties) {
    if (!p.is_null) {
      print_field(p.key, p.value);
      continue;
    }
    LineWriter null_line(line_);
    null_line.text("  ");
    null_line.text(p.key);
    null_line.text(" (no value)");
    console_.write_line(null_line.line());
  }
  if (m.properties_truncated) console_.write_line("  (more properties than this device keeps)");
}

void TutorialApp::on_event(const iothub::DeviceEvent& event) {
  if (const auto* ack = std::get_if<iothub::TelemetryAcked>(&event)) {
    ++acked_;
    LineWriter line(line_);
    line.text("  acknowledged by the hub (PUBACK, packet id ");
    line.number(ack->packet_id);
    line.text(")");
    console_.write_line(line.line());
  } else if (const auto* m = std::get_if<iothub::C2dMessage>(&event)) {
    ++received_;
    print_c2d(*m);
    if (listener_ != nullptr) listener_->on_c2d(*m);
  } else if (const auto* d = std::get_if<iothub::MessageDropped>(&event)) {
    print_dropped(*d);
  } else {
    on_control_event(event);
  }
}

void TutorialApp::print_dropped(const iothub::MessageDropped& d) {
  ++dropped_;
  LineWriter line(line_);
  // QoS 1 is C2D; QoS 0 is a twin patch or a method request (both come at QoS 0).
  line.text(d.packet_id != 0 ? "Dropped a cloud-to-device message of " : "Dropped a message from the hub of ");
  line.number(d.size);
  line.text(" bytes (receive buffer: ");
  line.number(d.capacity);
  line.text(d.packet_id != 0 ? " bytes); acknowledged so the hub does not resend it"
                             : " bytes): a twin patch or method request too large for this device");
  line.text("; ");
  line.number(dropped_);
  line.text(" dropped so far");
  console_.write_line(line.line());
}

}  // namespace picohub::device
