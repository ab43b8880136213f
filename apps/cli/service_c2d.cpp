// `picohub c2d send`: queue a cloud-to-device message (az iot device c2d-message send / IoT Explorer's
// "Cloud-to-device message"). --data is the payload as in az; the hub directory is --data-dir here.
// `picohub c2d feedback [--wait]`: the delivery outcomes asked for with --ack (az iot hub monitor-feedback).
#include "command.hpp"
#include "service_call.hpp"

#include "hub/codec.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

namespace picohub::cli {

using nlohmann::json;

namespace {

struct C2dArgs {
  ServiceOptions service;
  std::string id;
  std::string data;
  std::string data_file;
  std::vector<std::string> props;
  std::string mid;
  std::string cid;
  std::string ack;
  std::string content_type;
  std::string content_encoding;
  int ttl = 0;
};

int c2d_send(C2dArgs& a) {
  const bool json_out = a.service.json;
  std::string payload = a.data;
  if (!a.data_file.empty()) {
    std::ifstream in(a.data_file, std::ios::binary);
    if (!in) return report_error({exit_usage, "cannot read --data-file " + a.data_file}, json_out);
    std::stringstream ss;
    ss << in.rdbuf();
    payload = ss.str();
  }
  if (payload.size() > 65536) {
    return report_error({exit_usage, "the payload is " + std::to_string(payload.size()) +
                                         " bytes: IoT Hub's C2D limit is 65536 (64 KB)"},
                        json_out);
  }
  json properties = json::object();
  for (const auto& p : a.props) {
    const auto eq = p.find('=');
    const std::string key = p.substr(0, eq);
    if (key.empty())
      return report_error({exit_usage, "--prop '" + p + "' has no name: use --prop key=value"}, json_out);
    properties[key] = eq == std::string::npos ? json(nullptr) : json(p.substr(eq + 1));
  }
  json fields = {{"deviceId", a.id}, {"payloadBase64", hub::base64_encode(payload)}, {"properties", properties}};
  if (!a.mid.empty()) fields["messageId"] = a.mid;
  if (!a.cid.empty()) fields["messageCorrelationId"] = a.cid;
  if (!a.ack.empty()) fields["ack"] = a.ack;
  if (a.ttl != 0) fields["ttlSeconds"] = a.ttl;
  if (!a.content_type.empty()) fields["contentType"] = a.content_type;
  if (!a.content_encoding.empty()) fields["contentEncoding"] = a.content_encoding;
  ServiceError err;
  const auto body = call_hub(a.service, "c2d.send", fields, err);
  if (!body) {
    explain_hub_error(err, a.id);
    return report_error(err, json_out);
  }
  if (json_out) {
    std::cout << body->dump(2) << '\n';
  } else {
    std::cout << "queued message " << body->value("messageId", std::string("?")) << " for '" << a.id
              << "' (queue depth " << body->value("queueDepth", 0)
              << "): delivered now if the device is connected and subscribed, otherwise when it next connects\n";
  }
  return exit_ok;
}

struct FeedbackArgs {
  ServiceOptions service;
  bool wait = false;
  double timeout = 30;
};

// Takes the hub's pending feedback records (they are removed once read). --wait polls until one arrives.
int c2d_feedback(FeedbackArgs& a) {
  const bool json_out = a.service.json;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(a.timeout);
  for (;;) {
    ServiceError err;
    const auto body = call_hub(a.service, "c2d.feedback", json::object(), err);
    if (!body) return report_error(err, json_out);
    const json records = body->value("records", json::array());
    if (!records.empty() || !a.wait || std::chrono::steady_clock::now() >= deadline) {
      if (json_out) {
        std::cout << records.dump(2) << '\n';
      } else if (records.empty()) {
        std::cout << "no feedback" << (a.wait ? " within the timeout" : "")
                  << " (feedback is recorded for messages sent with --ack positive|negative|full)\n";
      } else {
        for (const auto& r : records) {
          std::cout << r.value("enqueuedTimeUtc", "") << "  " << r.value("deviceId", "") << "  "
                    << r.value("originalMessageId", "") << "  " << r.value("statusCode", "") << '\n';
        }
      }
      return records.empty() && a.wait ? exit_failure : exit_ok;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace

PICOHUB_COMMAND(63, [](CLI::App& root, int& exit_code) {
  auto* c2d = root.add_subcommand("c2d", "cloud-to-device messages");
  c2d->require_subcommand(1);
  auto args = std::make_shared<C2dArgs>();
  auto* send = c2d->add_subcommand("send", "queue a message for a device (at most 50 pending per device)");
  add_service_options(*send, args->service, true);
  send->add_option("id", args->id, "device id")->required();
  auto* data = send->add_option("--data", args->data, "message body text");
  auto* file = send->add_option("--data-file", args->data_file, "read the body from a file (binary is fine)");
  data->excludes(file);
  send->add_option("--prop,-p", args->props, "application property key=value (repeatable; 'key' alone = null)")
      ->allow_extra_args(false);
  send->add_option("--mid", args->mid, "message id (default: a new UUID)");
  send->add_option("--cid", args->cid, "correlation id");
  send->add_option("--ack", args->ack, "feedback requested: none, positive, negative or full")
      ->check(CLI::IsMember({"none", "positive", "negative", "full"}));
  send->add_option("--ttl", args->ttl, "seconds before it expires undelivered (60..172800, default 3600)")
      ->check(CLI::Range(60, 172800));
  send->add_option("--content-type,--ct", args->content_type, "content type, e.g. application/json");
  send->add_option("--content-encoding,--ce", args->content_encoding, "content encoding, e.g. utf-8");
  send->callback([args, &exit_code] { exit_code = c2d_send(*args); });

  auto fb = std::make_shared<FeedbackArgs>();
  auto* feedback = c2d->add_subcommand(
      "feedback", "read delivery feedback (Success, Expired, DeliveryCountExceeded) for messages sent with --ack");
  add_service_options(*feedback, fb->service);
  feedback->add_flag("--wait", fb->wait, "wait until at least one record arrives (exit 1 if none within --timeout)");
  feedback->add_option("--timeout", fb->timeout, "seconds --wait waits (default 30)")->check(CLI::Range(0.0, 3600.0));
  feedback->callback([fb, &exit_code] { exit_code = c2d_feedback(*fb); });
});

}  // namespace picohub::cli
