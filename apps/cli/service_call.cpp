#include "service_call.hpp"

#include "command.hpp"
#include "data_dir.hpp"

#include <iostream>

namespace picohub::cli {

namespace fs = std::filesystem;
using nlohmann::json;
using service::ControlClient;

namespace {

// The control client's reason, with what the user can do about it and the exit code that fits.
ServiceError connect_error(ControlClient::Failure failure, const std::string& why, const fs::path& dir) {
  const std::string log = (dir / "mosquitto.log").string();
  switch (failure) {
    case ControlClient::Failure::unreachable: return {exit_network, no_hub_message(dir) + " (" + why + ")"};
    case ControlClient::Failure::handshake:
      return {exit_network,
              why + ": is it a picohub hub started with --data-dir " + dir.string() + "? (check " + log + ")"};
    case ControlClient::Failure::refused:
      return {exit_auth, why + ": hub.json in " + dir.string() +
                             " does not match the running hub; restart it with picohub hub stop && picohub hub start"};
    case ControlClient::Failure::subscribe: return {exit_network, why + " (check " + log + ")"};
    case ControlClient::Failure::setup: break;
  }
  return {exit_failure, why + " (data dir " + dir.string() + ")"};
}

}  // namespace

std::unique_ptr<HubSession> HubSession::connect(const fs::path& dir, double timeout_s, ServiceError& err) {
  std::string why;
  // The CLI's reading of hub.json first: its messages say how to start a hub in DIR.
  if (!load_hub_config(dir, why)) {
    err = {exit_failure, why};
    return nullptr;
  }
  const auto endpoint = service::control_endpoint(dir, why);
  if (!endpoint) {
    err = {exit_failure, why};
    return nullptr;
  }
  auto failure = ControlClient::Failure::setup;
  auto client = ControlClient::connect(*endpoint, timeout_s, why, &failure);
  if (!client) {
    err = connect_error(failure, why, dir);
    return nullptr;
  }
  return std::unique_ptr<HubSession>(new HubSession(std::move(client), dir));
}

std::optional<json> HubSession::request(const std::string& op, json fields, double timeout_s, ServiceError& err) {
  const service::ControlReply reply = client_->request(op, std::move(fields), timeout_s);
  if (reply.ok()) return reply.body;
  if (reply.status == 0) {
    err = reply.timed_out ? ServiceError{exit_failure, "the hub did not answer '" + op + "' within " +
                                                           std::to_string(static_cast<int>(timeout_s)) + " s: check " +
                                                           (dir_ / "mosquitto.log").string()}
                          : ServiceError{exit_network, reply.transport_error +
                                                           ": check picohub hub status --data-dir " + dir_.string()};
    return std::nullopt;
  }
  err.status = reply.status;
  err.exit_code = reply.status == 400 ? exit_usage : exit_failure;
  err.error_code = reply.error_code();
  err.message = reply.body.is_object() ? reply.body.value("message", std::string()) : std::string();
  if (err.message.empty()) err.message = "the hub answered '" + op + "' with status " + std::to_string(reply.status);
  return std::nullopt;
}

bool HubSession::subscribe(const std::string& filter, double timeout_s, ServiceError& err) {
  std::string why;
  bool refused = false;
  if (client_->subscribe(filter, timeout_s, why, &refused)) return true;
  err = refused ? ServiceError{exit_auth, why + " for the service principal"}
                : ServiceError{exit_network, why + ": check picohub hub status --data-dir " + dir_.string()};
  return false;
}

bool HubSession::pump(int ms, ServiceError& err) {
  if (client_->pump(ms)) return true;
  err = {exit_network, "lost the connection to the hub: check picohub hub status --data-dir " + dir_.string()};
  return false;
}

void add_service_options(CLI::App& app, ServiceOptions& options, bool data_is_payload) {
  app.add_option("--data-dir", options.data, "hub data directory (default $PICOHUB_DATA, else ~/.local/share/picohub)");
  if (!data_is_payload) {
    // --data used to name the data dir here; it means the message body in `c2d send` (as in az). Say so.
    app.add_option("--data")->group("")->each([](const std::string&) {
      throw CLI::ValidationError("--data",
                                 "not the data dir any more (in c2d send it is the message body, as in "
                                 "az): use --data-dir DIR or PICOHUB_DATA=DIR");
    });
  }
  app.add_flag("--json", options.json, "print JSON for scripts");
}

int report_error(const ServiceError& err, bool json_output) {
  std::cerr << "picohub: " << err.message << '\n';
  if (json_output) {
    json e = {{"message", err.message}, {"exitCode", err.exit_code}};
    if (err.status != 0) e["status"] = err.status;
    if (err.error_code != 0) e["errorCode"] = err.error_code;
    std::cout << json{{"error", e}}.dump(2) << '\n';
  }
  return err.exit_code;
}

void explain_hub_error(ServiceError& err, const std::string& device_id) {
  switch (err.error_code) {
    case 404001: err.message = "device '" + device_id + "' not found: list devices with picohub device list"; break;
    case 409001:
      err.message = "device '" + device_id + "' already exists: see it with picohub device show " + device_id;
      break;
    case 403004:
      err.message = "device '" + device_id +
                    "' has 50 cloud-to-device messages waiting (IoT Hub's limit, 403004): connect the device so it "
                    "receives them, or wait for them to expire";
      break;
    case 404103:
      err.message = "device '" + device_id +
                    "' is not online (404103): connect it and subscribe to direct methods, then invoke again";
      break;
    case 504101:
      err.message = "device '" + device_id + "' did not answer in time (504101): raise --timeout or check the device";
      break;
    default: break;
  }
}

std::optional<json> call_hub(const ServiceOptions& options, const std::string& op, json fields, ServiceError& err,
                             double request_timeout_s) {
  const auto dir = resolve_data_dir(options.data);
  auto session = HubSession::connect(dir, options.timeout, err);
  if (!session) return std::nullopt;
  return session->request(op, std::move(fields), request_timeout_s > 0 ? request_timeout_s : options.timeout, err);
}

}  // namespace picohub::cli
