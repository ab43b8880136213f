// TutorialApp's cloud control: the desired telemetryInterval and the direct methods blink, getStatus, reboot.
#include "device/line_writer.hpp"
#include "device/tutorial_app.hpp"
#include "iothub/json_scan.hpp"

namespace picohub::device {
namespace {

std::string_view as_text(std::span<const std::uint8_t> bytes) noexcept {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

iothub::MethodResult answer(std::span<char> out, int status, std::string_view body) noexcept {
  LineWriter w(out);
  w.text(body);
  return {w.cut() ? 500 : status, w.cut() ? 0 : body.size()};
}

constexpr std::uint32_t max_blinks = 20;

}  // namespace

void TutorialApp::enable_cloud_control(DeviceControl& control) noexcept {
  control_ = &control;
  methods_ = {iothub::Method{"blink", &TutorialApp::blink, this},
              iothub::Method{"getStatus", &TutorialApp::get_status, this},
              iothub::Method{"reboot", &TutorialApp::reboot, this}};
  client_.set_methods(methods_);
}

void TutorialApp::on_control_event(const iothub::DeviceEvent& event) {
  if (control_ == nullptr) return;
  if (const auto* doc = std::get_if<iothub::TwinDocument>(&event)) {
    on_twin_document(*doc);
  } else if (const auto* patch = std::get_if<iothub::DesiredPatch>(&event)) {
    apply_desired(as_text(patch->payload), patch->version);
  } else if (const auto* ack = std::get_if<iothub::ReportedAcked>(&event)) {
    LineWriter line(line_);
    line.text(ack->status == 204 ? "  reported properties stored (version " : "  reported properties refused (status ");
    if (ack->status == 204) line.number(ack->version.value_or(0));
    else line.number(static_cast<std::uint64_t>(ack->status < 0 ? 0 : ack->status));
    line.text(")");
    console_.write_line(line.line());
  } else if (const auto* m = std::get_if<iothub::MethodCalled>(&event)) {
    LineWriter line(line_);
    line.text("Method ");
    line.text(m->name);
    line.text(": status ");
    line.signed_number(m->status);
    line.text(m->sent ? ", answer " : ", answer NOT sent (output full) ");
    line.text(m->response);
    console_.write_line(line.line());
  }
}

void TutorialApp::on_twin_document(const iothub::TwinDocument& doc) {
  LineWriter line(line_);
  if (doc.too_large) {
    line.text("Twin document of ");
    line.number(doc.size);
    line.text(" bytes does not fit the receive buffer (");
    line.number(doc.capacity);
    line.text(" bytes): desired properties not applied; telemetry stays every ");
    line.number(options_.interval_ms / 1000);
    line.text(" s");
    console_.write_line(line.line());
  } else if (doc.status != 200) {
    line.text("Twin GET answered status ");
    line.signed_number(doc.status);
    console_.write_line(line.line());
  } else {
    line.text("Twin received (desired version ");
    line.number(doc.desired_version);
    line.text(")");
    console_.write_line(line.line());
    const auto desired = iothub::json_member(as_text(doc.payload), "desired");
    if (desired && iothub::json_member(*desired, "telemetryInterval")) {
      apply_desired(*desired, doc.desired_version);
      return;
    }
  }
  queue_report({}, 0);  // the reported side shows the interval in use from the first connection on
}

void TutorialApp::apply_desired(std::string_view desired, std::uint64_t version) {
  const auto value = iothub::json_member(desired, "telemetryInterval");
  if (!value || iothub::json_is_null(*value)) return;  // not about us, or deleted: keep the period
  const auto seconds = iothub::json_integer(*value);
  LineWriter line(line_);
  line.text("Desired telemetryInterval ");
  line.text(*value);
  line.text(" (twin version ");
  line.number(version);
  if (!seconds || *seconds < min_telemetry_interval_s || *seconds > max_telemetry_interval_s) {
    line.text("): refused, not an integer in 1..3600 s; telemetry stays every ");
    line.number(options_.interval_ms / 1000);
    line.text(" s");
    console_.write_line(line.line());
    queue_report("\"not an integer in 1..3600 s\"", seconds.value_or(0));
    return;
  }
  line.text("): sending every ");
  line.signed_number(*seconds);
  line.text(" s");
  console_.write_line(line.line());
  set_interval_s(static_cast<std::uint32_t>(*seconds));
  queue_report({}, 0);
}

// The next message is due one new interval after the last one (at once if that has passed).
void TutorialApp::set_interval_s(std::uint32_t seconds) {
  options_.interval_ms = seconds * 1000;
  if (due_ms_ == no_deadline || sent_ == 0) return;
  const std::uint64_t due = last_made_ms_ + options_.interval_ms;
  due_ms_ = due > now_ms_ ? due : now_ms_;
}

// {"telemetryInterval":N,"telemetryIntervalError":null} or, refused, with the error text and the value asked for.
void TutorialApp::queue_report(std::string_view error_value, std::int64_t asked) {
  LineWriter body(report_body_);
  body.text("{\"telemetryInterval\":");
  body.number(options_.interval_ms / 1000);
  body.text(",\"telemetryIntervalError\":");
  if (error_value.empty()) {
    body.text("null}");
  } else {
    body.text("{\"message\":");
    body.text(error_value);
    body.text(",\"asked\":");
    body.signed_number(asked);
    body.text("}}");
  }
  report_size_ = body.cut() ? 0 : body.line().size();
  report_pending_ = report_size_ != 0;
  try_report();
}

void TutorialApp::try_report() {
  const std::string_view body(report_body_.data(), report_size_);
  auto rid = client_.report(body, now_ms_);
  if (!rid) return;  // not connected or requests outstanding: on_time() tries again (a reconnect GETs anew)
  report_pending_ = false;
  LineWriter line(line_);
  line.text("  reporting ");
  line.text(body);
  console_.write_line(line.line());
}

iothub::MethodResult TutorialApp::blink(void* self, std::span<const std::uint8_t> request,
                                        std::span<char> out) noexcept {
  auto& app = *static_cast<TutorialApp*>(self);
  std::int64_t times = 3;
  if (auto value = iothub::json_member(as_text(request), "times")) {
    auto n = iothub::json_integer(*value);
    if (!n || *n < 1 || *n > max_blinks) return answer(out, 400, "{\"message\":\"times must be an integer in 1..20\"}");
    times = *n;
  }
  app.control_->blink(static_cast<std::uint32_t>(times));
  LineWriter w(out);
  w.text("{\"blinking\":");
  w.signed_number(times);
  w.text("}");
  return {w.cut() ? 500 : 200, w.cut() ? 0 : w.line().size()};
}

iothub::MethodResult TutorialApp::get_status(void* self, std::span<const std::uint8_t>, std::span<char> out) noexcept {
  auto& app = *static_cast<TutorialApp*>(self);
  LineWriter w(out);
  w.text("{");
  const std::size_t members = out.size() > 1 ? app.control_->status_members(out.subspan(1)) : 0;
  w.skip(members);
  w.text(members != 0 ? ",\"telemetryIntervalS\":" : "\"telemetryIntervalS\":");
  w.number(app.options_.interval_ms / 1000);
  w.text(",\"messagesSent\":");
  w.number(app.sent_);
  w.text(",\"messagesAcked\":");
  w.number(app.acked_);
  w.text(",\"dropped\":");
  w.number(app.dropped_);
  w.text(",\"telemetryQueued\":");
  w.number(app.queue_.size());
  w.text(",\"telemetryDropped\":");
  w.number(app.telemetry_dropped());
  w.text("}");
  if (w.cut()) return answer(out, 500, "{\"message\":\"status does not fit the answer buffer\"}");
  return {200, w.line().size()};
}

iothub::MethodResult TutorialApp::reboot(void* self, std::span<const std::uint8_t>, std::span<char> out) noexcept {
  auto& app = *static_cast<TutorialApp*>(self);
  if (!app.control_->request_reboot())
    return answer(out, 501, "{\"message\":\"reboot is not supported on this device\"}");
  return answer(out, 200, "{\"message\":\"rebooting once this answer is sent\"}");
}

}  // namespace picohub::device
