// Event Hubs $management READ: com.microsoft:eventhub (the partition ids) and com.microsoft:partition (one
// partition's sequence range), answered with an AMQP map body (reference iothub-service-api.md §4.3).
#include "service/amqp/connection_handler.hpp"

#include "service/amqp/event_message.hpp"
#include "service/amqp/message_values.hpp"

#include <proton/codec/map.hpp>
#include <proton/codec/vector.hpp>
#include <proton/scalar.hpp>
#include <proton/symbol.hpp>
#include <proton/timestamp.hpp>

#include <charconv>
#include <chrono>
#include <map>
#include <vector>

namespace picohub::service::amqp {

namespace {
std::string property(const proton::message& m, const std::string& key) {
  const auto& properties = m.properties();
  if (!properties.exists(key)) return {};
  return scalar_text(properties.get(key)).value_or("");
}

proton::message status(int code, const std::string& description) {
  proton::message m;
  m.properties().put("status-code", code);
  m.properties().put("status-description", description);
  return m;
}

proton::message event_hub_info(const std::string& name) {
  std::vector<std::string> ids;
  for (std::uint32_t i = 0; i < k_partition_count; ++i) ids.push_back(std::to_string(i));
  std::map<std::string, proton::value> body;
  body["name"] = name;
  body["type"] = proton::symbol("com.microsoft:eventhub");
  body["created_at"] = proton::timestamp(0);
  body["partition_count"] = static_cast<std::int32_t>(k_partition_count);
  body["partition_ids"] = ids;
  auto m = status(200, "OK");
  m.body(body);
  return m;
}

// The hub's stats are hub-wide: each partition reports the whole range (docs/service-amqp.md).
proton::message partition_info(const std::string& name, const std::string& partition, const TelemetryStats& s) {
  std::map<std::string, proton::value> body;
  body["name"] = name;
  body["type"] = proton::symbol("com.microsoft:partition");
  body["partition"] = partition;
  body["begin_sequence_number"] = static_cast<std::int64_t>(s.first_sequence);
  body["last_enqueued_sequence_number"] = static_cast<std::int64_t>(s.last_sequence);
  body["last_enqueued_offset"] = std::to_string(s.last_sequence);
  body["last_enqueued_time_utc"] = proton::timestamp(s.last_enqueued_ms);
  body["is_partition_empty"] = s.empty;
  auto m = status(200, "OK");
  m.body(body);
  return m;
}
}  // namespace

void ConnectionHandler::reply(const std::string& reply_to, const std::string& source, const proton::message& request,
                              proton::message response) {
  auto link = reply_links_.find(reply_to);
  if (link == reply_links_.end()) link = reply_links_.find(source);
  if (link == reply_links_.end() || !link->second.active()) return;  // nobody listens for the answer
  response.correlation_id(request.id());
  response.to(reply_to);
  link->second.send(response);
}

void ConnectionHandler::handle_management(const proton::message& request) {
  const std::string reply_to = request.reply_to();
  const std::string type = property(request, "type");
  const std::string name = property(request, "name");
  const std::string partition = property(request, "partition");
  if (!authorized_for_event_hub()) {
    return reply(reply_to, "$management", request, status(401, "put a token for the Event Hub on $cbs first"));
  }
  if (property(request, "operation") != "READ") {
    return reply(reply_to, "$management", request, status(400, "only the READ operation is served"));
  }
  if (name != context_.event_hub_name) {
    return reply(reply_to, "$management", request,
                 status(404, "no Event Hub '" + name + "'; this hub's is '" + context_.event_hub_name + "'"));
  }
  if (type == "com.microsoft:eventhub") return reply(reply_to, "$management", request, event_hub_info(name));
  std::uint32_t n = 0;
  const auto [end, ec] = std::from_chars(partition.data(), partition.data() + partition.size(), n);
  if (type != "com.microsoft:partition" || ec != std::errc{} || end != partition.data() + partition.size() ||
      n >= k_partition_count) {
    return reply(reply_to, "$management", request,
                 status(400, "unknown type '" + type + "' or partition '" + partition + "'"));
  }
  call([](HubPort& hub) { return hub.telemetry_stats(); },
       [this, reply_to, request, name, partition](HubResult<TelemetryStats> stats) {
         if (!stats)
           return reply(reply_to, "$management", request, status(stats.error().status, stats.error().message));
         reply(reply_to, "$management", request, partition_info(name, partition, *stats));
       });
}

}  // namespace picohub::service::amqp
