// picohub firmware for the W5100S-EVB-Pico: boot report on UART0, the provisioned configuration from the last
// flash sector, then the cooperative main loop running the tutorial's device (FirmwareApp) beside the status LED
// and a heartbeat. Everything the loop runs is a LoopTask; the watchdog catches a hang.
#include <array>

#include "board.hpp"
#include "board/rp2040/clocks.hpp"
#include "common/version.hpp"
#include "console_line.hpp"
#include "device/line_writer.hpp"
#include "firmware_app.hpp"
#include "led_pattern.hpp"
#include "loop_activity.hpp"
#include "loop_task.hpp"
#include "platform/entropy_health.hpp"
#include "provisioning/config_block.hpp"
#include "status_tasks.hpp"
#include "tls/arena.hpp"

namespace picohub::firmware {
namespace {

// Feeding happens every loop pass; a pass sleeps at most loop_max_sleep_ms, so a healthy loop feeds ~5x per
// timeout. Any single step that takes longer than this is a hang by definition.
constexpr std::uint32_t watchdog_timeout_ms = 5000;
constexpr std::uint32_t loop_max_sleep_ms = 1000;
// The restart code the boot report prints after the reboot direct method.
constexpr std::uint32_t restart_code_reboot_method = 1101;

// mbedTLS's heap, the only one on the board: the trust anchors (parsed at boot) and one session's peak (16 KiB in
// + 4 KiB out records, the hub's chain while it is verified, RSA-4096 and ECDHE temporaries; an X.509 device's
// certificate and key). The virtual board measures a 39,752-byte peak against the Azure-shaped chain with an X.509
// device (bench/firmware_handshake.sh --x509; 42,368 before rsa_public_exp.cpp dropped the exponent's window
// tables): 53 KiB leaves 14 KB for a larger provisioned CA or chain, as 55 KiB did before.
alignas(8) unsigned char tls_arena[53 * 1024];

class UartConsole final : public device::ConsoleSink {
 public:
  explicit UartConsole(Board& board) noexcept : board_(board) {}
  void write_line(std::string_view line) override {
    board_.console_write(line);
    board_.console_write("\r\n");
  }

 private:
  Board& board_;
};

class OnDieTemperature final : public device::Sensor {
 public:
  explicit OnDieTemperature(Board& board) noexcept : board_(board) {}
  Result<device::SensorReading> read() override {
    auto reading = board_.temperature();
    if (!reading || !reading->plausible) return fail(Errc::io_failure, "temperature reading implausible");
    device::SensorReading out;
    // Truncated toward zero as `/ 10` would, through an unsigned divide (no signed-divide routine in the image).
    const std::int32_t milli = reading->millicelsius;
    const auto centi = static_cast<std::int32_t>(static_cast<std::uint32_t>(milli < 0 ? -milli : milli) / 10);
    out.temperature_centi = milli < 0 ? -centi : centi;
    return out;
  }

 private:
  Board& board_;
};

// The LED: blinks while the device is not connected to the hub; once connected, each C2D message toggles it
// (what the tutorial did), and the blink method flashes it N times (100 ms on, 100 ms off) before it goes back.
class StatusLed final : public LoopTask, public device::C2dListener {
 public:
  explicit StatusLed(Board& board) noexcept : board_(board) {}
  void attach(const FirmwareApp& app) noexcept { app_ = &app; }
  // The configuration cannot be used: LedPattern::config_error from now on.
  void show_config_error() noexcept { config_error_ = true; }
  void on_c2d(const iothub::C2dMessage&) override {
    lit_ = !lit_;
    board_.set_led(lit_);
  }
  void blink(std::uint32_t times) noexcept {
    flashes_left_ = times * 2;
    next_ms_ = 0;
  }
  void poll(std::uint64_t now_ms) noexcept override {
    if (config_error_) {
      board_.set_led(led_lit(LedPattern::config_error, now_ms));
      next_ms_ = led_next_change_ms(LedPattern::config_error, now_ms);
      return;
    }
    const bool connected = app_ != nullptr && app_->hub() != nullptr && app_->hub()->up();
    if (connected && flashes_left_ != 0) {
      if (now_ms < next_ms_) return;
      --flashes_left_;
      board_.set_led(flashes_left_ % 2 == 1);  // on, off, on, off ... ending off, then back to lit_
      next_ms_ = now_ms + 100;
      if (flashes_left_ == 0) was_connected_ = false;
      return;
    }
    if (connected) {
      if (!was_connected_) board_.set_led(lit_);
      was_connected_ = true;
      next_ms_ = now_ms + 500;
      return;
    }
    was_connected_ = false;
    if (now_ms < next_ms_) return;
    board_.toggle_led();
    next_ms_ = now_ms + 250;
  }
  std::uint64_t next_deadline_ms() const noexcept override { return next_ms_; }

 private:
  Board& board_;
  const FirmwareApp* app_ = nullptr;
  bool lit_ = false;
  bool was_connected_ = false;
  bool config_error_ = false;
  std::uint32_t flashes_left_ = 0;
  std::uint64_t next_ms_ = 0;
};

// What the direct methods reach on the board: the LED, the figures getStatus reports, and the reboot, which the
// main loop carries out once the answer has left the client (at most 3 s later, so a stuck link cannot stop it).
class BoardControl final : public device::DeviceControl {
 public:
  BoardControl(Board& board, StatusLed& led, device::ConsoleSink& console, std::size_t arena_bytes) noexcept
      : board_(board), led_(led), console_(console), arena_bytes_(arena_bytes) {}
  void attach(const FirmwareApp& app) noexcept { app_ = &app; }

  void blink(std::uint32_t times) override {
    led_.blink(times);
    ConsoleLine line;
    line << "LED: blinking ";
    line.number(times) << " times";
    console_.write_line(line.text());
  }
  std::size_t status_members(std::span<char> out) override {
    device::LineWriter w(out);
    const std::size_t peak = tls::arena_peak_bytes();
    w.text("\"uptimeS\":");
    w.number(board_.clock().now_ms() / 1000);
    w.text(",\"resetReason\":\"");
    w.text(rp2040::describe(board_.reset_reason()));
    w.text("\",\"tlsArenaBytes\":");
    w.number(arena_bytes_);
    w.text(",\"tlsArenaFreeBytes\":");  // what the peak has left unused
    w.number(arena_bytes_ > peak ? arena_bytes_ - peak : 0);
    w.text(",");
    if (app_ != nullptr) w.skip(app_->link_status_members(out.subspan(w.line().size())));
    return w.cut() ? 0 : w.line().size();
  }
  bool request_reboot() override {
    reboot_at_ms_ = board_.clock().now_ms();
    console_.write_line("reboot requested by a direct method: restarting after the answer");
    return true;
  }
  // Restarts (through the watchdog) when a reboot was asked for and its answer is out.
  void poll_reboot(std::uint64_t now_ms) noexcept {
    if (reboot_at_ms_ == never || app_ == nullptr) return;
    const bool sent = app_->output_flushed() && now_ms >= reboot_at_ms_ + 500;  // W5100S: time to transmit
    if (sent || now_ms >= reboot_at_ms_ + 3000) board_.restart(restart_code_reboot_method);
  }
  std::uint64_t next_deadline_ms() const noexcept { return reboot_at_ms_ == never ? never : reboot_at_ms_ + 500; }

 private:
  static constexpr std::uint64_t never = UINT64_MAX;
  Board& board_;
  StatusLed& led_;
  device::ConsoleSink& console_;
  std::size_t arena_bytes_;
  const FirmwareApp* app_ = nullptr;
  std::uint64_t reboot_at_ms_ = never;
};

class AppTask final : public LoopTask {
 public:
  explicit AppTask(FirmwareApp& app) noexcept : app_(app) {}
  void poll(std::uint64_t now_ms) noexcept override { app_.poll(now_ms); }
  std::uint64_t next_deadline_ms() const noexcept override { return app_.next_deadline_ms(); }

 private:
  FirmwareApp& app_;
};

void print_boot_report(Board& board, platform::EntropyHealth health) noexcept {
  board.console_write("\r\npicohub firmware " PICOHUB_VERSION " for W5100S-EVB-Pico\r\n");

  ConsoleLine reset;
  reset << "reset reason: " << rp2040::describe(board.reset_reason());
  if (board.reset_reason() == rp2040::ResetReason::software_request) {
    reset << " (code ";
    reset.number(board.restart_code()) << ")";
  }
  reset << "\r\n";
  board.console_write(reset.text());
  // After a hang, say where: the loop records each step in a watchdog scratch register (loop_activity.hpp).
  const auto hung_in = decode_activity(board.previous_activity());
  if (board.reset_reason() == rp2040::ResetReason::watchdog_timeout && hung_in) {
    ConsoleLine where;
    where << "the previous boot hung during " << describe(*hung_in) << "; restarted by the watchdog\r\n";
    board.console_write(where.text());
  }

  if (board.clock_failures() != 0 || !board.gpio_ready()) {
    ConsoleLine clocks;
    clocks << "WARNING: hardware did not report ready (clock failure bits 0x";
    clocks.number(board.clock_failures(), 16)
        << (board.gpio_ready() ? "" : ", GPIO banks stuck in reset") << "); continuing\r\n";
    board.console_write(clocks.text());
  }

  ConsoleLine entropy;
  entropy << "entropy: ROSC start-up health test (";
  entropy.number(platform::entropy_params::startup_samples) << " samples): " << platform::describe(health);
  if (health != platform::EntropyHealth::ok) entropy << "; TLS is blocked until it passes";
  entropy << "\r\n";
  board.console_write(entropy.text());

  print_temperature(board);
}

}  // namespace
}  // namespace picohub::firmware

int main() {
  using namespace picohub::firmware;
  static Board board;  // static storage, not the stack: it holds every driver
  board.enable_watchdog(watchdog_timeout_ms);
  picohub::tls::install_arena(tls_arena);  // mbedTLS's heap, painted so the TLS line can report its peak
  const picohub::platform::EntropyHealth health = board.start_entropy();
  print_boot_report(board, health);

  static UartConsole console(board);
  static OnDieTemperature sensor(board);
  static StatusLed led(board);
  static BoardControl control(board, led, console, sizeof tls_arena);
  static FirmwareApp app(FirmwarePorts{board.clock(), board.entropy(), board.w5100s_spi(), board.w5100s_reset(),
                                       console, sensor, led, &control});
  led.attach(app);
  control.attach(app);
  static AppTask app_task(app);
  Heartbeat heartbeat(board, 60'000, board.clock().now_ms() + 60'000);

  const auto config = load_config(board.config_flash(), console);
  const bool runnable = config && app.configure(*config);
  if (runnable) {
    app.start(board.clock().now_ms());
  } else {
    led.show_config_error();
    if (config) console.write_line("not connecting: fix the configuration above");
  }

  std::array<LoopTask*, 3> tasks{&led, &heartbeat, &app_task};
  const std::size_t task_count = runnable ? 3 : 2;
  for (;;) {
    const std::uint64_t now = board.clock().now_ms();
    board.record_activity(encode_activity(LoopActivity::status_led));
    led.poll(now);
    board.record_activity(encode_activity(LoopActivity::heartbeat));
    heartbeat.poll(now);
    if (runnable) {
      board.record_activity(encode_activity(app_activity(app.network(), app.hub())));
      app_task.poll(now);
      control.poll_reboot(board.clock().now_ms());
    }
    board.feed_watchdog();
    board.record_activity(encode_activity(LoopActivity::sleeping));
    const std::uint64_t wake = earliest_deadline(std::span(tasks).first(task_count), now + loop_max_sleep_ms);
    board.sleep_until_ms(wake < control.next_deadline_ms() ? wake : control.next_deadline_ms());
  }
}
