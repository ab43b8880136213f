// The HubPort over the control protocol (docs/control-protocol.md): a service-principal MQTT client to the local
// hub's plugin. The only file pair of the AMQP endpoint that knows the control protocol. Not thread-safe: the
// endpoint calls it from its single worker thread.
#pragma once

#include "service/amqp/hub_port.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace picohub::service::amqp {

class ControlHubPort final : public HubPort {
 public:
  // Reads DIR/hub.json (host name, policies); connects lazily and again after a lost connection.
  static tl::expected<std::unique_ptr<ControlHubPort>, std::string> open(const std::filesystem::path& data_dir);
  ~ControlHubPort() override;

  HubResult<void> authorize(std::string_view sas_token, std::string_view audience, unsigned needed) override;
  HubResult<C2dAccepted> send_c2d(const C2dRequest& request) override;
  HubResult<std::vector<FeedbackRecord>> take_feedback(std::size_t limit) override;
  HubResult<TelemetryPage> telemetry_after(std::uint64_t after, std::int64_t since_ms, std::size_t limit) override;
  HubResult<TelemetryStats> telemetry_stats() override;
  std::string host_name() const override;

 private:
  struct State;
  explicit ControlHubPort(std::unique_ptr<State> state);
  std::optional<std::string> checked_host(std::string_view audience) const;
  std::unique_ptr<State> state_;
};

}  // namespace picohub::service::amqp
