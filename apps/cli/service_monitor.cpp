// `picohub monitor`: device-to-cloud telemetry, live from the hub and (with --since) from its log. The local
// answer to `az iot hub monitor-events`, with no AMQP/uamqp dependency and a real start time.
#include "az_event.hpp"
#include "command.hpp"
#include "data_dir.hpp"
#include "service_call.hpp"
#include "service_time.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <ctime>
#include <fnmatch.h>
#include <iostream>
#include <memory>

namespace picohub::cli {

using nlohmann::json;

namespace {

struct MonitorArgs {
  ServiceOptions service;
  std::string device;
  int count = 0;
  double timeout = 300;
  std::string since;
  bool props = false;
  std::string format = "text";  // text | json (our event records) | az (az iot hub monitor-events' JSON)
  std::string content_type;     // az's --content-type hint, for --format az
};

volatile std::sig_atomic_t g_stop = 0;
void stop_monitor(int) { g_stop = 1; }

bool is_pattern(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

json payload_of(const json& event) {
  if (event.contains("body") && event["body"].is_string()) {
    const std::string body = event["body"].get<std::string>();
    auto parsed = json::parse(body, nullptr, false);
    return parsed.is_discarded() ? json(body) : parsed;
  }
  return nullptr;
}

void print_event(const json& event, const MonitorArgs& a) {
  if (a.format == "az") {
    std::cout << to_az_event(event, a.content_type).dump() << std::endl;
    return;
  }
  const bool props = a.props;
  if (a.format == "json") {
    json out = event;
    out["payload"] = payload_of(event);
    std::cout << out.dump() << std::endl;
    return;
  }
  std::cout << "[" << event.value("enqueuedTime", std::string("?")) << "] "
            << event.value("deviceId", std::string("?"));
  if (event.contains("moduleId") && event["moduleId"].is_string())
    std::cout << "/" << event["moduleId"].get<std::string>();
  std::cout << "\n";
  if (props) {
    auto print_bag = [](const char* title, const json& bag) {
      if (!bag.is_object() || bag.empty()) return;
      std::cout << "  " << title << ":\n";
      for (const auto& [k, v] : bag.items()) {
        if (v.is_null()) continue;
        std::cout << "    " << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
      }
    };
    print_bag("system properties", event.value("systemProperties", json::object()));
    print_bag("application properties", event.value("properties", json::object()));
  }
  const json payload = payload_of(event);
  if (payload.is_null()) {
    std::cout << "  payload (binary, base64): " << event.value("bodyBase64", std::string()) << "\n";
  } else if (payload.is_string()) {
    std::cout << "  " << payload.get<std::string>() << "\n";
  } else {
    std::string text = payload.dump(2);
    std::string indented = "  ";
    for (char c : text) {
      indented += c;
      if (c == '\n') indented += "  ";
    }
    std::cout << indented << "\n";
  }
  std::cout << std::endl;
}

int monitor(MonitorArgs& a) {
  if (a.service.json && a.format == "text") a.format = "json";
  const bool json_out = a.service.json;
  std::optional<long long> since_ms;
  if (!a.since.empty()) {
    since_ms = parse_since_ms(a.since, std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
    if (!since_ms) {
      return report_error(
          {exit_usage,
           "--since '" + a.since + "' is not a time: use 2026-11-25T01:02:03Z, 10m (ago), 2h, 1d or unix seconds"},
          json_out);
    }
  }
  if (a.count < 0 || a.timeout < 0) return report_error({exit_usage, "--count and --timeout must be >= 0"}, json_out);
  const auto dir = resolve_data_dir(a.service.data);
  ServiceError err;
  auto client = HubSession::connect(dir, a.service.timeout, err);
  if (!client) return report_error(err, json_out);
  const bool single = !a.device.empty() && !is_pattern(a.device);
  const std::string filter = single ? "$picohub/v1/telemetry/" + a.device : "$picohub/v1/telemetry/#";
  // Subscribe before reading the log so nothing falls between the two; duplicates are dropped by sequence.
  if (!client->subscribe(filter, a.service.timeout, err)) return report_error(err, json_out);

  std::signal(SIGINT, stop_monitor);
  std::signal(SIGTERM, stop_monitor);
  int printed = 0;
  long long last_sequence = -1;
  auto matches = [&](const json& event) {
    if (a.device.empty()) return true;
    const std::string id = event.value("deviceId", std::string());
    return single ? id == a.device : ::fnmatch(a.device.c_str(), id.c_str(), 0) == 0;
  };
  auto emit = [&](const json& event) {
    const long long seq = event.value("sequence", -1LL);
    if (seq >= 0 && seq <= last_sequence) return;
    if (!matches(event)) return;
    if (seq >= 0) last_sequence = seq;
    if (a.count > 0 && printed >= a.count) return;
    print_event(event, a);
    ++printed;
  };

  if (since_ms) {
    // The first messages from TIME on, oldest first, a page at a time (--count N: the first N after TIME).
    constexpr int kPage = 1000;
    long long after = 0;
    while (g_stop == 0 && (a.count == 0 || printed < a.count)) {
      json query = {{"sinceMs", *since_ms}, {"afterSequence", after}, {"limit", kPage}};
      if (!a.device.empty()) query["deviceId"] = a.device;
      const auto history = client->request("telemetry.query", query, a.service.timeout, err);
      if (!history) return report_error(err, json_out);
      const json page = history->value("messages", json::array());
      for (const auto& event : page) {
        emit(event);
        after = std::max(after, event.value("sequence", after));
      }
      if (page.size() < static_cast<std::size_t>(kPage)) break;
    }
  }
  std::cerr << "monitoring telemetry" << (a.device.empty() ? "" : " from " + a.device) << " on " << dir.string()
            << (a.count > 0 ? ", stopping after " + std::to_string(a.count) + " messages" : "")
            << (a.timeout > 0 ? ", for at most " + std::to_string(static_cast<int>(a.timeout)) + " s" : "")
            << " (Ctrl-C to stop)" << std::endl;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(a.timeout);
  while (g_stop == 0 && (a.count == 0 || printed < a.count)) {
    if (a.timeout > 0 && std::chrono::steady_clock::now() >= deadline) break;
    while (!client->inbox().empty()) {
      Incoming message = std::move(client->inbox().front());
      client->inbox().pop_front();
      if (message.topic.rfind("$picohub/v1/telemetry/", 0) != 0) continue;
      auto event = json::parse(message.payload, nullptr, false);
      if (event.is_object()) emit(event);
    }
    if (a.count > 0 && printed >= a.count) break;
    if (!client->pump(100, err)) return report_error(err, json_out);
  }
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (a.count > 0 && printed < a.count && g_stop == 0) {
    return report_error({exit_failure, "timed out after " + std::to_string(static_cast<int>(a.timeout)) + " s with " +
                                           std::to_string(printed) + " of " + std::to_string(a.count) +
                                           " messages: is the device connected and sending? (picohub device list)"},
                        false);
  }
  return exit_ok;
}

}  // namespace

PICOHUB_COMMAND(62, [](CLI::App& root, int& exit_code) {
  auto args = std::make_shared<MonitorArgs>();
  auto* sub = root.add_subcommand("monitor",
                                  "watch device-to-cloud telemetry (live, and from the hub's log with --since)");
  add_service_options(*sub, args->service);
  sub->add_option("--device,-d", args->device, "device id, or a glob pattern such as 'sensor-*'");
  sub->add_option("--count,-n", args->count, "stop after N messages (exit 1 if fewer arrive before --timeout)");
  sub->add_option("--timeout,-t", args->timeout, "stop after S seconds (default 300; 0 = until Ctrl-C)");
  sub->add_option("--since", args->since,
                  "first replay the log from TIME: 2026-11-25T01:02:03Z, 10m / 2h / 1d ago, or unix seconds");
  sub->add_flag("--props", args->props, "show system and application properties");
  sub->add_option("--format", args->format,
                  "text (default), json (the hub's event records, as --json), or az: the JSON that "
                  "'az iot hub monitor-events --output json --props all' prints, one event per line")
      ->check(CLI::IsMember({"text", "json", "az"}));
  sub->add_option("--content-type,--ct", args->content_type,
                  "with --format az: parse payloads as this content type (as az's --content-type); default: the "
                  "message's own content-type");
  sub->callback([args, &exit_code] { exit_code = monitor(*args); });
});

}  // namespace picohub::cli
