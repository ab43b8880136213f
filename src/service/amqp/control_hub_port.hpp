// The HubPort over the control protocol (docs/control-protocol.md): control ops made through the project's one
// control client (service/control_client.hpp; in the gateway, the ControlPool the REST API shares). The only file
// pair of the AMQP endpoint that knows the control ops. The endpoint calls it from its single worker thread.
#pragma once

#include "hub/config.hpp"
#include "service/amqp/hub_port.hpp"
#include "service/control_client.hpp"

#include <optional>
#include <string>

namespace picohub::service::amqp {

class ControlHubPort final : public HubPort {
 public:
  // `config`: hub.json (host name, policies); `control` makes one control op (ControlPool::as_call()).
  ControlHubPort(hub::HubConfig config, ControlCall control);

  HubResult<void> authorize(std::string_view sas_token, std::string_view audience, unsigned needed) override;
  HubResult<C2dAccepted> send_c2d(const C2dRequest& request) override;
  HubResult<std::vector<FeedbackRecord>> take_feedback(std::size_t limit) override;
  HubResult<TelemetryPage> telemetry_after(std::uint64_t after, std::int64_t since_ms, std::size_t limit) override;
  HubResult<TelemetryStats> telemetry_stats() override;
  std::string host_name() const override;

 private:
  HubResult<nlohmann::json> request(const std::string& op, nlohmann::json fields);
  std::optional<std::string> checked_host(std::string_view audience) const;
  hub::HubConfig config_;
  ControlCall control_;
};

}  // namespace picohub::service::amqp
